package main

import "github.com/devportal/devportal/web"

// A build without -ldflags "-X main.version=…" still reports what it is: its module version or
// its commit (web.ResolveVersion), in `devportal version` and the pages' footer alike.
func init() { version = web.ResolveVersion(version) }
