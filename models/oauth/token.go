package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
)

// Grant types of the token endpoint.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// TokenRequest is a token-endpoint request (RFC 6749 §4.1.3, §4.4.2, §6) with the client's
// credentials, however they were sent.
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	// DeviceCode is the device_code of a device access token request (RFC 8628 §3.4).
	DeviceCode   string
	Scope        []string
	ClientID     string
	ClientSecret string
	// Origin is the request's Origin header: set when a browser page sent it (CORS), where the
	// client must allow that origin.
	Origin string
	// IP is the caller's address, for the audit entry of a replay that revoked a grant.
	IP string
	// Resource holds every resource parameter (RFC 8707 §2); more than one is invalid_target.
	Resource []string
}

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string
	TokenType    string
	ExpiresIn    int64
	ExpiresAt    time.Time
	RefreshToken string
	Scope        []string
	// IDToken is set when the grant carries openid (OIDC Core §3.1.3.3, §12.2).
	IDToken string

	// signing holds the signatures still to make, in order (the access token before the ID
	// Token that hashes it). A grant's write transaction only stores; Token signs after it
	// commits, since on SQLite every writer of the instance waits while a transaction is open,
	// and an RS256 ID Token alone takes a millisecond.
	signing []func() error
}

// sign makes the signatures issue and addIDToken left for after the transaction.
func (r *TokenResponse) sign() error {
	for _, f := range r.signing {
		if err := f(); err != nil {
			return err
		}
	}
	r.signing = nil
	return nil
}

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	GrantID  string `json:"gid,omitempty"` // the grant whose revocation ends this token
}

// Token runs the token endpoint: it authenticates the client once for every grant, then
// dispatches on grant_type.
func (s *Server) Token(ctx context.Context, r TokenRequest) (*TokenResponse, error) {
	var grant func(context.Context, *models.Client, TokenRequest) (*TokenResponse, error)
	switch r.GrantType {
	case "":
		return nil, ErrInvalidRequest.Describe("grant_type is missing")
	case GrantAuthorizationCode:
		grant = s.authorizationCodeGrant
	case GrantClientCredentials:
		grant = s.clientCredentialsGrant
	case GrantRefreshToken:
		grant = s.refreshTokenGrant
	case GrantDeviceCode:
		grant = s.deviceCodeGrant
	default:
		return nil, ErrUnsupportedGrantType.Describe("grant_type %q is not supported", r.GrantType)
	}
	client, err := s.AuthenticateClient(ctx, r.ClientID, r.ClientSecret)
	if err != nil {
		if errors.Is(err, ErrBadClientSecret) || errors.Is(err, ErrClientDisabled) {
			s.record(r.ClientID, "", r.GrantType, err) // the client exists: its developer should know
		}
		return nil, err
	}
	// Before the grant runs: a page the client does not allow must not spend its code or rotate
	// its refresh token, even though the browser would hide the answer from that page.
	if err := s.CheckOrigin(client, r.Origin); err != nil {
		s.record(client.ID, "", r.GrantType, err)
		return nil, err
	}
	if !grantAllowed(client.Type, r.GrantType) {
		err := ErrUnauthorizedClient.Describe("%s applications cannot use the %s grant", client.Type, r.GrantType)
		s.record(client.ID, "", r.GrantType, err)
		return nil, err
	}
	resp, err := grant(ctx, client, r)
	if err == nil {
		if err = resp.sign(); err != nil {
			resp = nil
		}
	}
	kind := models.EventToken
	if r.GrantType == GrantRefreshToken {
		kind = models.EventRefresh
	}
	if !devicePolling(err) { // a device waiting for its user polls every few seconds
		s.record(client.ID, kind, r.GrantType, err)
	}
	s.countToken(r.GrantType, err)
	return resp, err
}

func grantAllowed(t models.ClientType, grant string) bool {
	if t == models.ClientMachine {
		return grant == GrantClientCredentials
	}
	return grant == GrantAuthorizationCode || grant == GrantRefreshToken || grant == GrantDeviceCode
}

