package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"

	"github.com/devportal/devportal/models"
)

// Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592).
//
// Decisions, documented in docs/agents.md and the README:
//   - DEVPORTAL_DCR=open registers public clients only: token_endpoint_auth_method "none"
//     (the default there), the authorization code grant, and so PKCE, which native clients must
//     use. Confidential clients (client_secret_basic, the RFC's default, or client_secret_post;
//     the authorization code or the client credentials grant) need DEVPORTAL_DCR=token.
//   - grant_types and response_types are checked for consistency and then replaced by what the
//     client's type really gets (RFC 7591 §3.2.1 lets the server replace values):
//     authorization_code + refresh_token and "code", or client_credentials and none.
//   - scope defaults, when omitted, to every active scope that needs no administrator's
//     approval; a sensitive scope is refused (dynamic registration cannot ask an admin).
//   - client_name is required, as in the portal form; software statements are not supported.

// The RFC 7591 §3.2.2 error codes, and the RFC 6750 code the registration endpoints answer
// for a missing or wrong initial or registration access token.
var (
	ErrInvalidRedirectURIMetadata = protoErr("invalid_redirect_uri", "", "a redirect URI is invalid")
	ErrInvalidClientMetadata      = protoErr("invalid_client_metadata", "", "a client metadata field is invalid")
	ErrInvalidSoftwareStatement   = protoErr("invalid_software_statement", "", "software statements are not supported")
	// ErrRegistrationToken: the initial access token (RFC 7591 §3) or the registration access
	// token (RFC 7592 §3) is missing, wrong, expired or used up.
	ErrRegistrationToken = protoErr("invalid_token", "registration_token", "the access token is missing, invalid, expired or used up")
)

// Token endpoint authentication methods a registration may ask for.
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// ClientMetadata is the client metadata of RFC 7591 §2 as JSON, the fields devportal knows;
// others are ignored, as §2 asks.
type ClientMetadata struct {
	RedirectURIs             []string `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod  string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes               []string `json:"grant_types,omitempty"`
	ResponseTypes            []string `json:"response_types,omitempty"`
	ClientName               string   `json:"client_name,omitempty"`
	ClientURI                string   `json:"client_uri,omitempty"`
	LogoURI                  string   `json:"logo_uri,omitempty"`
	Scope                    string   `json:"scope,omitempty"`
	TOSURI                   string   `json:"tos_uri,omitempty"`
	PolicyURI                string   `json:"policy_uri,omitempty"`
	PostLogoutRedirectURIs   []string `json:"post_logout_redirect_uris,omitempty"`
	IDTokenSignedResponseAlg string   `json:"id_token_signed_response_alg,omitempty"`
	SoftwareStatement        string   `json:"software_statement,omitempty"`
}

// RegistrationUpdate is an RFC 7592 §2.2 update request: the metadata, plus the fields the
// client must (client_id) or may (client_secret) send and those it must not.
type RegistrationUpdate struct {
	ClientMetadata
	ClientID     string
	ClientSecret string
	// Forbidden names a field §2.2 forbids in the request (registration_access_token,
	// registration_client_uri, client_secret_expires_at, client_id_issued_at) that was sent.
	Forbidden string
}

// RegistrationResponse is the client information response (RFC 7591 §3.2.1, RFC 7592 §3).
type RegistrationResponse struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"` // 0: never; set with client_secret
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	ClientMetadata
}

// RegisterRequest is a registration as the handler parsed it.
type RegisterRequest struct {
	Policy             string // models.DCRToken or models.DCROpen
	InitialAccessToken string // the Authorization: Bearer token, "" if none
	IP                 string
	Metadata           ClientMetadata
	// ManagePath is the path of the RFC 7592 endpoint; the client id follows it.
	ManagePath string
}

// validatedMetadata is client metadata checked and turned into what the store saves.
type validatedMetadata struct {
	typ     models.ClientType
	auth    string
	profile models.ClientProfile
}

