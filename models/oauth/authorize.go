package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"

	"github.com/devportal/devportal/models"
)

// AuthorizeParams are the parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636
// §4.3), as the handler parsed them.
type AuthorizeParams struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	ResponseMode        string
	Scope               []string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string // "consent" shows the consent page even when the scopes were allowed before
	// Malformed, when set, is a parameter the handler could not parse; it is reported (to the
	// client, once the redirect URI is trusted) as invalid_request.
	Malformed error
	// Repeated names the parameters sent more than once, which RFC 6749 §3.1 forbids: a repeated
	// client_id or redirect_uri is shown to the user (neither can be trusted), any other is
	// reported to the client.
	Repeated []string
	// TooLong names a parameter longer than models.MaxProtocolParamLength, reported to the client.
	TooLong string
}

// AuthorizeRequest is a validated authorization request. Once one exists, its RedirectURI is
// trusted and every later error is sent there; before, errors are shown to the user.
type AuthorizeRequest struct {
	Client              *models.Client
	RedirectURI         string // where to send the response
	RequestedRedirect   string // redirect_uri exactly as sent ("" when omitted)
	Scopes              []models.Scope
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string
}

// ScopeNames lists the granted scope names.
func (r *AuthorizeRequest) ScopeNames() []string { return scopeNames(r.Scopes) }

// ValidateAuthorize checks an authorization request, deciding once between showing and
// redirecting (RFC 6749 §4.1.2.1): when the returned request is nil the error must be shown to
// the user; otherwise it must be sent to the request's redirect URI.
func (s *Server) ValidateAuthorize(ctx context.Context, p AuthorizeParams) (*AuthorizeRequest, error) {
	if slices.Contains(p.Repeated, "client_id") {
		return nil, repeatedParam("client_id")
	}
	if len(p.ClientID) > models.MaxProtocolParamLength || len(p.RedirectURI) > models.MaxURLLength {
		return nil, ErrInvalidRequest.Describe("client_id or redirect_uri is too long")
	}
	if p.ClientID == "" {
		return nil, ErrInvalidRequest.Describe("client_id is missing")
	}
	client, err := s.store.ClientByID(ctx, p.ClientID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, err
	}
	if err := clientUsable(client); err != nil {
		return nil, err
	}
	if client.Type == models.ClientMachine {
		return nil, ErrUnauthorizedClient.Describe("machine-to-machine applications cannot send users to authorize; use the client_credentials grant")
	}
	if slices.Contains(p.Repeated, "redirect_uri") {
		return nil, repeatedParam("redirect_uri")
	}
	redirect := p.RedirectURI
	switch {
	case redirect == "" && len(client.RedirectURIs) == 1:
		redirect = client.RedirectURIs[0]
	case redirect == "":
		return nil, ErrInvalidRedirectURI.Describe("redirect_uri is required: the application registered more than one")
	default:
		if _, ok := MatchRedirectURI(client, redirect); !ok {
			err := ErrInvalidRedirectURI.Describe("%s", explainRedirect(redirect, client.RedirectURIs))
			s.record(client.ID, "", "", err)
			return nil, err
		}
	}
	req := &AuthorizeRequest{Client: client, RedirectURI: redirect, RequestedRedirect: p.RedirectURI, State: p.State, Prompt: p.Prompt}
	if err := s.checkAuthorize(ctx, req, p); err != nil {
		s.record(client.ID, "", "", err)
		return req, err
	}
	return req, nil
}

// checkAuthorize validates the parameters judged after the redirect URI is trusted.
func (s *Server) checkAuthorize(ctx context.Context, req *AuthorizeRequest, p AuthorizeParams) error {
	client := req.Client

	switch {
	case len(p.Repeated) > 0:
		return repeatedParam(p.Repeated[0])
	case p.TooLong != "":
		if p.TooLong == "state" {
			req.State = "" // not echoed: that is what the limit is for
		}
		return ErrInvalidRequest.Describe("parameter %s is longer than %d bytes", p.TooLong, models.MaxProtocolParamLength)
	case p.Malformed != nil:
		return p.Malformed
	case p.ResponseType == "":
		return ErrInvalidRequest.Describe("response_type is missing")
	case p.ResponseType != "code":
		return ErrUnsupportedResponseType
	case p.ResponseMode != "" && p.ResponseMode != "query":
		return ErrInvalidRequest.Describe("response_mode must be query")
	}
	if p.CodeChallenge != "" {
		if p.CodeChallengeMethod != MethodS256 {
			return ErrInvalidRequest.Describe("code_challenge_method must be S256")
		}
		if len(p.CodeChallenge) != 43 || !validPKCEValue(p.CodeChallenge) {
			return ErrInvalidRequest.Describe("code_challenge must be the 43-character base64url SHA-256 of the code_verifier")
		}
		req.CodeChallenge, req.CodeChallengeMethod = p.CodeChallenge, MethodS256
	} else if p.CodeChallengeMethod != "" {
		return ErrInvalidRequest.Describe("code_challenge_method was sent without code_challenge")
	} else if client.Type == models.ClientNative {
		return ErrInvalidRequest.Describe("native applications must use PKCE: send code_challenge and code_challenge_method=S256")
	}
	scopes, err := s.resolveScopes(ctx, p.Scope, client.Scopes)
	if err != nil {
		return err
	}
	req.Scopes = scopes
	return nil
}

