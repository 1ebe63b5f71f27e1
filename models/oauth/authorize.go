package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// Prompt is the space-separated prompt parameter (OIDC Core §3.1.2.1): none, login, consent,
	// select_account, and create (OpenID Connect Prompt Create 1.0).
	Prompt string
	// The other OpenID Connect parameters: nonce, max_age (as sent), login_hint, id_token_hint.
	Nonce, MaxAge, LoginHint, IDTokenHint string
	// Request and RequestURI are the request-object parameters, which are refused.
	Request, RequestURI string
	// Malformed, when set, is a parameter the handler could not parse; it is reported (to the
	// client, once the redirect URI is trusted) as invalid_request.
	Malformed error
	// Repeated names the parameters sent more than once, which RFC 6749 §3.1 forbids: a repeated
	// client_id or redirect_uri is shown to the user (neither can be trusted), any other is
	// reported to the client.
	Repeated []string
	// TooLong names a parameter longer than models.MaxProtocolParamLength, reported to the client.
	TooLong string
	// Resource holds every resource parameter (RFC 8707 §2); more than one is invalid_target.
	Resource []string
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
	// FormPost delivers the response as an auto-submitted form (OAuth 2.0 Form Post Response
	// Mode) instead of in the redirect's query.
	FormPost bool
	Prompts  []string // the prompt values, validated
	Nonce    string
	// MaxAge is the most seconds since the user last authenticated (OIDC Core §3.1.2.1); -1 when
	// not sent.
	MaxAge    int
	LoginHint string
	// Hint is the id_token_hint, verified; nil when none was sent.
	Hint *IDClaims
	// API is the resource the request named (RFC 8707), kept with the code; nil for none.
	API *models.API
}

// ScopeNames lists the granted scope names.
func (r *AuthorizeRequest) ScopeNames() []string { return scopeNames(r.Scopes) }

// OpenID reports whether this is an OpenID Connect request (its scope has openid).
func (r *AuthorizeRequest) OpenID() bool { return slices.Contains(r.ScopeNames(), ScopeOpenID) }

// Prompted reports whether the request's prompt includes value.
func (r *AuthorizeRequest) Prompted(value string) bool { return slices.Contains(r.Prompts, value) }

// The prompt values (OIDC Core §3.1.2.1; create from OpenID Connect Prompt Create 1.0).
const (
	PromptNone          = "none"
	PromptLogin         = "login"
	PromptConsent       = "consent"
	PromptSelectAccount = "select_account"
	PromptCreate        = "create"
)

var promptValues = []string{PromptNone, PromptLogin, PromptConsent, PromptSelectAccount, PromptCreate}

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices §2.1, Form Post Response
// Mode §2).
const (
	ResponseModeQuery    = "query"
	ResponseModeFormPost = "form_post"
)

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
	client, err := s.lookupClient(ctx, p.ClientID)
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
	case redirect == "" && slices.Contains(p.Scope, ScopeOpenID):
		return nil, ErrInvalidRedirectURI.Describe("redirect_uri is required in an OpenID Connect request (OIDC Core §3.1.2.1)")
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
	req := &AuthorizeRequest{Client: client, RedirectURI: redirect, RequestedRedirect: p.RedirectURI, State: p.State, MaxAge: -1,
		// Errors go back in the mode asked for, once that mode is one we have.
		FormPost: p.ResponseMode == ResponseModeFormPost}
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
	case p.ResponseMode != "" && p.ResponseMode != ResponseModeQuery && p.ResponseMode != ResponseModeFormPost:
		return ErrInvalidRequest.Describe("response_mode must be query or form_post")
	case p.Request != "":
		return ErrRequestNotSupported
	case p.RequestURI != "":
		return ErrRequestURINotSupported
	}
	if err := s.checkOpenID(req, p); err != nil {
		return err
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
	scopes, api, err := s.resolveForResource(ctx, p.Resource, p.Scope, client.Scopes)
	if err != nil {
		return err
	}
	req.Scopes, req.API = scopes, api
	return nil
}

