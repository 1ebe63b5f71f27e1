// Package static holds the vendored CSS, JS and images, embedded so the binary needs no network or files at run time.
package static

import (
	"embed"
	"io/fs"
)

//go:embed css js
var files embed.FS

// FS is the embedded asset tree, served under /static/.
var FS fs.FS = files