// AuthenticateClient checks a client's credentials (RFC 6749 §2.3). Confidential clients need a
// secret matching one of their usable secrets, compared in constant time; public clients must
// send none.
func (s *Server) AuthenticateClient(ctx context.Context, clientID, secret string) (*models.Client, error) {
	client, err := s.authenticateClient(ctx, clientID, secret)
	if err != nil {
		s.countAuthFailure(err)
	}
	return client, err
}

func (s *Server) authenticateClient(ctx context.Context, clientID, secret string) (*models.Client, error) {
	if clientID == "" {
		return nil, ErrMissingClient
	}
	client, err := s.clientByID(ctx, clientID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, err
	}
	if err := clientUsable(client); err != nil {
		return nil, err
	}
	if !client.Type.Confidential() {
		if secret != "" {
			return nil, ErrInvalidClient.Describe("native applications have no client secret; send only client_id")
		}
		return client, nil
	}
	if secret == "" {
		return nil, ErrBadClientSecret.Describe("client authentication is required: use HTTP Basic or client_secret in the body")
	}
	presented := []byte(models.HashToken(secret))
	now := s.now()
	var matched *models.ClientSecret
	for i := range client.Secrets {
		cs := &client.Secrets[i]
		// Compare against every secret, so timing does not tell which one matched.
		if subtle.ConstantTimeCompare(presented, []byte(cs.Hash)) == 1 && cs.Usable(now) {
			matched = cs
		}
	}
	if matched == nil {
		return nil, ErrBadClientSecret
	}
	// Last use is kept to the hour, so the token endpoint writes at most once an hour per secret.
	if matched.LastUsedAt == nil || now.Sub(*matched.LastUsedAt) > time.Hour {
		if err := s.store.TouchSecret(ctx, matched.ID, now); err != nil {
			return nil, err
		}
		s.clients.forget(client.ID) // its cached last use is now stale
	}
	return client, nil
}

func (s *Server) authorizationCodeGrant(ctx context.Context, client *models.Client, r TokenRequest) (*TokenResponse, error) {
	if r.Code == "" {
		return nil, ErrInvalidRequest.Describe("code is missing")
	}
	now := s.now()
	var resp *TokenResponse
	var failed error
	replayed := false
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		code, err := tx.ConsumeAuthCode(ctx, models.HashToken(r.Code), client.ID, now)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return ErrInvalidGrant.Describe("the authorization code is unknown or was issued to another client")
		case errors.Is(err, models.ErrAlreadyUsed):
			// RFC 6749 §4.1.2: a replayed code means it leaked; end what it produced.
			replayed = true // commit the revocation, then report the replay
			if code.GrantID != nil {
				return tx.RevokeReplayedGrant(ctx, *code.GrantID, now, replayAudit(models.AuditCodeReplayed, client, r))
			}
			return nil
		case err != nil:
			return err
		}
		// A code that fails a check stays used: whoever presents it wrongly, perhaps with a
		// guessed verifier, gets no second try.
		if !now.Before(code.ExpiresAt) {
			failed = ErrInvalidGrant.Describe("the authorization code has expired")
			return nil
		}
		if failed = checkCodeRedirect(client, code.RedirectURI, r.RedirectURI); failed != nil {
			return nil
		}
		if failed = verifyPKCE(code.CodeChallenge, code.CodeChallengeMethod, r.CodeVerifier); failed != nil {
			return nil
		}
		// The user may have revoked the application or been disabled since the code was issued.
		ok, err := tx.ConsentCovers(ctx, code.UserID, client.ID, code.Scope)
		if err != nil {
			return err
		}
		if !ok {
			failed = ErrInvalidGrant.Describe("the user no longer allows this application, or their account is disabled")
			return nil
		}
		// RFC 8707 §2.2: the token request may name the code's resource again, or (for a code
		// that named none) one API of its scopes, narrowing this access token to it.
		scope, err := s.narrowToResource(ctx, code.APIID, code.Scope, r.Resource, code.Scope, false)
		if err != nil {
			failed = err
			return nil
		}
		g := &models.Grant{ID: models.NewID(16), ClientID: client.ID, UserID: &code.UserID, Subject: code.Subject, Scope: code.Scope, CreatedAt: now, Authn: code.Authn, APIID: code.APIID}
		if err := tx.CreateGrant(ctx, g); err != nil {
			return err
		}
		if err := tx.LinkAuthCode(ctx, code.Hash, g.ID); err != nil {
			return err
		}
		var refresh *refreshSpec
		if refreshAllowed(code.Scope) {
			refresh = &refreshSpec{scope: code.Scope}
		}
		if resp, err = s.issue(ctx, tx, client, g, code.Subject, scope, refresh); err != nil {
			return err
		}
		return s.addIDToken(ctx, tx, client, g, resp, code.Nonce)
	})
	switch {
	case err != nil:
		return nil, err
	case replayed:
		return nil, ErrCodeReused
	case failed != nil:
		return nil, failed
	}
	return resp, nil
}

