package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

const oidcRedirect = "https://rp.example.test/callback"

// oidcFixture is the OAuth fixture plus a web client registered for OpenID Connect.
type oidcFixture struct {
	*fixture
	rp       *models.Client // openid profile email offline_access INVOICE.READ, RS256
	rpSecret string
	es       *models.Client // openid email, registered for ES256 ID Tokens
	esSecret string
}

func mustOIDCFixture(t testing.TB, store *models.Store) *oidcFixture {
	t.Helper()
	f := &oidcFixture{fixture: mustFixture(t, store)}
	ctx := context.Background()
	if err := store.SetDisplayName(ctx, f.user.ID, "Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	u, err := store.UserByID(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.user = u
	f.rp, f.rpSecret = mustClient(t, store, models.ClientWeb, []string{oidcRedirect}, "openid", "profile", "email", "offline_access", "INVOICE.READ")
	var es *models.Client
	es, f.esSecret, err = store.CreateClient(ctx, models.NewClient{Name: "ES app", Type: models.ClientWeb, RedirectURIs: []string{oidcRedirect},
		Scopes: []string{"openid", "email"}, IDTokenSignedResponseAlg: oauth.AlgES256, PostLogoutRedirectURIs: []string{"https://rp.example.test/bye"}})
	if err != nil {
		t.Fatal(err)
	}
	f.es = es
	return f
}

// exchange runs the code flow for client as a (consent included) and returns the token response.
func (f *oidcFixture) exchange(t *testing.T, client *models.Client, secret string, a *oauth.Authentication, p oauth.AuthorizeParams) *oauth.TokenResponse {
	t.Helper()
	ctx := context.Background()
	p.ClientID, p.RedirectURI, p.ResponseType = client.ID, oidcRedirect, "code"
	req, err := f.srv.ValidateAuthorize(ctx, p)
	if err != nil {
		t.Fatalf("ValidateAuthorize: %v", err)
	}
	resp, err := f.srv.Approve(ctx, req, a)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	tok, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: resp.Params.Get("code"), RedirectURI: oidcRedirect, ClientID: client.ID, ClientSecret: secret})
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

// idClaims verifies an ID Token against the server's JWKS as a relying party would, and
// returns its header and claims.
func idClaims(t *testing.T, srv *oauth.Server, raw string, alg jose.SignatureAlgorithm) (jose.Header, map[string]any) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("the ID Token is not a %s JWT: %v", alg, err)
	}
	jwks := srv.JWKS()
	keys := jwks.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", tok.Headers[0].KeyID)
	}
	var claims map[string]any
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return tok.Headers[0], claims
}

