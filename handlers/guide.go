package handlers

import (
	"net/http"

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

func (h *Handlers) markdownPage(c echo.Context, title, body string) error {
	return h.render(c, http.StatusOK, docpages.Guide(docpages.GuideView{Base: h.base(c, title, "docs"), Title: title, Issuer: h.issuer, HTML: body}))
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
