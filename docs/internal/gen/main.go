// Command gen compiles the documentation in docs/ into docs/rendered/, which package docs embeds:
// the Markdown guides as HTML and docs/openapi.yaml as the API reference's view in JSON. It runs
// by `go generate ./docs` (from docs/, the directory it reads and writes); CI fails when the
// committed output differs from what it writes.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devportal/devportal/docs/internal/render"
)

func main() {
	if err := run("."); err != nil {
		fmt.Fprintln(os.Stderr, "docs/internal/gen:", err)
		os.Exit(1)
	}
}

// run reads the sources in dir and writes dir/rendered/.
func run(dir string) error {
	out, err := build(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "rendered"), 0o755); err != nil {
		return err
	}
	for name, b := range out {
		if err := os.WriteFile(filepath.Join(dir, "rendered", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// build compiles the sources in dir; the keys are file names under rendered/.
func build(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for src, dst := range map[string]string{"integration-guide.md": "integration-guide.html", "oauth.md": "oauth.html", "oidc.md": "oidc.html", "apis.md": "apis.html", "agents.md": "agents.html"} {
		md, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			return nil, err
		}
		html, err := render.Markdown(string(md))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		out[dst] = []byte(html)
	}
	spec, err := os.ReadFile(filepath.Join(dir, "openapi.yaml"))
	if err != nil {
		return nil, err
	}
	ref, err := render.APIReference(spec)
	if err != nil {
		return nil, err
	}
	// Indented and without \u003c escapes, so a change to openapi.yaml reads as a small diff.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ref); err != nil {
		return nil, err
	}
	out["api-reference.json"] = buf.Bytes()
	return out, nil
}
