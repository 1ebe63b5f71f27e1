// Package docs holds the developer documentation the portal serves: the integration guide, the
// "Sign in with devportal" (OpenID Connect) guide, the OAuth endpoint reference and the OpenAPI
// description of every public endpoint. They are
// embedded so that the pages, the raw download and the tests that run the guide against a live
// server all read the same bytes.
//
// The pages are compiled from these sources ahead of time, by `go generate ./docs`, into
// rendered/ (committed, and checked current by CI): the server renders nothing, and the Markdown
// and OpenAPI libraries that do it stay out of its binary.
package docs

//go:generate go run ./internal/gen

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"github.com/devportal/devportal/docs/apiref"
)

//go:embed integration-guide.md openapi.yaml oauth.md oidc.md apis.md agents.md
var files embed.FS

//go:embed rendered
var rendered embed.FS

// FS holds integration-guide.md, openapi.yaml, oauth.md and oidc.md.
var FS fs.FS = files

// IntegrationGuide is docs/integration-guide.md, the walk-through served at
// /docs/integration-guide.
var IntegrationGuide = mustRead(files, "integration-guide.md")

// OpenAPI is docs/openapi.yaml, the API reference served at /docs/api and, raw, at
// /docs/openapi.yaml.
var OpenAPI = mustRead(files, "openapi.yaml")

// OAuthGuide is docs/oauth.md, the reference of the RFC endpoints.
var OAuthGuide = mustRead(files, "oauth.md")

// OIDCGuide is docs/oidc.md, "Sign in with devportal": the OpenID Connect walk-through served at
// /docs/oidc.
var OIDCGuide = mustRead(files, "oidc.md")

// IntegrationGuideHTML is IntegrationGuide rendered: the body of /docs/integration-guide.
var IntegrationGuideHTML = string(mustRead(rendered, "rendered/integration-guide.html"))

// OAuthGuideHTML is OAuthGuide rendered: the body of /docs/oauth.
var OAuthGuideHTML = string(mustRead(rendered, "rendered/oauth.html"))

// APIsGuide is docs/apis.md, for API owners: audiences, resource indicators, the RFC 9728
// document and validating aud, served at /docs/apis.
var APIsGuide = mustRead(files, "apis.md")

// APIsGuideHTML is APIsGuide rendered: the body of /docs/apis.
var APIsGuideHTML = string(mustRead(rendered, "rendered/apis.html"))

// AgentsGuide is docs/agents.md: devportal as the authorization server of an MCP server (the
// documents each side serves, the registration policies, tokens scoped to the server), served
// at /docs/agents.
var AgentsGuide = mustRead(files, "agents.md")

// AgentsGuideHTML is AgentsGuide rendered: the body of /docs/agents.
var AgentsGuideHTML = string(mustRead(rendered, "rendered/agents.html"))

// OIDCGuideHTML is OIDCGuide rendered: the body of /docs/oidc.
var OIDCGuideHTML = string(mustRead(rendered, "rendered/oidc.html"))

// APIReference is OpenAPI flattened into the view of /docs/api, decoded once, on first use.
var APIReference = sync.OnceValues(func() (apiref.Reference, error) {
	var ref apiref.Reference
	dec := json.NewDecoder(bytes.NewReader(mustRead(rendered, "rendered/api-reference.json")))
	dec.DisallowUnknownFields() // output of another generator version fails here, not on the page
	if err := dec.Decode(&ref); err != nil {
		return apiref.Reference{}, fmt.Errorf("docs/rendered/api-reference.json: %w (run go generate ./docs)", err)
	}
	return ref, nil
})

func mustRead(fsys embed.FS, name string) []byte {
	b, err := fsys.ReadFile(name)
	if err != nil {
		panic("docs: " + err.Error()) // unreachable: go:embed fails the build when a file is missing
	}
	return b
}