// checkCodeRedirect enforces RFC 6749 §4.1.3: if the authorization request carried redirect_uri,
// the token request must carry the identical value.
func checkCodeRedirect(client *models.Client, atAuthorize, atToken string) error {
	switch {
	case atAuthorize != "" && atToken != atAuthorize:
		return ErrInvalidGrant.Describe("redirect_uri must be identical to the one sent in the authorization request: %s", explainRedirect(atToken, []string{atAuthorize}))
	case atAuthorize == "" && atToken != "":
		if _, ok := MatchRedirectURI(client, atToken); !ok {
			return ErrInvalidGrant.Describe("redirect_uri is not registered for this client")
		}
	}
	return nil
}

func (s *Server) clientCredentialsGrant(ctx context.Context, client *models.Client, r TokenRequest) (*TokenResponse, error) {
	for _, name := range r.Scope {
		if IsIdentityScope(name) {
			return nil, ErrInvalidScope.Describe("scope %q is about a signed-in user, and the client_credentials grant has none", name)
		}
	}
	scopes, _, err := s.resolveForResource(ctx, r.Resource, r.Scope, client.Scopes)
	if err != nil {
		return nil, err
	}
	// The token's audience follows from its scopes, which all belong to the resource when one
	// was named (tokenTarget). No grant row and no refresh token (RFC 6749 §4.4.3): the client
	// can simply ask again, and the hot path stays free of writes. Suspending the client ends
	// these tokens.
	return s.issue(ctx, nil, client, nil, client.ID, scopeNames(scopes), nil)
}

func (s *Server) refreshTokenGrant(ctx context.Context, client *models.Client, r TokenRequest) (*TokenResponse, error) {
	if r.RefreshToken == "" {
		return nil, ErrInvalidRequest.Describe("refresh_token is missing")
	}
	now := s.now()
	successor := s.successor(r.RefreshToken)
	var resp *TokenResponse
	replayed := false
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		rt, err := tx.UseRefreshToken(ctx, models.HashToken(r.RefreshToken), client.ID, now)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return ErrInvalidGrant.Describe("the refresh token is unknown or was issued to another client")
		case err != nil && !errors.Is(err, models.ErrAlreadyUsed):
			return err
		case rt.Grant.RevokedAt != nil:
			return ErrInvalidGrant.Describe("the grant was revoked")
		case err != nil:
			if s.withinGrace(ctx, tx, rt, successor, now) {
				if s.familyEnded(&rt.Grant, now) {
					return errFamilyEnded
				}
				if err := narrowsGrant(r.Scope, rt.Scope); err != nil {
					return err
				}
				scope, err := s.narrowToResource(ctx, rt.Grant.APIID, rt.Scope, r.Resource, narrowOr(r.Scope, rt.Scope), len(r.Scope) > 0)
				if err != nil {
					return err
				}
				// The client lost our answer: give it the same successor again.
				if resp, err = s.issue(ctx, nil, client, &rt.Grant, subjectOf(&rt.Grant), scope, nil); err != nil {
					return err
				}
				resp.RefreshToken = successor
				return s.addIDToken(ctx, tx, client, &rt.Grant, resp, "")
			}
			// RFC 9700 §4.14.2: a rotated token came back, so it leaked; end the family, commit
			// that, and report the replay after.
			replayed = true
			return tx.RevokeReplayedGrant(ctx, rt.GrantID, now, replayAudit(models.AuditRefreshReused, client, r))
		case s.familyEnded(&rt.Grant, now):
			return errFamilyEnded
		case !now.Before(rt.ExpiresAt):
			return ErrInvalidGrant.Describe("the refresh token has expired")
		}
		if err := narrowsGrant(r.Scope, rt.Scope); err != nil {
			return err
		}
		// RFC 8707 §2.2: a refresh may name a resource of the original grant, never another.
		scope, err := s.narrowToResource(ctx, rt.Grant.APIID, rt.Scope, r.Resource, narrowOr(r.Scope, rt.Scope), len(r.Scope) > 0)
		if err != nil {
			return err
		}
		// The new refresh token keeps the grant's scope (RFC 6749 §6); only the access token narrows.
		if resp, err = s.issue(ctx, tx, client, &rt.Grant, subjectOf(&rt.Grant), scope, &refreshSpec{token: successor, scope: rt.Scope}); err != nil {
			return err
		}
		// A new ID Token for the same sign-in, without the nonce (OIDC Core §12.2).
		return s.addIDToken(ctx, tx, client, &rt.Grant, resp, "")
	})
	if err == nil && replayed {
		return nil, ErrRefreshTokenReused
	}
	return resp, err
}

