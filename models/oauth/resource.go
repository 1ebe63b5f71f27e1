package oauth

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devportal/devportal/models"
)

// ErrInvalidTarget is RFC 8707 §2's invalid_target: the resource is malformed, unknown, not one
// the client may have tokens for, or more than one.
var ErrInvalidTarget = protoErr("invalid_target", "", "the requested resource is invalid, unknown or not allowed for this client")

// The rules of resource indicators (RFC 8707), decided here once:
//
//   - A token is for one API: its aud is that API's identifier. A request naming several
//     resources is refused with invalid_target (RFC 8707 §2 lets the server do so); a client
//     wanting tokens for two APIs asks twice, or refreshes once per API.
//   - A resource must be the identifier of a registered API, character for character, and the
//     client (or, for a code or refresh token, the original grant) must have at least one of its
//     scopes; otherwise invalid_target. The requested scopes must then all belong to it (the
//     OpenID Connect scopes aside), and at least one must; otherwise invalid_scope. Asking for no
//     scope with a resource means the client's (or the grant's) scopes of that API.
//   - Without a resource, the scopes decide: when every scope but the OpenID Connect ones belongs
//     to one API, the token is for it; otherwise (several APIs, or only OpenID scopes) aud is
//     the deployment's audience, the issuer, as before APIs existed.
//   - The OpenID Connect scopes (openid, profile, email, offline_access) belong to no API and
//     never change aud; the userinfo endpoint takes any valid token of ours that carries openid.
//   - A resource named at the authorization endpoint is kept with the code and the grant: their
//     access tokens are for it, and a token request naming another is invalid_target. A grant
//     without one may be narrowed, per token request, to any API its scopes belong to (RFC 8707
//     §2.2), while its refresh token keeps the whole grant.
//   - A token's lifetime is the shortest of the client's and the API's when set, else the
//     deployment's.

// CheckResourceIdentifier checks an API identifier as RFC 8707 §2 wants a resource: an absolute
// URI without a fragment. A query is refused too (§2 says SHOULD NOT), so an identifier compares
// as one plain string. It returns what is wrong, or "".
func CheckResourceIdentifier(uri string) string {
	u, err := url.Parse(uri)
	switch {
	case uri == "":
		return "Enter the API's identifier, an absolute URI such as https://api.example.com/."
	case len(uri) > models.MaxURLLength:
		return "The identifier is too long."
	case err != nil || !u.IsAbs():
		return "The identifier must be an absolute URI, such as https://api.example.com/."
	case strings.ContainsAny(uri, " \t\r\n"):
		return "The identifier must not contain spaces."
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return "The identifier must not contain a fragment (#…) (RFC 8707 §2)."
	case u.RawQuery != "" || strings.Contains(uri, "?"):
		return "The identifier must not contain a query (?…) (RFC 8707 §2)."
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host == "":
		return "The identifier must name a host."
	}
	return ""
}

// apiCatalog is every registered API, and which API each scope (retired ones included) belongs
// to: enough to decide a token's audience without a query.
type apiCatalog struct {
	byID     map[int64]*models.API
	byURI    map[string]*models.API // by resolved identifier
	scopeAPI map[string]int64       // scope name → its API
}

type apiCache struct {
	cur atomic.Pointer[loadedAPIs] // read without a lock: every token request asks
	mu  sync.Mutex                 // one reload at a time
}

type loadedAPIs struct {
	cat *apiCatalog
	at  time.Time
}

// apis returns the API catalog, reloading it when older than catalogTTL, like the scopes.
func (s *Server) apis(ctx context.Context) (*apiCatalog, error) {
	if l := s.apiCache.cur.Load(); l != nil && time.Since(l.at) < catalogTTL {
		return l.cat, nil
	}
	s.apiCache.mu.Lock()
	defer s.apiCache.mu.Unlock()
	if l := s.apiCache.cur.Load(); l != nil && time.Since(l.at) < catalogTTL {
		return l.cat, nil // another request reloaded it meanwhile
	}
	list, err := s.store.APIs(ctx)
	if err != nil {
		return nil, err
	}
	scopes, err := s.store.AllScopes(ctx)
	if err != nil {
		return nil, err
	}
	cat := &apiCatalog{byID: map[int64]*models.API{}, byURI: map[string]*models.API{}, scopeAPI: map[string]int64{}}
	for i := range list {
		a := &list[i]
		cat.byID[a.ID] = a
		cat.byURI[a.URI(s.cfg.Issuer)] = a
	}
	for _, sc := range scopes {
		if sc.APIID != nil {
			cat.scopeAPI[sc.Name] = *sc.APIID
		}
	}
	s.apiCache.cur.Store(&loadedAPIs{cat: cat, at: time.Now()})
	return cat, nil
}

// forgetAPIs waits for a reload in flight, which may have read the old catalog, before
// dropping what it stored.
func (s *Server) forgetAPIs() {
	s.apiCache.mu.Lock()
	s.apiCache.cur.Store(nil)
	s.apiCache.mu.Unlock()
}