// checkOpenID validates prompt, max_age and id_token_hint (OIDC Core §3.1.2.1) and keeps nonce
// and login_hint. They are read for any request, since prompt=consent predates OpenID here.
func (s *Server) checkOpenID(req *AuthorizeRequest, p AuthorizeParams) error {
	for _, v := range strings.Fields(p.Prompt) {
		if !slices.Contains(promptValues, v) {
			return ErrInvalidRequest.Describe("prompt %q is not supported; use none, login, consent, select_account or create", v)
		}
		if !slices.Contains(req.Prompts, v) {
			req.Prompts = append(req.Prompts, v)
		}
	}
	if req.Prompted(PromptNone) && len(req.Prompts) > 1 {
		return ErrInvalidRequest.Describe("prompt=none cannot be combined with other prompt values")
	}
	if p.MaxAge != "" {
		n, err := strconv.Atoi(p.MaxAge)
		if err != nil || n < 0 {
			return ErrInvalidRequest.Describe("max_age must be a whole number of seconds, 0 or more")
		}
		req.MaxAge = n
	}
	if p.IDTokenHint != "" {
		hint, err := s.ParseIDTokenHint(p.IDTokenHint, req.Client.ID)
		if err != nil {
			return err
		}
		req.Hint = hint
	}
	req.Nonce, req.LoginHint = p.Nonce, p.LoginHint
	return nil
}

// Authentication is the signed-in user as the authorization endpoint sees them: the account and
// the portal session (when and how they signed in, and its sid).
type Authentication struct {
	User    *models.User
	Session *models.Session
}

func (a *Authentication) authn() models.Authn {
	t := a.Session.CreatedAt
	return models.Authn{AuthTime: &t, AMR: a.Session.AMR, SID: a.Session.SID}
}

// Step is what the authorization endpoint does next for a request and a (possibly absent)
// signed-in user.
type Step int

// The steps, in the order NextStep considers them.
const (
	StepApprove       Step = iota // issue the code and go back to the client
	StepLogin                     // send the user to log in, even if signed in (continue with ContinueAfter)
	StepSignup                    // prompt=create: send a signed-out user to create an account
	StepSelectAccount             // ask the user which account to continue with
	StepConsent                   // show the consent page
)

// NextStep decides between logging in, choosing an account, consent and approving (OIDC Core
// §3.1.2.3–4): a signed-out user, prompt=login, an authentication older than max_age (0: always)
// and an id_token_hint naming someone else all need a login; prompt=select_account asks which
// account; then consent as ConsentNeeded says. With prompt=none, whatever would need the user
// is an error for the client instead: login_required, consent_required or
// account_selection_required. fresh lists the scopes not allowed before.
func (s *Server) NextStep(ctx context.Context, req *AuthorizeRequest, a *Authentication) (step Step, fresh []string, err error) {
	step = StepApprove
	switch {
	case a == nil && req.Prompted(PromptCreate):
		step = StepSignup
	case a == nil, req.Prompted(PromptLogin):
		step = StepLogin
	case req.MaxAge >= 0 && s.now().Sub(a.Session.CreatedAt) >= time.Duration(req.MaxAge)*time.Second:
		step = StepLogin // max_age=0 therefore always asks
	case req.Hint != nil && req.Hint.Subject != a.User.Subject:
		step = StepLogin
	case req.Prompted(PromptSelectAccount):
		step = StepSelectAccount
	}
	if step == StepApprove {
		var needed bool
		if needed, fresh, err = s.ConsentNeeded(ctx, req, a.User.ID); err != nil {
			return 0, nil, err
		}
		if needed {
			step = StepConsent
		}
	}
	if req.Prompted(PromptNone) {
		switch step {
		case StepLogin, StepSignup:
			err = ErrLoginRequired
		case StepConsent:
			err = ErrConsentRequired
		}
		if err != nil {
			s.record(req.Client.ID, "", "", err)
			return 0, nil, err
		}
	}
	return step, fresh, nil
}