// TestIDToken checks the ID Token of a code exchange and of a refresh (OIDC Core §2,
// §3.1.3.3, §3.1.3.6, §12.2).
func TestIDToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustOIDCFixture(t, store)
		ctx := context.Background()
		a := signIn(t, store, f.user)
		tok := f.exchange(t, f.rp, f.rpSecret, a, oauth.AuthorizeParams{Scope: []string{"openid", "profile", "email", "offline_access"}, Nonce: "n-0S6_WzA2Mj"})
		if tok.IDToken == "" || tok.RefreshToken == "" {
			t.Fatalf("OIDC Core §3.1.3.3: response %+v, want an id_token and (offline_access) a refresh token", tok)
		}
		h, c := idClaims(t, f.srv, tok.IDToken, jose.RS256)
		if h.ExtraHeaders[jose.HeaderType] != "JWT" {
			t.Errorf("typ = %v, want JWT (never at+jwt: an ID Token is not an access token)", h.ExtraHeaders[jose.HeaderType])
		}
		sum := sha256.Sum256([]byte(tok.AccessToken))
		want := map[string]any{
			"iss": issuer, "sub": f.user.Subject, "aud": f.rp.ID, "azp": f.rp.ID, "nonce": "n-0S6_WzA2Mj",
			"at_hash":   base64.RawURLEncoding.EncodeToString(sum[:16]),
			"auth_time": float64(a.Session.CreatedAt.Unix()), "sid": a.Session.SID,
			"name": "Ada Lovelace", "preferred_username": "Ada Lovelace", "updated_at": float64(f.user.UpdatedAt.Unix()),
			"email": f.user.Email, "email_verified": false,
		}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("claim %s = %v, want %v", k, c[k], v)
			}
		}
		if amr, _ := c["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
			t.Errorf("RFC 8176: amr = %v, want [pwd]", c["amr"])
		}
		if f.user.Subject == "" || f.user.Subject == f.user.Email || c["sub"] == "1" {
			t.Errorf("sub %v must be opaque: not the email, not the row number", c["sub"])
		}
		exp, iat := c["exp"].(float64), c["iat"].(float64)
		if exp <= iat {
			t.Errorf("exp %v must be after iat %v", exp, iat)
		}

		t.Run("OIDC Core §12.2: a refresh brings a new ID Token for the same sign-in, without nonce", func(t *testing.T) {
			r, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken, ClientID: f.rp.ID, ClientSecret: f.rpSecret})
			if err != nil {
				t.Fatal(err)
			}
			_, rc := idClaims(t, f.srv, r.IDToken, jose.RS256)
			for _, k := range []string{"iss", "sub", "aud", "auth_time", "azp", "sid"} {
				if rc[k] != c[k] {
					t.Errorf("%s = %v after refresh, want %v", k, rc[k], c[k])
				}
			}
			if _, ok := rc["nonce"]; ok {
				t.Errorf("nonce %v in a refreshed ID Token", rc["nonce"])
			}
		})
		t.Run("an ID Token is never accepted as an access token", func(t *testing.T) {
			if _, err := f.srv.ValidateAccessToken(ctx, tok.IDToken); !errors.Is(err, oauth.ErrInvalidToken) {
				t.Fatalf("ValidateAccessToken(id_token) = %v, want invalid_token", err)
			}
			if _, _, err := f.srv.UserInfo(ctx, tok.IDToken); !errors.Is(err, oauth.ErrInvalidToken) {
				t.Fatalf("UserInfo(id_token) = %v, want invalid_token", err)
			}
		})
		t.Run("and an access token is never accepted as an ID Token hint", func(t *testing.T) {
			if _, err := f.srv.ParseIDTokenHint(tok.AccessToken, ""); !errors.Is(err, oauth.ErrInvalidRequest) {
				t.Fatalf("ParseIDTokenHint(access token) = %v, want invalid_request", err)
			}
			if _, err := f.srv.ParseIDTokenHint(tok.IDToken, f.es.ID); !errors.Is(err, oauth.ErrInvalidRequest) {
				t.Fatalf("ParseIDTokenHint for another client = %v, want invalid_request", err)
			}
			if _, err := f.srv.ParseIDTokenHint(tok.IDToken, f.rp.ID); err != nil {
				t.Fatalf("ParseIDTokenHint of its own client: %v", err)
			}
		})
		t.Run("registered ES256: the ID Token is ES256, the access token keeps its algorithm", func(t *testing.T) {
			tok := f.exchange(t, f.es, f.esSecret, a, oauth.AuthorizeParams{Scope: []string{"openid", "email"}})
			h, c := idClaims(t, f.srv, tok.IDToken, jose.ES256)
			if h.Algorithm != "ES256" || c["aud"] != f.es.ID {
				t.Fatalf("alg %s aud %v, want ES256 for %s", h.Algorithm, c["aud"], f.es.ID)
			}
			if _, ok := c["name"]; ok {
				t.Errorf("name released without the profile scope: %v", c)
			}
			if _, ok := c["nonce"]; ok {
				t.Errorf("nonce %v in an ID Token whose request sent none", c["nonce"])
			}
		})
	})
}