// belongs reports whether scope is one of api's.
func (c *apiCatalog) belongs(scope string, api *models.API) bool {
	id, ok := c.scopeAPI[scope]
	return ok && id == api.ID
}

// of is the API of scope, or nil for one that belongs to none (the OpenID scopes).
func (c *apiCatalog) of(scope string) *models.API {
	if id, ok := c.scopeAPI[scope]; ok {
		return c.byID[id]
	}
	return nil
}

// anyOf reports whether some scope of allowed belongs to api: the client (or grant) may have
// tokens for it.
func (c *apiCatalog) anyOf(allowed []string, api *models.API) bool {
	return slices.ContainsFunc(allowed, func(sc string) bool { return c.belongs(sc, api) })
}

// requestedAPI is the API the resource parameter names, or nil when none was sent.
func (s *Server) requestedAPI(ctx context.Context, resources []string) (*apiCatalog, *models.API, error) {
	cat, err := s.apis(ctx)
	if err != nil || len(resources) == 0 {
		return cat, nil, err
	}
	if len(resources) > 1 {
		return nil, nil, ErrInvalidTarget.Describe("send one resource: a token is for one API (ask again, or refresh, for each further API)")
	}
	uri := resources[0]
	if msg := CheckResourceIdentifier(uri); msg != "" {
		return nil, nil, ErrInvalidTarget.Describe("resource must be an absolute URI without a fragment or query (RFC 8707 §2)")
	}
	api, ok := cat.byURI[uri]
	if !ok {
		return nil, nil, ErrInvalidTarget.Describe("no API is registered with the identifier %q", uri)
	}
	return cat, api, nil
}

