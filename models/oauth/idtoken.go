package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
)

// The OpenID Connect scopes (OIDC Core §3.1.2.1, §5.4, §11).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// identityScopes are the scopes that only say who the user is: a request for nothing else is a
// sign-in, and a machine client, which acts for no one, has no use for them.
var identityScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail}

// IsIdentityScope reports whether name is one of the OpenID Connect scopes, offline_access
// included.
func IsIdentityScope(name string) bool {
	return slices.Contains(models.StandardScopes, name)
}

// SignInOnly reports whether scopes ask for nothing but the user's identity (openid, profile,
// email), so the consent page can say "Sign in to App" instead of listing permissions.
func SignInOnly(scopes []string) bool {
	if !slices.Contains(scopes, ScopeOpenID) {
		return false
	}
	for _, s := range scopes {
		if !slices.Contains(identityScopes, s) {
			return false
		}
	}
	return true
}

// ClaimsSupported are the claims devportal can put in ID Tokens and userinfo answers
// (Discovery §3 claims_supported).
var ClaimsSupported = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "amr", "sid",
	"name", "preferred_username", "updated_at", "email", "email_verified",
}

// UserClaims are the claims about the user that the granted scopes release (OIDC Core §5.4):
// profile gives name, preferred_username and updated_at; email gives email and email_verified.
// A claim the account has no value for is left out, as §5.3.2 asks.
type UserClaims struct {
	Name              string `json:"name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	UpdatedAt         int64  `json:"updated_at,omitempty"`
	Email             string `json:"email,omitempty"`
	EmailVerified     *bool  `json:"email_verified,omitempty"`
}

// claimsFor releases u's claims for scope.
func claimsFor(u *models.User, scope []string) UserClaims {
	var c UserClaims
	if slices.Contains(scope, ScopeProfile) {
		// The display name is the only name an account has: it is both what to call the person
		// and how they would like to be shown.
		c.Name, c.PreferredUsername = u.DisplayName, u.DisplayName
		c.UpdatedAt = u.UpdatedAt.Unix()
	}
	if slices.Contains(scope, ScopeEmail) {
		// True only once a mailed link proved the current address (OIDC Core §5.1: a relying
		// party may trust email_verified=true to link accounts).
		verified := u.EmailVerifiedAt != nil
		c.Email, c.EmailVerified = u.Email, &verified
	}
	return c
}

// IDClaims are the claims of an ID Token (OIDC Core §2).
type IDClaims struct {
	jwt.Claims
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce,omitempty"`
	AtHash   string   `json:"at_hash,omitempty"`
	AZP      string   `json:"azp,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	SID      string   `json:"sid,omitempty"`
	UserClaims
}

// idTokenAlg is the algorithm of client's ID Tokens: its registered one, else RS256 (OIDC
// Registration §2 id_token_signed_response_alg), whatever algorithm access tokens use.
func idTokenAlg(c *models.Client) string {
	if c.IDTokenSignedResponseAlg == AlgES256 {
		return AlgES256
	}
	return AlgRS256
}

// idTokenSpec is what an ID Token says beyond the user: the sign-in behind it, the nonce of the
// authorization request (codes only, OIDC Core §12.2) and the access token it comes with.
type idTokenSpec struct {
	user        *models.User
	scope       []string
	authn       models.Authn
	nonce       string
	accessToken string
}

// mintIDToken signs an ID Token for client (OIDC Core §3.1.3.6): audience the client alone, azp
// the client, at_hash binding it to the access token issued with it (§3.1.3.8).
func (s *Server) mintIDToken(client *models.Client, sp idTokenSpec, now time.Time, ttl time.Duration) (string, error) {
	alg := idTokenAlg(client)
	s.keys.mu.RLock()
	signer := s.keys.idSigners[alg]
	s.keys.mu.RUnlock()
	if signer == nil {
		return "", errors.New("oauth: no " + alg + " signing key loaded")
	}
	authTime := now
	if sp.authn.AuthTime != nil {
		authTime = *sp.authn.AuthTime
	}
	claims := IDClaims{
		Claims: jwt.Claims{
			Issuer:   s.cfg.Issuer,
			Subject:  sp.user.Subject,
			Audience: jwt.Audience{client.ID},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
		},
		AuthTime:   authTime.Unix(),
		Nonce:      sp.nonce,
		AZP:        client.ID,
		AMR:        sp.authn.AMR,
		SID:        sp.authn.SID,
		UserClaims: claimsFor(sp.user, sp.scope),
	}
	if sp.accessToken != "" {
		claims.AtHash = halfHash(sp.accessToken)
	}
	return signJSON(signer, claims)
}

// halfHash is the at_hash of an access token: the left half of its SHA-256, base64url (OIDC Core
// §3.1.3.6; both RS256 and ES256 hash with SHA-256).
func halfHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// ErrInvalidIDTokenHint refuses an id_token_hint that is not an ID Token this server issued to the
// client at hand.
var ErrInvalidIDTokenHint = ErrInvalidRequest.Describe("id_token_hint is not an ID Token this server issued to this application")

// ParseIDTokenHint checks an ID Token given back as a hint (OIDC Core §3.1.2.1 id_token_hint,
// RP-Initiated Logout §2): our signature, the ID Token type (an access token is refused), our
// issuer, and, when clientID is set, that it was issued to that client. An expired one is
// accepted: the hint names a past sign-in, and logout in particular comes after expiry.
func (s *Server) ParseIDTokenHint(raw, clientID string) (*IDClaims, error) {
	tok, err := jwt.ParseSigned(raw, accessAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalidIDTokenHint
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "JWT" {
		return nil, ErrInvalidIDTokenHint
	}
	s.keys.mu.RLock()
	key, ok := s.keys.byKid[h.KeyID]
	s.keys.mu.RUnlock()
	if !ok {
		return nil, ErrInvalidIDTokenHint
	}
	var c IDClaims
	if err := tok.Claims(key, &c); err != nil || c.Issuer != s.cfg.Issuer || c.Subject == "" {
		return nil, ErrInvalidIDTokenHint
	}
	if clientID != "" && !slices.Contains(c.Audience, clientID) {
		return nil, ErrInvalidIDTokenHint
	}
	return &c, nil
}
