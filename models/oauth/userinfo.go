package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"

	"github.com/devportal/devportal/models"
)

// UserInfo is the userinfo answer (OIDC Core §5.3.2): sub, and the claims the scopes release.
type UserInfo struct {
	Subject string `json:"sub"`
	UserClaims
}

// UserInfo answers the userinfo endpoint (OIDC Core §5.3) for an access token: a valid access
// token (never an ID Token: ValidateAccessToken insists on at+jwt) that carries openid, whose
// user still exists and is enabled. It also returns the token's claims, for CORS.
func (s *Server) UserInfo(ctx context.Context, raw string) (*UserInfo, *AccessClaims, error) {
	c, err := s.ValidateAccessToken(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	if !c.HasScope(ScopeOpenID) {
		return nil, c, ErrInsufficientScope.Describe("the access token was not issued for openid")
	}
	if c.GrantID == "" { // client credentials: a token for no user cannot carry openid, but be sure
		return nil, c, ErrInvalidToken.Describe("the access token was not issued for a user")
	}
	u, err := s.store.UserBySubject(ctx, c.Subject)
	if errors.Is(err, models.ErrNotFound) {
		return nil, c, ErrInvalidToken.Describe("the token's user no longer exists")
	}
	if err != nil {
		return nil, c, err
	}
	// A disabled user's tokens are already refused by ValidateAccessToken (AccessTokenActive).
	return &UserInfo{Subject: u.Subject, UserClaims: claimsFor(u, ParseScope(c.Scope))}, c, nil
}

// LogoutParams are the parameters of an RP-Initiated Logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2).
type LogoutParams struct {
	IDTokenHint           string
	ClientID              string
	PostLogoutRedirectURI string
	State                 string
	// Repeated names parameters sent more than once.
	Repeated []string
}

// LogoutRequest is a validated logout request.
type LogoutRequest struct {
	// Client is the application asking, from the hint's audience or client_id; nil when neither
	// names one.
	Client *models.Client
	// RedirectURI is the post-logout redirect URI, registered by Client; "" when none was asked.
	RedirectURI string
	State       string
	// Hint is the verified id_token_hint, nil when none was sent.
	Hint *IDClaims
}

// ValidateLogout checks a logout request (RP-Initiated Logout §2–3). Every error is shown to the
// user, never redirected: the client is identified by the hint's audience or client_id (which
// must agree), and post_logout_redirect_uri must be one the client registered, character for
// character, so the endpoint never becomes an open redirector.
func (s *Server) ValidateLogout(ctx context.Context, p LogoutParams) (*LogoutRequest, error) {
	if len(p.Repeated) > 0 {
		return nil, repeatedParam(p.Repeated[0])
	}
	for _, v := range []string{p.IDTokenHint, p.ClientID, p.PostLogoutRedirectURI, p.State} {
		if len(v) > models.MaxProtocolParamLength {
			return nil, ErrInvalidRequest.Describe("a parameter is longer than %d bytes", models.MaxProtocolParamLength)
		}
	}
	req := &LogoutRequest{State: p.State}
	clientID := p.ClientID
	if p.IDTokenHint != "" {
		hint, err := s.ParseIDTokenHint(p.IDTokenHint, p.ClientID)
		if err != nil {
			return nil, ErrInvalidRequest.Describe("id_token_hint is not an ID Token this server issued (to client_id, when both are sent)")
		}
		req.Hint = hint
		if clientID == "" && len(hint.Audience) > 0 {
			clientID = hint.Audience[0]
		}
	}
	if clientID != "" {
		client, err := s.store.ClientByID(ctx, clientID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return nil, ErrUnknownClient
		case err != nil:
			return nil, err
		}
		req.Client = client
	}
	if uri := p.PostLogoutRedirectURI; uri != "" {
		if req.Client == nil {
			return nil, ErrInvalidRequest.Describe("post_logout_redirect_uri needs id_token_hint or client_id, to know which application registered it")
		}
		if !slices.Contains(req.Client.PostLogoutRedirectURIs, uri) {
			return nil, ErrInvalidRedirectURI.Describe("post_logout_redirect_uri is not one of this application's registered post-logout redirect URIs (exact match)")
		}
		if req.Client.Usable() {
			req.RedirectURI = uri
		}
	}
	return req, nil
}

// NeedsConfirmation reports whether the user must confirm before being signed out: unless the
// hint names the signed-in user's current session (same sub, and same sid), a page that merely
// links here could sign people out (RP-Initiated Logout §2, "SHOULD ask the End-User").
// Nobody signed in (a nil a) has nothing to confirm.
func (r *LogoutRequest) NeedsConfirmation(a *Authentication) bool {
	if a == nil {
		return false
	}
	return r.Hint == nil || r.Hint.Subject != a.User.Subject || (r.Hint.SID != "" && r.Hint.SID != a.Session.SID)
}

// ReturnURL is where to send the browser after the logout: the post-logout redirect URI with
// state, or "" to show the portal's own signed-out page.
func (r *LogoutRequest) ReturnURL() string {
	if r.RedirectURI == "" {
		return ""
	}
	u, err := url.Parse(r.RedirectURI)
	if err != nil {
		return ""
	}
	if r.State != "" {
		q := u.Query()
		q.Set("state", r.State)
		u.RawQuery = q.Encode()
	}
	return u.String()
}
