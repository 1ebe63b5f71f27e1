package handlers

import (
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/docs"
	docpages "github.com/devportal/devportal/templates/pages/docs"
)

// The pages below serve what `go generate ./docs` compiled from docs/ ahead of time.

// GuidePage is GET /docs/integration-guide: docs/integration-guide.md as a page.
func (h *Handlers) GuidePage(c echo.Context) error {
	return h.markdownPage(c, "Integration guide", docs.IntegrationGuideHTML)
}

// OIDCGuide is GET /docs/oidc: docs/oidc.md, "Sign in with devportal" with OpenID Connect.
func (h *Handlers) OIDCGuide(c echo.Context) error {
	return h.markdownPage(c, "Sign in with devportal", docs.OIDCGuideHTML)
}

// OAuthReference is GET /docs/oauth: docs/oauth.md, the RFC endpoints and every error code.
func (h *Handlers) OAuthReference(c echo.Context) error {
	return h.markdownPage(c, "OAuth 2.0 endpoints", docs.OAuthGuideHTML)
}

// APIsGuide is GET /docs/apis: docs/apis.md, for the owners of APIs (resource servers).
func (h *Handlers) APIsGuide(c echo.Context) error {
	return h.markdownPage(c, "APIs and their tokens", docs.APIsGuideHTML)
}

// AgentsGuide is GET /docs/agents: docs/agents.md, devportal in front of an MCP server.
func (h *Handlers) AgentsGuide(c echo.Context) error {
	return h.markdownPage(c, "devportal in front of an MCP server", docs.AgentsGuideHTML)
}

func (h *Handlers) markdownPage(c echo.Context, title, body string) error {
	return h.render(c, http.StatusOK, docpages.Guide(docpages.GuideView{Base: h.base(c, title, "docs"), Title: title, Issuer: h.issuer,
		HTML: liveIssuer(body, h.issuer)}))
}

// docsIssuer is the issuer the docs are written with (and tested against): the default.
const docsIssuer = "http://localhost:8080"

// liveIssuer writes this portal's issuer where a rendered docs page says the default one, so a
// reader can paste the commands as they are. The page is HTML and a redirect example shows the
// issuer URL-encoded (the iss parameter), so both forms are replaced, each escaped for HTML.
func liveIssuer(page, issuer string) string {
	if issuer == docsIssuer {
		return page
	}
	return strings.NewReplacer(
		docsIssuer, html.EscapeString(issuer),
		url.QueryEscape(docsIssuer), html.EscapeString(url.QueryEscape(issuer)),
	).Replace(page)
}

// APIReference is GET /docs/api: every endpoint of docs/openapi.yaml as a page.
func (h *Handlers) APIReference(c echo.Context) error {
	ref, err := docs.APIReference()
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, docpages.APIReference(docpages.APIReferenceView{
		Base:  h.base(c, "API reference", "docs"),
		Title: ref.Title, Version: ref.Version, DescriptionHTML: ref.DescriptionHTML,
		Groups: ref.Groups, Schemas: ref.Schemas,
	}))
}

// OpenAPIDocument is GET /docs/openapi.yaml, the raw description for tools.
func (h *Handlers) OpenAPIDocument(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", docs.OpenAPI)
}