// Register creates a client from RFC 7591 metadata under policy. Under models.DCROpen the
// caller's IP address is throttled first (a *models.ThrottleError refuses it); under
// models.DCRToken one use of the initial access token is spent with the creation.
func (s *Server) Register(ctx context.Context, req RegisterRequest) (*RegistrationResponse, error) {
	switch req.Policy {
	case models.DCROpen:
		if err := s.store.ReserveRegistration(ctx, req.IP); err != nil {
			return nil, err
		}
	case models.DCRToken:
		if req.InitialAccessToken == "" {
			return nil, ErrRegistrationToken.Describe("registration needs an initial access token from an administrator (Authorization: Bearer)")
		}
	default:
		return nil, ErrInvalidRequest.Describe("dynamic client registration is off")
	}
	v, err := s.validateMetadata(ctx, req.Policy, req.Metadata)
	if err != nil {
		return nil, err
	}
	regToken := models.NewToken("dpr_")
	c, secret, err := s.store.RegisterDynamicClient(ctx, models.DynamicRegistration{
		Client: models.NewClient{Name: v.profile.Name, Type: v.typ, RedirectURIs: v.profile.RedirectURIs, Scopes: v.profile.Scopes,
			PostLogoutRedirectURIs: v.profile.PostLogoutRedirectURIs, IDTokenSignedResponseAlg: v.profile.IDTokenSignedResponseAlg},
		LogoURL: v.profile.LogoURL, HomepageURL: v.profile.HomepageURL, PrivacyURL: v.profile.PrivacyURL, TermsURL: v.profile.TermsURL,
		TokenEndpointAuthMethod: v.auth, Policy: req.Policy, InitialAccessToken: req.InitialAccessToken, RegistrationToken: regToken,
	}, s.now())
	if errors.Is(err, models.ErrRegistrationTokenInvalid) {
		return nil, ErrRegistrationToken.Describe("the initial access token is unknown, expired, revoked or used up")
	}
	if err != nil {
		return nil, err
	}
	resp := s.registrationResponse(c, req.ManagePath)
	resp.RegistrationAccessToken = regToken
	if secret != "" {
		never := int64(0)
		resp.ClientSecret, resp.ClientSecretExpiresAt = secret, &never
	}
	return resp, nil
}

// registrationClient authenticates an RFC 7592 request: the client must be dynamic and the
// token its registration access token, compared in constant time (as SHA-256 digests, so the
// comparison's length is fixed too). An unknown client answers like a wrong token (§2.1), and so
// does, for writes, a client an administrator suspended or revoked.
func (s *Server) registrationClient(ctx context.Context, clientID, token string, write bool) (*models.Client, error) {
	c, err := s.store.DynamicClient(ctx, clientID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && token == "") {
		return nil, ErrRegistrationToken
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(models.HashToken(token)), []byte(c.RegistrationTokenHash)) != 1 {
		return nil, ErrRegistrationToken
	}
	if write && !c.Usable() {
		return nil, ErrRegistrationToken.Describe("this client is %s: its registration can no longer be changed", c.Status)
	}
	return c, nil
}

// ReadRegistration answers RFC 7592 §2.1: the client's current registration. The secret and
// the registration access token are stored as hashes only, so neither is returned again.
func (s *Server) ReadRegistration(ctx context.Context, clientID, token, managePath string) (*RegistrationResponse, error) {
	c, err := s.registrationClient(ctx, clientID, token, false)
	if err != nil {
		return nil, err
	}
	return s.registrationResponse(c, managePath), nil
}

// UpdateRegistration answers RFC 7592 §2.2: u replaces the registration, validated like a new
// one under policy; the client's type cannot change, and its secret stays as it is.
func (s *Server) UpdateRegistration(ctx context.Context, clientID, token, policy string, u RegistrationUpdate, managePath string) (*RegistrationResponse, error) {
	c, err := s.registrationClient(ctx, clientID, token, true)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Forbidden != "":
		return nil, ErrInvalidRequest.Describe("%s must not be sent in an update (RFC 7592 §2.2)", u.Forbidden)
	case u.ClientID != c.ID:
		return nil, ErrInvalidRequest.Describe("client_id must be sent and match the client being updated")
	}
	if u.ClientSecret != "" && !secretMatches(c, u.ClientSecret) {
		return nil, ErrInvalidRequest.Describe("client_secret does not match the client's current secret")
	}
	// Checked under the policy the client registered with: an operator who later opens
	// registration does not lock confidential clients out of their own updates.
	if c.RegistrationPolicy != "" {
		policy = c.RegistrationPolicy
	}
	v, err := s.validateMetadata(ctx, policy, u.ClientMetadata)
	if err != nil {
		return nil, err
	}
	if v.typ != c.Type {
		return nil, ErrInvalidClientMetadata.Describe("token_endpoint_auth_method and grant_types cannot change the kind of client (%s); delete it and register again", c.Type)
	}
	p := v.profile
	p.AllowedOrigins, p.AccessTTLSeconds, p.RefreshTTLSeconds = c.AllowedOrigins, c.AccessTTLSeconds, c.RefreshTTLSeconds
	if err := s.store.UpdateDynamicClient(ctx, c.ID, p, v.auth); err != nil {
		return nil, err
	}
	if c, err = s.store.DynamicClient(ctx, c.ID); err != nil {
		return nil, err
	}
	return s.registrationResponse(c, managePath), nil
}