// replayAudit is the audit entry of a replay by client that revoked a grant: the client is both
// actor and target, and the store adds the grant and its user.
func replayAudit(typ string, client *models.Client, r TokenRequest) *models.AuditEvent {
	return &models.AuditEvent{Type: typ, Actor: client.ID, Target: client.ID, IP: r.IP}
}

// errFamilyEnded refuses a refresh once the grant has lived RefreshFamilyTTL.
var errFamilyEnded = ErrInvalidGrant.Describe("the authorization has reached its maximum lifetime; sign in again")

// familyEnd is the instant g's refresh tokens stop working, however recently they rotated.
func (s *Server) familyEnd(g *models.Grant) time.Time { return g.CreatedAt.Add(s.cfg.RefreshFamilyTTL) }

func (s *Server) familyEnded(g *models.Grant, now time.Time) bool { return !now.Before(s.familyEnd(g)) }

// narrowsGrant allows a refresh to ask for less than the grant, never more (RFC 6749 §6).
func narrowsGrant(requested, granted []string) error {
	for _, sc := range requested {
		if !slices.Contains(granted, sc) {
			return ErrScopeNotAllowed.Describe("scope %q was not part of the original grant", sc)
		}
	}
	return nil
}

func narrowOr(requested, granted []string) []string {
	if len(requested) > 0 {
		return requested
	}
	return granted
}