// TestRefreshTokensForOpenIDRequests pins the offline_access rule (OIDC Core §11): an OpenID
// request gets a refresh token only with offline_access; a plain OAuth 2.0 request, as before.
func TestRefreshTokensForOpenIDRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustOIDCFixture(t, store)
		a := signIn(t, store, f.user)
		for _, tc := range []struct {
			scope            []string
			idToken, refresh bool
		}{
			{[]string{"openid"}, true, false},
			{[]string{"openid", "offline_access"}, true, true},
			{[]string{"INVOICE.READ"}, false, true},
			{[]string{"INVOICE.READ", "offline_access"}, false, true},
		} {
			tok := f.exchange(t, f.rp, f.rpSecret, a, oauth.AuthorizeParams{Scope: tc.scope})
			if (tok.IDToken != "") != tc.idToken || (tok.RefreshToken != "") != tc.refresh {
				t.Errorf("scope %v: id_token %v, refresh_token %v; want %v, %v", tc.scope, tok.IDToken != "", tok.RefreshToken != "", tc.idToken, tc.refresh)
			}
		}
	})
}

// TestOpenIDAuthorizeParams validates the OpenID parameters of the authorization request
// (OIDC Core §3.1.2.1, §6.1) with errors.Is on the typed errors.
func TestOpenIDAuthorizeParams(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustOIDCFixture(t, store)
	ctx := context.Background()
	hint := f.exchange(t, f.rp, f.rpSecret, signIn(t, store, f.user), oauth.AuthorizeParams{Scope: []string{"openid"}}).IDToken
	base := oauth.AuthorizeParams{ClientID: f.rp.ID, RedirectURI: oidcRedirect, ResponseType: "code", Scope: []string{"openid"}, State: "s"}
	for _, tc := range []struct {
		name   string
		edit   func(*oauth.AuthorizeParams)
		want   error // nil: valid
		shown  bool  // the error is shown to the user, not redirected
		prompt []string
	}{
		{"§3.1.2.1: redirect_uri is required with openid", func(p *oauth.AuthorizeParams) { p.RedirectURI = "" }, oauth.ErrInvalidRedirectURI, true, nil},
		{"prompt none", func(p *oauth.AuthorizeParams) { p.Prompt = "none" }, nil, false, []string{"none"}},
		{"prompt login consent", func(p *oauth.AuthorizeParams) { p.Prompt = "login  consent" }, nil, false, []string{"login", "consent"}},
		{"prompt create", func(p *oauth.AuthorizeParams) { p.Prompt = "create" }, nil, false, []string{"create"}},
		{"prompt none with another value", func(p *oauth.AuthorizeParams) { p.Prompt = "none login" }, oauth.ErrInvalidRequest, false, nil},
		{"unknown prompt", func(p *oauth.AuthorizeParams) { p.Prompt = "always" }, oauth.ErrInvalidRequest, false, nil},
		{"max_age 0", func(p *oauth.AuthorizeParams) { p.MaxAge = "0" }, nil, false, nil},
		{"max_age negative", func(p *oauth.AuthorizeParams) { p.MaxAge = "-1" }, oauth.ErrInvalidRequest, false, nil},
		{"max_age not a number", func(p *oauth.AuthorizeParams) { p.MaxAge = "1h" }, oauth.ErrInvalidRequest, false, nil},
		{"§6.1: request objects are refused", func(p *oauth.AuthorizeParams) { p.Request = "eyJhbGciOiJub25lIn0.e30." }, oauth.ErrRequestNotSupported, false, nil},
		{"§6.2: request_uri is refused", func(p *oauth.AuthorizeParams) { p.RequestURI = "https://rp.example.test/req" }, oauth.ErrRequestURINotSupported, false, nil},
		{"response_mode form_post", func(p *oauth.AuthorizeParams) { p.ResponseMode = "form_post" }, nil, false, nil},
		{"response_mode fragment", func(p *oauth.AuthorizeParams) { p.ResponseMode = "fragment" }, oauth.ErrInvalidRequest, false, nil},
		{"id_token_hint of this client", func(p *oauth.AuthorizeParams) { p.IDTokenHint = hint }, nil, false, nil},
		{"id_token_hint of another client", func(p *oauth.AuthorizeParams) { p.ClientID = f.es.ID; p.IDTokenHint = hint }, oauth.ErrInvalidRequest, false, nil},
		{"id_token_hint that is not a token", func(p *oauth.AuthorizeParams) { p.IDTokenHint = "x.y.z" }, oauth.ErrInvalidRequest, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.edit(&p)
			req, err := f.srv.ValidateAuthorize(ctx, p)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if tc.prompt != nil && !slices.Equal(req.Prompts, tc.prompt) {
					t.Fatalf("prompts = %q, want %q", req.Prompts, tc.prompt)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if (req == nil) != tc.shown {
				t.Fatalf("request returned = %v; want shown to the user = %v", req != nil, tc.shown)
			}
		})
	}
	t.Run("form_post errors go back by form_post too", func(t *testing.T) {
		p := base
		p.ResponseMode, p.Prompt = "form_post", "bogus"
		req, err := f.srv.ValidateAuthorize(ctx, p)
		if req == nil || err == nil {
			t.Fatalf("want a redirectable error, got %v, %v", req, err)
		}
		resp := f.srv.ErrorResponse(req, err)
		if !resp.FormPost || resp.Params.Get("error") != "invalid_request" || resp.Params.Get("state") != "s" || resp.Params.Get("iss") != issuer {
			t.Fatalf("response %+v, want a form_post of invalid_request with state and iss", resp)
		}
	})
}