// DeleteRegistration answers RFC 7592 §2.3: the client and everything issued to it go.
func (s *Server) DeleteRegistration(ctx context.Context, clientID, token string) error {
	c, err := s.registrationClient(ctx, clientID, token, true)
	if err != nil {
		return err
	}
	return s.store.DeleteDynamicClient(ctx, c.ID)
}

func secretMatches(c *models.Client, secret string) bool {
	h := []byte(models.HashToken(secret))
	ok := false
	for _, sec := range c.Secrets {
		if subtle.ConstantTimeCompare(h, []byte(sec.Hash)) == 1 {
			ok = true
		}
	}
	return ok
}

// registrationResponse is c's registration as stored.
func (s *Server) registrationResponse(c *models.Client, managePath string) *RegistrationResponse {
	md := ClientMetadata{
		RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, ClientName: c.Name,
		ClientURI: c.HomepageURL, LogoURI: c.LogoURL, Scope: strings.Join(c.Scopes, " "), TOSURI: c.TermsURL, PolicyURI: c.PrivacyURL,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg,
	}
	md.GrantTypes, md.ResponseTypes = grantsOf(c.Type)
	return &RegistrationResponse{ClientID: c.ID, ClientIDIssuedAt: c.CreatedAt.Unix(), RegistrationClientURI: s.cfg.Issuer + managePath + c.ID, ClientMetadata: md}
}

// grantsOf is what a client of type t may do at the token endpoint, as registration metadata.
func grantsOf(t models.ClientType) (grants, responses []string) {
	if t == models.ClientMachine {
		return []string{GrantClientCredentials}, []string{}
	}
	return []string{GrantAuthorizationCode, GrantRefreshToken}, []string{"code"}
}