// resolveForResource resolves the scopes of a request that may name a resource (authorization
// and client-credentials requests) against the client's registered scopes, allowed: the API it
// names, checked as the rules above say, and the scopes, defaulting to the client's scopes of
// that API.
func (s *Server) resolveForResource(ctx context.Context, resources, requested, allowed []string) ([]models.Scope, *models.API, error) {
	cat, api, err := s.requestedAPI(ctx, resources)
	if err != nil {
		return nil, nil, err
	}
	if api == nil {
		scopes, err := s.resolveScopes(ctx, requested, allowed)
		return scopes, nil, err
	}
	if !cat.anyOf(allowed, api) {
		return nil, nil, ErrInvalidTarget.Describe("this client has no scope of the API %s, so it may not have tokens for it", api.Name)
	}
	if len(requested) == 0 {
		live, err := s.catalog(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, sc := range allowed {
			if _, ok := live[sc]; ok && cat.belongs(sc, api) {
				requested = append(requested, sc)
			}
		}
		if len(requested) == 0 {
			return nil, nil, ErrInvalidScope.Describe("none of this client's scopes of the API %s is available", api.Name)
		}
	}
	scopes, err := s.resolveScopes(ctx, requested, allowed)
	if err != nil {
		return nil, nil, err
	}
	if err := cat.scopesFor(scopeNames(scopes), api); err != nil {
		return nil, nil, err
	}
	return scopes, api, nil
}

// scopesFor checks that scope suits a token for api: each scope is api's or an OpenID scope,
// and at least one is api's.
func (c *apiCatalog) scopesFor(scope []string, api *models.API) error {
	some := false
	for _, sc := range scope {
		switch {
		case c.belongs(sc, api):
			some = true
		case IsIdentityScope(sc):
		default:
			owner := "no API"
			if o := c.of(sc); o != nil {
				owner = "the API " + o.Name
			}
			return ErrInvalidScope.Describe("scope %q belongs to %s, not to the requested resource (%s)", sc, owner, api.Name)
		}
	}
	if !some {
		return ErrInvalidScope.Describe("ask for at least one scope of the API %s with its resource", api.Name)
	}
	return nil
}

// narrowToResource decides the scope of an access token minted from a grant (an authorization
// code or a refresh token) whose scope is granted and whose pinned API is pinned (nil: none),
// for a token request naming resources and asking for scope (explicit: the request named it;
// otherwise scope is the grant's). Without a resource, scope stands.
func (s *Server) narrowToResource(ctx context.Context, pinned *int64, granted, resources, scope []string, explicit bool) ([]string, error) {
	cat, api, err := s.requestedAPI(ctx, resources)
	if err != nil || api == nil {
		return scope, err
	}
	if pinned != nil && *pinned != api.ID {
		return nil, ErrInvalidTarget.Describe("the authorization was for another resource; ask for that one, or for none")
	}
	if !cat.anyOf(granted, api) {
		return nil, ErrInvalidTarget.Describe("the original grant has no scope of the API %s (RFC 8707 §2.2)", api.Name)
	}
	if explicit {
		return scope, cat.scopesFor(scope, api)
	}
	return slices.DeleteFunc(slices.Clone(scope), func(sc string) bool { return !cat.belongs(sc, api) && !IsIdentityScope(sc) }), nil
}

// tokenTarget is the API an access token for scope, under grant g (nil for client
// credentials), is for: g's pinned API when it still exists, else the one API every scope but
// the OpenID ones belongs to; nil when there is no single one.
func (s *Server) tokenTarget(ctx context.Context, g *models.Grant, scope []string) (*models.API, error) {
	cat, err := s.apis(ctx)
	if err != nil {
		return nil, err
	}
	if g != nil && g.APIID != nil {
		if api, ok := cat.byID[*g.APIID]; ok {
			return api, nil
		}
	}
	var one *models.API
	for _, sc := range scope {
		if IsIdentityScope(sc) {
			continue
		}
		api := cat.of(sc)
		if api == nil || (one != nil && one.ID != api.ID) {
			return nil, nil
		}
		one = api
	}
	return one, nil
}

// audienceOf is the aud of a token for api (nil: the deployment's audience).
func (s *Server) audienceOf(api *models.API) string {
	if api == nil {
		return s.cfg.Audience
	}
	return api.URI(s.cfg.Issuer)
}

// accessLifetime is the lifetime of client's access tokens for api: the shortest of the
// client's and the API's where set, else the deployment's.
func (s *Server) accessLifetime(client *models.Client, api *models.API) time.Duration {
	access, _ := s.lifetimes(client)
	if api == nil || api.AccessTTLSeconds == nil || *api.AccessTTLSeconds <= 0 {
		return access
	}
	apiTTL := time.Duration(*api.AccessTTLSeconds) * time.Second
	if client.AccessTTLSeconds != nil && *client.AccessTTLSeconds > 0 {
		return min(access, apiTTL)
	}
	return apiTTL
}

// knownAudience reports whether aud names a resource this server issues tokens for: the
// deployment's audience or a registered API.
func (s *Server) knownAudience(ctx context.Context, aud []string) (bool, error) {
	if slices.Contains(aud, s.cfg.Audience) {
		return true, nil
	}
	cat, err := s.apis(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(aud, func(a string) bool { _, ok := cat.byURI[a]; return ok }), nil
}

// apiID is the ID of api, nil for none.
func apiID(api *models.API) *int64 {
	if api == nil {
		return nil
	}
	id := api.ID
	return &id
}

// ResourceMetadata is an OAuth 2.0 Protected Resource Metadata document (RFC 9728 §2).
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

// ProtectedResourcePrefix is where the RFC 9728 §3 documents of the APIs under the issuer
// live: the document of {issuer}/api/v1 is at {issuer}/.well-known/oauth-protected-resource/api/v1.
const ProtectedResourcePrefix = "/.well-known/oauth-protected-resource"

// ProtectedResourceMetadataURL is the RFC 9728 document URL of the API identified by resource,
// which must be the issuer or under it (RFC 9728 §3.1 inserts the well-known path between the
// host and the resource's path; the issuer's own path, if any, stays in front).
func ProtectedResourceMetadataURL(issuer, resource string) string {
	return issuer + ProtectedResourcePrefix + strings.TrimPrefix(resource, issuer)
}

// ProtectedResource is the RFC 9728 document of the API whose identifier is uri (resolved), or
// models.ErrNotFound. Its scopes are the API's active ones; tokens are accepted in the
// Authorization header only (RFC 6750 §2.1), as web.RequireBearer does.
func (s *Server) ProtectedResource(ctx context.Context, uri string) (*ResourceMetadata, error) {
	api, err := s.store.APIByIdentifier(ctx, models.RelativeIdentifier(uri, s.cfg.Issuer))
	if err != nil {
		return nil, err
	}
	scopes, err := s.store.ScopesOfAPI(ctx, api.ID)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, sc := range scopes {
		if sc.RetiredAt == nil {
			names = append(names, sc.Name)
		}
	}
	return &ResourceMetadata{
		Resource: api.URI(s.cfg.Issuer), AuthorizationServers: []string{s.cfg.Issuer}, ScopesSupported: names,
		BearerMethodsSupported: []string{"header"}, ResourceName: api.Name, ResourceDocumentation: api.Docs(s.cfg.Issuer),
	}, nil
}

// APIs lists the registered APIs with their identifiers resolved, for pages.
func (s *Server) APIs(ctx context.Context) ([]models.API, error) {
	list, err := s.store.APIs(ctx)
	for i := range list {
		list[i].Identifier, list[i].DocsURL = list[i].URI(s.cfg.Issuer), list[i].Docs(s.cfg.Issuer)
	}
	return list, err
}

// StoredIdentifier is the stored form of an identifier or documentation URL an admin typed
// (models.RelativeIdentifier under this issuer).
func (s *Server) StoredIdentifier(uri string) string {
	return models.RelativeIdentifier(uri, s.cfg.Issuer)
}

// ResolvedIdentifier is the URI a stored identifier names under this issuer.
func (s *Server) ResolvedIdentifier(stored string) string {
	return models.ResolveIdentifier(stored, s.cfg.Issuer)
}