// ContinueAfter is the authorization request to come back to once the user has done step: the
// demand that caused it (prompt login, select_account or create, max_age, id_token_hint) is
// removed, since the user has just met it, so the request does not send them round again.
func ContinueAfter(step Step, v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	var drop []string
	switch step {
	case StepLogin, StepSignup:
		drop = []string{PromptLogin, PromptCreate, PromptSelectAccount}
		out.Del("max_age")
		out.Del("id_token_hint")
	case StepSelectAccount:
		drop = []string{PromptSelectAccount}
	}
	if prompt := out.Get("prompt"); prompt != "" {
		kept := slices.DeleteFunc(strings.Fields(prompt), func(p string) bool { return slices.Contains(drop, p) })
		if len(kept) == 0 {
			out.Del("prompt")
		} else {
			out.Set("prompt", strings.Join(kept, " "))
		}
	}
	return out
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
	return len(fresh) > 0 || req.Prompted(PromptConsent) || !req.Client.Type.Confidential(), fresh, nil
}

// TrustsRedirect reports whether an error for req may be sent to its redirect URI without the
// user's interaction: only when the signed-in user (userID, 0 for none) allowed this application
// before. Anyone can register an application with any https redirect URI, so for everyone else
// an automatic error redirect would make the endpoint an open redirector (RFC 9700 §4.11.2).
// The exception is prompt=none, whose whole point is an answer without any page (OIDC Core
// §3.1.2.6); docs/security.md weighs it.
func (s *Server) TrustsRedirect(ctx context.Context, req *AuthorizeRequest, userID int64) (bool, error) {
	if req.Prompted(PromptNone) {
		return true, nil
	}
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

// Response is an authorization response or error response on its way to the client (RFC 6749
// §4.1.2): its parameters, state and iss included, and whether they go in the redirect's query
// or in an auto-submitted form (OAuth 2.0 Form Post Response Mode).
type Response struct {
	RedirectURI string
	Params      url.Values
	FormPost    bool
}

// URL is the redirect URI with the parameters in its query, keeping any query it had.
func (r *Response) URL() string {
	u, err := url.Parse(r.RedirectURI)
	if err != nil { // validated at registration; unreachable unless the row was edited by hand
		return r.RedirectURI
	}
	q := u.Query()
	for k, vs := range r.Params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Deny returns the response that tells the client the user said no.
func (s *Server) Deny(req *AuthorizeRequest) *Response {
	s.record(req.Client.ID, models.EventDenied, "", nil)
	return s.ErrorResponse(req, ErrAccessDenied)
}

// Approve issues an authorization code for the signed-in user a and returns the response
// carrying code, state and iss (RFC 9207). The code remembers the request's nonce and a's
// sign-in, for the ID Token (OIDC Core §3.1.3.6).
func (s *Server) Approve(ctx context.Context, req *AuthorizeRequest, a *Authentication) (*Response, error) {
	code := models.NewToken("dpc_")
	now := s.now()
	userID := a.User.ID
	row := &models.AuthCode{
		Hash:                models.HashToken(code),
		ClientID:            req.Client.ID,
		UserID:              userID,
		Subject:             a.User.Subject,
		Nonce:               req.Nonce,
		Authn:               a.authn(),
		RedirectURI:         req.RequestedRedirect,
		Scope:               req.ScopeNames(),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: req.CodeChallengeMethod,
		APIID:               apiID(req.API),
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
		return nil, err
	}
	s.record(req.Client.ID, models.EventAuthorization, "", nil)
	return s.respond(req, url.Values{"code": {code}}), nil
}

// ErrorRedirect returns the URL that reports err to the client in the query (RFC 6749 §4.1.2.1).
func (s *Server) ErrorRedirect(req *AuthorizeRequest, err error) string {
	return s.ErrorResponse(req, err).URL()
}

// ErrorResponse returns the response that reports err to the client (RFC 6749 §4.1.2.1).
func (s *Server) ErrorResponse(req *AuthorizeRequest, err error) *Response {
	var oe *Error
	if !errors.As(err, &oe) {
		oe = ErrServerError
	}
	v := url.Values{"error": {oe.Code}}
	if oe.Description != "" {
		v.Set("error_description", oe.Description)
	}
	return s.respond(req, v)
}

// respond adds state and iss to v and addresses it to the request's redirect URI, in its mode.
func (s *Server) respond(req *AuthorizeRequest, v url.Values) *Response {
	if req.State != "" {
		v.Set("state", req.State)
	}
	v.Set("iss", s.cfg.Issuer)
	return &Response{RedirectURI: req.RedirectURI, Params: v, FormPost: req.FormPost}
}