// TestNextStep is the decision table of the authorization endpoint (OIDC Core §3.1.2.3–4,
// §3.1.2.6): login, sign-up, account choice, consent or approval, and prompt=none's errors.
func TestNextStep(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustOIDCFixture(t, store)
	ctx := context.Background()
	fresh := signIn(t, store, f.user)
	stale := &oauth.Authentication{User: f.user, Session: &models.Session{SID: "old", AMR: models.Words{"pwd"}, CreatedAt: time.Now().Add(-2 * time.Hour)}}
	other, err := store.CreateUser(ctx, "other@example.test", password, false)
	if err != nil {
		t.Fatal(err)
	}
	otherHint := f.exchange(t, f.rp, f.rpSecret, signIn(t, store, other), oauth.AuthorizeParams{Scope: []string{"openid"}}).IDToken
	ownHint := f.exchange(t, f.rp, f.rpSecret, fresh, oauth.AuthorizeParams{Scope: []string{"openid"}}).IDToken
	// f.user has now allowed f.rp openid; profile was never allowed.
	for _, tc := range []struct {
		name  string
		p     oauth.AuthorizeParams
		a     *oauth.Authentication
		step  oauth.Step
		err   error
		fresh []string
	}{
		{"signed out: log in", oauth.AuthorizeParams{}, nil, oauth.StepLogin, nil, nil},
		{"signed out, prompt=create: sign up", oauth.AuthorizeParams{Prompt: "create"}, nil, oauth.StepSignup, nil, nil},
		{"consented confidential client: approve", oauth.AuthorizeParams{}, fresh, oauth.StepApprove, nil, nil},
		{"a scope not allowed before: consent", oauth.AuthorizeParams{Scope: []string{"openid", "profile"}}, fresh, oauth.StepConsent, nil, []string{"profile"}},
		{"prompt=consent: consent", oauth.AuthorizeParams{Prompt: "consent"}, fresh, oauth.StepConsent, nil, nil},
		{"prompt=login: log in again", oauth.AuthorizeParams{Prompt: "login"}, fresh, oauth.StepLogin, nil, nil},
		{"max_age=0: log in again", oauth.AuthorizeParams{MaxAge: "0"}, fresh, oauth.StepLogin, nil, nil},
		{"max_age met", oauth.AuthorizeParams{MaxAge: "3600"}, fresh, oauth.StepApprove, nil, nil},
		{"max_age exceeded", oauth.AuthorizeParams{MaxAge: "3600"}, stale, oauth.StepLogin, nil, nil},
		{"hint names the signed-in user", oauth.AuthorizeParams{IDTokenHint: ownHint}, fresh, oauth.StepApprove, nil, nil},
		{"hint names someone else: log in", oauth.AuthorizeParams{IDTokenHint: otherHint}, fresh, oauth.StepLogin, nil, nil},
		{"select_account", oauth.AuthorizeParams{Prompt: "select_account"}, fresh, oauth.StepSelectAccount, nil, nil},
		{"prompt=none signed out: login_required", oauth.AuthorizeParams{Prompt: "none"}, nil, 0, oauth.ErrLoginRequired, nil},
		{"prompt=none, max_age exceeded: login_required", oauth.AuthorizeParams{Prompt: "none", MaxAge: "60"}, stale, 0, oauth.ErrLoginRequired, nil},
		{"prompt=none, hint for someone else: login_required", oauth.AuthorizeParams{Prompt: "none", IDTokenHint: otherHint}, fresh, 0, oauth.ErrLoginRequired, nil},
		{"prompt=none, not consented: consent_required", oauth.AuthorizeParams{Prompt: "none", Scope: []string{"openid", "profile"}}, fresh, 0, oauth.ErrConsentRequired, nil},
		{"prompt=none, consented: approve", oauth.AuthorizeParams{Prompt: "none"}, fresh, oauth.StepApprove, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.ClientID, p.RedirectURI, p.ResponseType = f.rp.ID, oidcRedirect, "code"
			if p.Scope == nil {
				p.Scope = []string{"openid"}
			}
			req, err := f.srv.ValidateAuthorize(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			step, got, err := f.srv.NextStep(ctx, req, tc.a)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if trusted, _ := f.srv.TrustsRedirect(ctx, req, 0); !trusted {
					t.Fatal("OIDC Core §3.1.2.6: a prompt=none error must go back to the client without a page")
				}
				return
			}
			if err != nil || step != tc.step || !slices.Equal(got, tc.fresh) {
				t.Fatalf("NextStep = %v, %q, %v; want %v, %q", step, got, err, tc.step, tc.fresh)
			}
		})
	}
}