// successor derives the refresh token that replaces token. Deriving it (an HMAC under a key
// from the server secret) instead of storing it lets a retry within the grace window receive
// the very same token while only hashes are stored.
func (s *Server) successor(token string) string {
	m := hmac.New(sha256.New, s.rot)
	m.Write([]byte(token))
	return "dpr_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// withinGrace reports whether a reused refresh token is a lost-response retry: inside the grace
// window, and its successor not yet used.
func (s *Server) withinGrace(ctx context.Context, tx *models.Store, used *models.RefreshToken, successor string, now time.Time) bool {
	if s.cfg.RefreshGrace <= 0 || used.UsedAt == nil || now.Sub(*used.UsedAt) > s.cfg.RefreshGrace {
		return false
	}
	next, err := tx.RefreshTokenByHash(ctx, models.HashToken(successor))
	return err == nil && next.UsedAt == nil && next.GrantID == used.GrantID
}

func subjectOf(g *models.Grant) string {
	if g.UserID == nil {
		return g.ClientID
	}
	return g.Subject
}

// refreshAllowed decides whether a code exchange for scope gets a refresh token. For an OpenID
// request it takes offline_access (OIDC Core §11): a sign-in alone does not keep access while the
// user is away. A plain OAuth 2.0 grant, without openid, gets one as it always has.
func refreshAllowed(scope []string) bool {
	return !slices.Contains(scope, ScopeOpenID) || slices.Contains(scope, ScopeOfflineAccess)
}

// addIDToken adds an ID Token to resp when its access token carries openid, for the user of g,
// read in tx so a disabled or deleted account gets none.
func (s *Server) addIDToken(ctx context.Context, tx *models.Store, client *models.Client, g *models.Grant, resp *TokenResponse, nonce string) error {
	if !slices.Contains(resp.Scope, ScopeOpenID) || g.UserID == nil {
		return nil
	}
	u, err := tx.UserByID(ctx, *g.UserID)
	if err != nil {
		return err
	}
	if u.DisabledAt != nil {
		return ErrInvalidGrant.Describe("the user's account is disabled")
	}
	accessTTL, _ := s.lifetimes(client)
	now := s.now()
	resp.signing = append(resp.signing, func() (err error) { // after the access token: at_hash
		resp.IDToken, err = s.mintIDToken(client, idTokenSpec{user: u, scope: resp.Scope, authn: g.Authn, nonce: nonce, accessToken: resp.AccessToken}, now, accessTTL)
		return err
	})
	return nil
}

// refreshSpec describes the refresh token to issue with an access token; it lives for the
// client's refresh lifetime from now, but never past the end of its family.
type refreshSpec struct {
	token string   // "" for a new random token
	scope []string // the grant's scope
}

// issue mints an access token for scope and, when refresh is set, stores a refresh token in tx
// under grant g. The token's aud and lifetime are its API's (tokenTarget): g's resource when
// it names one, else the one API of scope; a new grant type passes a resource by setting
// g.APIID, or lets the scopes decide.
func (s *Server) issue(ctx context.Context, tx *models.Store, client *models.Client, g *models.Grant, subject string, scope []string, refresh *refreshSpec) (*TokenResponse, error) {
	now := s.now()
	api, err := s.tokenTarget(ctx, g, scope)
	if err != nil {
		return nil, err
	}
	_, refreshTTL := s.lifetimes(client)
	accessTTL := s.accessLifetime(client, api)
	resp := &TokenResponse{
		TokenType: "Bearer",
		ExpiresIn: int64(accessTTL / time.Second),
		ExpiresAt: now.Add(accessTTL),
		Scope:     scope,
	}
	aud := s.audienceOf(api)
	resp.signing = append(resp.signing, func() (err error) {
		resp.AccessToken, err = s.mintAccess(client, g, subject, scope, aud, now, accessTTL)
		return err
	})
	if refresh != nil && g != nil {
		token := refresh.token
		if token == "" {
			token = models.NewToken("dpr_")
		}
		// No successor outlives its family.
		expires := now.Add(refreshTTL)
		if end := s.familyEnd(g); end.Before(expires) {
			expires = end
		}
		row := &models.RefreshToken{Hash: models.HashToken(token), GrantID: g.ID, Scope: refresh.scope, CreatedAt: now, ExpiresAt: expires}
		if err := tx.CreateRefreshToken(ctx, row); err != nil {
			return nil, err
		}
		resp.RefreshToken = token
	}
	return resp, nil
}

// mintAccess signs a JWT access token (RFC 9068) for the resource aud.
func (s *Server) mintAccess(client *models.Client, g *models.Grant, subject string, scope []string, aud string, now time.Time, ttl time.Duration) (string, error) {
	s.keys.mu.RLock()
	signer := s.keys.signer
	s.keys.mu.RUnlock()
	if signer == nil {
		return "", errors.New("oauth: no signing key loaded")
	}
	claims := AccessClaims{
		Claims: jwt.Claims{
			Issuer:   s.cfg.Issuer,
			Subject:  subject,
			Audience: jwt.Audience{aud},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
			ID:       models.NewID(16),
		},
		ClientID: client.ID,
		Scope:    models.Words(scope).String(),
	}
	if g != nil {
		claims.GrantID = g.ID
	}
	return signJSON(signer, claims)
}

// signJSON signs claims as a compact JWS. It marshals once and signs the bytes: jwt.Signed's
// builder would round-trip the claims through JSON a second time to normalise them, a third of
// the signing cost.
func signJSON(signer *jwsSigner, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return signer.sign(payload)
}