func repeatedParam(name string) error {
	return ErrInvalidRequest.Describe("parameter %s is repeated; send each parameter once (RFC 6749 §3.1)", name)
}

// ConsentNeeded tells whether the user must see the consent page, and which requested scopes
// they have not allowed this application before. A user who already allowed every requested
// scope of a confidential client goes straight back to it, unless prompt=consent asks to show
// the page anyway. A public client is asked every time: nothing proves that the program asking
// is the application the user allowed (RFC 8252 §8.6, RFC 6749 §10.2), since any program on the
// machine can use its client_id, a loopback port and a PKCE pair of its own.
func (s *Server) ConsentNeeded(ctx context.Context, req *AuthorizeRequest, userID int64) (bool, []string, error) {
	var granted []string
	c, err := s.store.ConsentFor(ctx, userID, req.Client.ID)
	switch {
	case err == nil:
		granted = c.Scope
	case !errors.Is(err, models.ErrNotFound):
		return false, nil, err
	}
	var fresh []string
	for _, name := range req.ScopeNames() {
		if !slices.Contains(granted, name) {
			fresh = append(fresh, name)
		}
	}
	return len(fresh) > 0 || req.Prompt == "consent" || !req.Client.Type.Confidential(), fresh, nil
}

// TrustsRedirect reports whether an error for req may be sent to its redirect URI without the
// user's interaction: only when the signed-in user (userID, 0 for none) allowed this application
// before. Anyone can register an application with any https redirect URI, so for everyone else
// an automatic error redirect would make the endpoint an open redirector (RFC 9700 §4.11.2).
func (s *Server) TrustsRedirect(ctx context.Context, req *AuthorizeRequest, userID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	_, err := s.store.ConsentFor(ctx, userID, req.Client.ID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, models.ErrNotFound):
		return false, nil
	}
	return false, err
}

// Deny returns the URL that tells the client the user said no.
func (s *Server) Deny(req *AuthorizeRequest) string {
	s.record(req.Client.ID, models.EventDenied, "", nil)
	return s.ErrorRedirect(req, ErrAccessDenied)
}

// Approve issues an authorization code for the signed-in user and returns the URL to redirect
// the browser to, carrying code, state and iss (RFC 9207).
func (s *Server) Approve(ctx context.Context, req *AuthorizeRequest, userID int64) (string, error) {
	code := models.NewToken("dpc_")
	now := s.now()
	row := &models.AuthCode{
		Hash:                models.HashToken(code),
		ClientID:            req.Client.ID,
		UserID:              userID,
		RedirectURI:         req.RequestedRedirect,
		Scope:               req.ScopeNames(),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: req.CodeChallengeMethod,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.CodeTTL),
	}
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		if err := tx.CreateAuthCode(ctx, row); err != nil {
			return err
		}
		return tx.SaveConsent(ctx, userID, req.Client.ID, row.Scope)
	})
	if err != nil {
		return "", err
	}
	s.record(req.Client.ID, models.EventAuthorization, "", nil)
	return s.redirectWith(req, url.Values{"code": {code}}), nil
}

// ErrorRedirect returns the URL that reports err to the client (RFC 6749 §4.1.2.1).
func (s *Server) ErrorRedirect(req *AuthorizeRequest, err error) string {
	var oe *Error
	if !errors.As(err, &oe) {
		oe = ErrServerError
	}
	v := url.Values{"error": {oe.Code}}
	if oe.Description != "" {
		v.Set("error_description", oe.Description)
	}
	return s.redirectWith(req, v)
}

// redirectWith adds v, state and iss to the redirect URI, keeping any query it already had.
func (s *Server) redirectWith(req *AuthorizeRequest, v url.Values) string {
	u, err := url.Parse(req.RedirectURI)
	if err != nil { // validated at registration; unreachable unless the row was edited by hand
		return req.RedirectURI
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	q.Set("iss", s.cfg.Issuer)
	u.RawQuery = q.Encode()
	return u.String()
}
