package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The committed docs/rendered/ is exactly what the generator writes from the sources today, so a
// change to a guide or to openapi.yaml without `go generate ./docs` fails here as well as in CI.
func TestRenderedIsCurrent(t *testing.T) {
	out, err := build("../..")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../../rendered")
	if err != nil {
		t.Fatal(err)
	}
	var committed, written []string
	for _, e := range entries {
		committed = append(committed, e.Name())
	}
	for name, want := range out {
		written = append(written, name)
		got, err := os.ReadFile(filepath.Join("../../rendered", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/rendered/%s is stale: run go generate ./docs", name)
		}
	}
	slices.Sort(written)
	if !slices.Equal(committed, written) {
		t.Errorf("docs/rendered holds %v; the generator writes %v", committed, written)
	}
}

// run writes what build returns, into a directory of its own.
func TestRunWrites(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"integration-guide.md", "oauth.md", "oidc.md", "apis.md", "agents.md", "openapi.yaml"} {
		b, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"integration-guide.html", "oauth.html", "oidc.html", "apis.html", "agents.html", "api-reference.json"} {
		got, err := os.ReadFile(filepath.Join(dir, "rendered", name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join("../../rendered", name))
		if !bytes.Equal(got, want) {
			t.Errorf("run wrote a different %s", name)
		}
	}
}