// TestContinueAfter: once the user has met a demand (a fresh login, an account choice), the
// request continues without it, so it does not send them round again.
func TestContinueAfter(t *testing.T) {
	q := url.Values{"client_id": {"c"}, "prompt": {"login consent select_account"}, "max_age": {"0"}, "id_token_hint": {"h"}, "nonce": {"n"}}
	after := oauth.ContinueAfter(oauth.StepLogin, q)
	if after.Get("prompt") != "consent" || after.Has("max_age") || after.Has("id_token_hint") || after.Get("nonce") != "n" || after.Get("client_id") != "c" {
		t.Fatalf("after login: %v", after)
	}
	if q.Get("prompt") != "login consent select_account" || !q.Has("max_age") {
		t.Fatalf("ContinueAfter changed its input: %v", q)
	}
	after = oauth.ContinueAfter(oauth.StepSelectAccount, url.Values{"prompt": {"select_account"}, "max_age": {"60"}})
	if after.Has("prompt") || after.Get("max_age") != "60" {
		t.Fatalf("after choosing an account: %v", after)
	}
}

// TestUserInfo releases claims by scope (OIDC Core §5.3, §5.4) and refuses what is not a
// usable openid access token.
func TestUserInfo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustOIDCFixture(t, store)
		ctx := context.Background()
		a := signIn(t, store, f.user)
		for _, tc := range []struct {
			scope []string
			want  oauth.UserInfo
		}{
			{[]string{"openid"}, oauth.UserInfo{Subject: f.user.Subject}},
			{[]string{"openid", "profile"}, oauth.UserInfo{Subject: f.user.Subject, UserClaims: oauth.UserClaims{Name: "Ada Lovelace", PreferredUsername: "Ada Lovelace", UpdatedAt: f.user.UpdatedAt.Unix()}}},
		} {
			tok := f.exchange(t, f.rp, f.rpSecret, a, oauth.AuthorizeParams{Scope: tc.scope})
			info, _, err := f.srv.UserInfo(ctx, tok.AccessToken)
			if err != nil || *info != tc.want {
				t.Errorf("scope %v: UserInfo = %+v, %v; want %+v", tc.scope, info, err, tc.want)
			}
		}
		tok := f.exchange(t, f.rp, f.rpSecret, a, oauth.AuthorizeParams{Scope: []string{"openid", "email"}})
		info, _, err := f.srv.UserInfo(ctx, tok.AccessToken)
		if err != nil || info.Email != f.user.Email || info.EmailVerified == nil || *info.EmailVerified {
			t.Fatalf("email scope: %+v, %v; want the email, email_verified false (not verified yet)", info, err)
		}
		// Issue #11: once a mailed link proved the address, email_verified says so (OIDC Core §5.1).
		vt, err := f.store.IssueAccountToken(ctx, f.user.ID, models.PurposeVerifyEmail, f.user.Email, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.VerifyEmail(ctx, vt, time.Now()); err != nil {
			t.Fatal(err)
		}
		if info, _, err = f.srv.UserInfo(ctx, tok.AccessToken); err != nil || info.EmailVerified == nil || !*info.EmailVerified {
			t.Fatalf("after verification: %+v, %v; want email_verified true", info, err)
		}
		plain := f.exchange(t, f.rp, f.rpSecret, a, oauth.AuthorizeParams{Scope: []string{"INVOICE.READ"}})
		if _, _, err := f.srv.UserInfo(ctx, plain.AccessToken); !errors.Is(err, oauth.ErrInsufficientScope) {
			t.Fatalf("token without openid: %v, want insufficient_scope", err)
		}
		if _, _, err := f.srv.UserInfo(ctx, "not-a-token"); !errors.Is(err, oauth.ErrInvalidToken) {
			t.Fatalf("garbage: %v, want invalid_token", err)
		}
		if err := store.SetUserDisabled(ctx, f.user.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.srv.UserInfo(ctx, tok.AccessToken); !errors.Is(err, oauth.ErrInvalidToken) {
			t.Fatalf("disabled user: %v, want invalid_token", err)
		}
	})
}

