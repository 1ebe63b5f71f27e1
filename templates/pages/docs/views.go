// Package docs holds the documentation pages: the overview, the guides rendered from docs/ and
// the API reference, each taking a view model defined here.
package docs

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// Endpoint is one protocol endpoint on the docs page.
type Endpoint struct{ Name, Method, URL, Spec string }

// DocsView is the developer documentation page.
type DocsView struct {
	layout.Base
	Issuer      string
	MetadataURL string
	Endpoints   []Endpoint
	Scopes      []shared.ScopeOption
	APIs        []API
	APIsGuide   string // /docs/apis
	AgentsGuide string // /docs/agents
}

// API is one registered API (resource server) as the docs page lists it.
type API struct {
	Name, Identifier, Description string
	Scopes                        []string
	DocsURL                       string // its documentation, "" for none
	MetadataURL                   string // its RFC 9728 document, when the portal serves one
}
