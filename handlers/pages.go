package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/docs"
)

// Home is the landing page; signed-in people go to their applications.
func (h *Handlers) Home(c echo.Context) error {
	if CurrentUser(c) != nil {
		return c.Redirect(http.StatusFound, h.url(RouteApps))
	}
	return h.render(c, http.StatusOK, auth.Home(auth.HomeView{Base: h.base(c, "Developer portal", "")}))
}

// Account shows the signed-in person's account.
func (h *Handlers) Account(c echo.Context) error {
	return h.render(c, http.StatusOK, account.Account(h.accountView(c, nil)))
}

// Docs is the integration overview: which flow to use, the endpoints, the scope catalog.
func (h *Handlers) Docs(c echo.Context) error {
	opts, err := h.scopeOptions(c.Request().Context(), nil)
	if err != nil {
		return err
	}
	iss := h.issuer
	apis, err := h.docsAPIs(c.Request().Context())
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, docs.Docs(docs.DocsView{
		Base: h.base(c, "Docs", "docs"), Issuer: iss, MetadataURL: iss + h.paths["metadata"], Scopes: opts,
		APIs: apis, APIsGuide: h.url(RouteAPIsGuide), AgentsGuide: h.url(RouteAgentsGuide),
		Endpoints: []docs.Endpoint{
			{Name: "Authorization", Method: "GET", URL: iss + h.paths["authorization"], Spec: "RFC 6749 §4.1, RFC 7636"},
			{Name: "Token", Method: "POST", URL: iss + h.paths["token"], Spec: "RFC 6749 §3.2"},
			{Name: "Introspection", Method: "POST", URL: iss + h.paths["introspection"], Spec: "RFC 7662"},
			{Name: "Revocation", Method: "POST", URL: iss + h.paths["revocation"], Spec: "RFC 7009"},
			{Name: "Device authorization", Method: "POST", URL: iss + h.paths["device_authorization"], Spec: "RFC 8628"},
			{Name: "JSON Web Key Set", Method: "GET", URL: iss + h.paths["jwks"], Spec: "RFC 7517, RFC 9068"},
			{Name: "Metadata", Method: "GET", URL: iss + h.paths["metadata"], Spec: "RFC 8414"},
		},
	}))
}

// Metadata serves the RFC 8414 authorization server metadata.
func (h *Handlers) Metadata(c echo.Context) error {
	md, err := h.oauth.Metadata(c.Request().Context(), h.paths)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	allowAnyOrigin(c) // RFC 9700 ("Usage of CORS"): browser apps discover the server too
	return c.JSON(http.StatusOK, md)
}

// JWKS serves the public signing keys.
func (h *Handlers) JWKS(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	allowAnyOrigin(c) // public keys: any page may verify our tokens
	return c.JSON(http.StatusOK, h.oauth.JWKS())
}

// BrandCSS serves the operator's accent colour as a stylesheet. Pages link it with the colour's
// digest in the query, so it may be cached for good.
func (h *Handlers) BrandCSS(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", h.brandCSS)
}

// Healthz says the process is up.
func (h *Handlers) Healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// Readyz says whether the database answers, for load balancers. Its 503 is answered here, not
// by the error handler, so a probe keeps its plain-text body; the cause goes to the
// (rate-limited) error log.
func (h *Handlers) Readyz(c echo.Context) error {
	if err := h.store.Ping(c.Request().Context()); err != nil {
		c.Logger().Error(err)
		c.Response().Header().Set("Retry-After", "5")
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}