// validateMetadata checks RFC 7591 metadata with the portal's rules for the client type it
// implies, under policy. The first problem found is the error: invalid_redirect_uri for the
// redirect URIs, invalid_software_statement for a software statement, invalid_client_metadata
// for anything else, each naming the field.
func (s *Server) validateMetadata(ctx context.Context, policy string, md ClientMetadata) (*validatedMetadata, error) {
	if md.SoftwareStatement != "" {
		return nil, ErrInvalidSoftwareStatement.Describe("software statements are not supported; register without software_statement")
	}
	v := &validatedMetadata{auth: strings.TrimSpace(md.TokenEndpointAuthMethod)}
	if v.auth == "" {
		v.auth = AuthClientSecretBasic // RFC 7591 §2's default
		if policy == models.DCROpen {
			v.auth = AuthNone // the only method open registration allows
		}
	}
	switch v.auth {
	case AuthNone, AuthClientSecretBasic, AuthClientSecretPost:
	default:
		return nil, ErrInvalidClientMetadata.Describe("token_endpoint_auth_method %q is not supported: use none, client_secret_basic or client_secret_post", clip(v.auth))
	}
	if policy == models.DCROpen && v.auth != AuthNone {
		return nil, ErrInvalidClientMetadata.Describe("open registration creates public clients only: use token_endpoint_auth_method none with PKCE; a confidential client needs an initial access token")
	}
	grants := md.GrantTypes
	if len(grants) == 0 {
		grants = []string{GrantAuthorizationCode} // RFC 7591 §2's default
	}
	for _, g := range grants {
		if g != GrantAuthorizationCode && g != GrantRefreshToken && g != GrantClientCredentials {
			return nil, ErrInvalidClientMetadata.Describe("grant_type %q is not supported: use authorization_code (with refresh_token) or client_credentials", clip(g))
		}
	}
	code, refresh, cc := slices.Contains(grants, GrantAuthorizationCode), slices.Contains(grants, GrantRefreshToken), slices.Contains(grants, GrantClientCredentials)
	switch {
	case cc && (code || refresh):
		return nil, ErrInvalidClientMetadata.Describe("client_credentials cannot be combined with authorization_code or refresh_token: register two clients")
	case refresh && !code:
		return nil, ErrInvalidClientMetadata.Describe("grant_types: refresh_token needs authorization_code")
	case cc && v.auth == AuthNone:
		return nil, ErrInvalidClientMetadata.Describe("client_credentials needs a client secret: use token_endpoint_auth_method client_secret_basic or client_secret_post")
	}
	switch {
	case cc:
		v.typ = models.ClientMachine
	case v.auth == AuthNone:
		v.typ = models.ClientNative
	default:
		v.typ = models.ClientWeb
	}
	// RFC 7591 §2.1: the code response type goes with the authorization_code grant, and only
	// with it.
	for _, rt := range md.ResponseTypes {
		if rt != "code" || !code {
			return nil, ErrInvalidClientMetadata.Describe("response_types %q does not fit grant_types: use [\"code\"] with authorization_code, none with client_credentials", clip(rt))
		}
	}
	if code && md.ResponseTypes != nil && !slices.Contains(md.ResponseTypes, "code") {
		return nil, ErrInvalidClientMetadata.Describe("response_types must include code with the authorization_code grant")
	}

	errs := FieldErrors{}
	p := models.ClientProfile{Name: validateName(md.ClientName, errs)}
	if msg := errs["name"]; msg != "" {
		return nil, ErrInvalidClientMetadata.Describe("client_name: %s", msg)
	}
	if v.typ == models.ClientMachine {
		if slices.ContainsFunc(md.RedirectURIs, func(u string) bool { return strings.TrimSpace(u) != "" }) {
			return nil, ErrInvalidRedirectURIMetadata.Describe("a client_credentials client has no redirect_uris")
		}
	} else if p.RedirectURIs = validateRedirectURIs(v.typ, md.RedirectURIs, errs); errs["redirect_uris"] != "" {
		return nil, ErrInvalidRedirectURIMetadata.Describe("redirect_uris: %s", strings.Join(FieldErrorLines(errs["redirect_uris"]), " "))
	}
	if p.PostLogoutRedirectURIs = validatePostLogoutURIs(v.typ, md.PostLogoutRedirectURIs, errs); errs["post_logout_redirect_uris"] != "" {
		return nil, ErrInvalidRedirectURIMetadata.Describe("post_logout_redirect_uris: %s", strings.Join(FieldErrorLines(errs["post_logout_redirect_uris"]), " "))
	}
	for _, f := range []struct {
		field, raw string
		dst        *string
	}{
		{"logo_uri", md.LogoURI, &p.LogoURL}, {"client_uri", md.ClientURI, &p.HomepageURL},
		{"policy_uri", md.PolicyURI, &p.PrivacyURL}, {"tos_uri", md.TOSURI, &p.TermsURL},
	} {
		u := strings.TrimSpace(f.raw)
		if err := ValidateLink(u); err != nil {
			return nil, ErrInvalidClientMetadata.Describe("%s %s", f.field, err)
		}
		*f.dst = u
	}
	switch alg := strings.TrimSpace(md.IDTokenSignedResponseAlg); {
	case alg == "" || alg == AlgRS256:
	case v.typ != models.ClientMachine && slices.Contains(IDTokenAlgs, alg):
		p.IDTokenSignedResponseAlg = alg
	default:
		return nil, ErrInvalidClientMetadata.Describe("id_token_signed_response_alg %q is not supported: use RS256 or ES256", clip(alg))
	}
	scopes, err := s.registrationScopes(ctx, v.typ, md.Scope)
	if err != nil {
		return nil, err
	}
	p.Scopes = scopes
	v.profile = p
	return v, nil
}

// registrationScopes checks the requested scope against the active catalog: an unknown scope
// or one that needs an administrator's approval is refused. Omitted, the client gets every
// active scope that needs no approval (a machine client none of the sign-in scopes).
func (s *Server) registrationScopes(ctx context.Context, t models.ClientType, raw string) ([]string, error) {
	catalog, err := s.loadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	requested := ParseScope(raw)
	if len(requested) == 0 {
		for name, sc := range catalog {
			if !sc.Sensitive && (t != models.ClientMachine || !slices.Contains(models.StandardScopes, name)) {
				requested = append(requested, name)
			}
		}
		slices.Sort(requested)
		if len(requested) == 0 {
			return nil, ErrInvalidClientMetadata.Describe("scope: no scope can be registered without an administrator's approval")
		}
		return requested, nil
	}
	if t == models.ClientMachine && refuseSignInScopes(requested, FieldErrors{}) {
		return nil, ErrInvalidClientMetadata.Describe("scope: a client_credentials client signs no one in; remove openid, profile, email and offline_access")
	}
	for _, sc := range requested {
		entry, ok := catalog[sc]
		switch {
		case !ok:
			return nil, ErrInvalidClientMetadata.Describe("scope: %s", unknownScope(sc))
		case entry.Sensitive:
			return nil, ErrInvalidClientMetadata.Describe("scope: %q needs an administrator's approval, which dynamic registration cannot ask for; register it in the developer portal instead", sc)
		}
	}
	return requested, nil
}

// clip bounds a value quoted back in an error.
func clip(v string) string {
	if r := []rune(v); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return v
}