// TestClientCredentialsRefusesIdentityScopes: a machine client acts for no user, so it cannot
// get openid, and a request naming no scope does not become an OpenID one.
func TestClientCredentialsRefusesIdentityScopes(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustFixture(t, store)
	ctx := context.Background()
	m, sec := mustClient(t, store, models.ClientMachine, nil, "openid", "INVOICE.READ")
	if _, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, Scope: []string{"openid"}, ClientID: m.ID, ClientSecret: sec}); !errors.Is(err, oauth.ErrInvalidScope) {
		t.Fatalf("client_credentials with openid: %v, want invalid_scope", err)
	}
	resp, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: m.ID, ClientSecret: sec})
	if err != nil || !slices.Equal(resp.Scope, []string{"INVOICE.READ"}) || resp.IDToken != "" {
		t.Fatalf("no scope asked: %+v, %v; want INVOICE.READ alone and no ID Token", resp, err)
	}
}

// TestValidateLogout: RP-Initiated Logout 1.0 §2–3. Every refusal is shown, never redirected;
// the post-logout redirect URI must be registered, exactly.
func TestValidateLogout(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustOIDCFixture(t, store)
	ctx := context.Background()
	a := signIn(t, store, f.user)
	hint := f.exchange(t, f.es, f.esSecret, a, oauth.AuthorizeParams{Scope: []string{"openid"}}).IDToken
	for _, tc := range []struct {
		name    string
		p       oauth.LogoutParams
		want    error
		returns string
	}{
		{"nothing: sign out, show the portal's page", oauth.LogoutParams{}, nil, ""},
		{"hint and registered URI", oauth.LogoutParams{IDTokenHint: hint, PostLogoutRedirectURI: "https://rp.example.test/bye", State: "x y"}, nil, "https://rp.example.test/bye?state=x+y"},
		{"client_id and registered URI", oauth.LogoutParams{ClientID: f.es.ID, PostLogoutRedirectURI: "https://rp.example.test/bye"}, nil, "https://rp.example.test/bye"},
		{"unregistered URI", oauth.LogoutParams{ClientID: f.es.ID, PostLogoutRedirectURI: "https://evil.example/bye"}, oauth.ErrInvalidRedirectURI, ""},
		{"URI differing by a slash", oauth.LogoutParams{ClientID: f.es.ID, PostLogoutRedirectURI: "https://rp.example.test/bye/"}, oauth.ErrInvalidRedirectURI, ""},
		{"URI without a client", oauth.LogoutParams{PostLogoutRedirectURI: "https://rp.example.test/bye"}, oauth.ErrInvalidRequest, ""},
		{"hint of another client than client_id", oauth.LogoutParams{IDTokenHint: hint, ClientID: f.rp.ID}, oauth.ErrInvalidRequest, ""},
		{"forged hint", oauth.LogoutParams{IDTokenHint: hint[:len(hint)-4] + "AAAA"}, oauth.ErrInvalidRequest, ""},
		{"unknown client", oauth.LogoutParams{ClientID: "dp_nope"}, oauth.ErrUnknownClient, ""},
		{"repeated parameter", oauth.LogoutParams{Repeated: []string{"state"}}, oauth.ErrInvalidRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := f.srv.ValidateLogout(ctx, tc.p)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || req != nil {
					t.Fatalf("= %v, %v; want %v and nothing to redirect to", req, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.ReturnURL() != tc.returns {
				t.Fatalf("= %v; return %q, want %q", err, req.ReturnURL(), tc.returns)
			}
		})
	}
	t.Run("confirmation unless the hint names this session", func(t *testing.T) {
		req, err := f.srv.ValidateLogout(ctx, oauth.LogoutParams{IDTokenHint: hint})
		if err != nil {
			t.Fatal(err)
		}
		other := signIn(t, store, f.user) // same user, another session: the hint is stale here
		noHint, _ := f.srv.ValidateLogout(ctx, oauth.LogoutParams{})
		for _, c := range []struct {
			name string
			req  *oauth.LogoutRequest
			a    *oauth.Authentication
			want bool
		}{
			{"hint for this session", req, a, false},
			{"hint for another session", req, other, true},
			{"no hint", noHint, a, true},
			{"nobody signed in", noHint, nil, false},
		} {
			if got := c.req.NeedsConfirmation(c.a); got != c.want {
				t.Errorf("%s: NeedsConfirmation = %v, want %v", c.name, got, c.want)
			}
		}
	})
}

// TestDiscoveryMetadata states what Discovery 1.0 §3 asks, honestly.
func TestDiscoveryMetadata(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustFixture(t, store)
	md, err := f.srv.Metadata(context.Background(), map[string]string{"userinfo": "/oauth/userinfo", "end_session": "/oauth/logout", "authorization": "/oauth/authorize"})
	if err != nil {
		t.Fatal(err)
	}
	if md.UserinfoEndpoint != issuer+"/oauth/userinfo" || md.EndSessionEndpoint != issuer+"/oauth/logout" {
		t.Errorf("endpoints %q %q", md.UserinfoEndpoint, md.EndSessionEndpoint)
	}
	if !slices.Contains(md.IDTokenSigningAlgValuesSupported, "RS256") || !slices.Contains(md.IDTokenSigningAlgValuesSupported, "ES256") {
		t.Errorf("Discovery §3: id_token_signing_alg_values_supported %v must have RS256 (and ES256)", md.IDTokenSigningAlgValuesSupported)
	}
	if !slices.Equal(md.SubjectTypesSupported, []string{"public"}) || md.RequestParameterSupported || md.RequestURIParameterSupported || md.ClaimsParameterSupported {
		t.Errorf("subject types %v, request %v, request_uri %v, claims %v", md.SubjectTypesSupported, md.RequestParameterSupported, md.RequestURIParameterSupported, md.ClaimsParameterSupported)
	}
	for _, s := range []string{"openid", "profile", "email", "offline_access"} {
		if !slices.Contains(md.ScopesSupported, s) {
			t.Errorf("scopes_supported %v lacks %s", md.ScopesSupported, s)
		}
	}
	for _, c := range []string{"sub", "auth_time", "nonce", "email_verified", "sid"} {
		if !slices.Contains(md.ClaimsSupported, c) {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
}
