// Package docs holds the developer documentation the portal serves: the integration guide, the
// OAuth endpoint reference and the OpenAPI description of every public endpoint. They are
// embedded so that the pages, the raw download and the tests that run the guide against a live
// server all read the same bytes.
package docs

import (
	"embed"
	"io/fs"
)

//go:embed integration-guide.md openapi.yaml oauth.md
var files embed.FS

// FS holds integration-guide.md, openapi.yaml and oauth.md.
var FS fs.FS = files

// IntegrationGuide is docs/integration-guide.md, the walk-through served at
// /docs/integration-guide.
var IntegrationGuide = mustRead("integration-guide.md")

// OpenAPI is docs/openapi.yaml, the API reference served at /docs/api and, raw, at
// /docs/openapi.yaml.
var OpenAPI = mustRead("openapi.yaml")

// OAuthGuide is docs/oauth.md, the reference of the RFC endpoints.
var OAuthGuide = mustRead("oauth.md")

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("docs: " + err.Error()) // unreachable: go:embed fails the build when a file is missing
	}
	return b
}
