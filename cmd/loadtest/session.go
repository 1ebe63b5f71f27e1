package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// session is a signed-in browser: a cookie jar and the CSRF token of its session.
type session struct {
	base string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login signs acc in through the login form, as a person would.
func login(ctx context.Context, base string, workers int, acc Account) (*session, error) {
	jar, _ := cookiejar.New(nil)
	c := newClient(workers)
	c.Jar = jar
	s := &session{base: base, c: c}
	if err := s.loadCSRF(ctx, "/login"); err != nil {
		return nil, err
	}
	resp, _, err := s.post(ctx, "/login", url.Values{"email": {acc.Email}, "password": {acc.Password}}, http.StatusSeeOther)
	if err != nil {
		return nil, fmt.Errorf("log in as %s: %w", acc.Email, err)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "/login") {
		return nil, fmt.Errorf("log in as %s: sent back to %s", acc.Email, loc)
	}
	// A signed-in session has a CSRF token of its own.
	return s, s.loadCSRF(ctx, "/account")
}

func (s *session) loadCSRF(ctx context.Context, path string) error {
	_, body, err := s.get(ctx, path, http.StatusOK)
	if err != nil {
		return err
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("no CSRF token on %s", path)
	}
	s.csrf = string(m[1])
	return nil
}

func (s *session) get(ctx context.Context, path string, want int) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, nil, err
	}
	return do(s.c, req, want)
}

// post submits a form with the session's CSRF token, from the portal's own origin.
func (s *session) post(ctx context.Context, path string, form url.Values, want int) (*http.Response, []byte, error) {
	form.Set("csrf_token", s.csrf)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.base)
	return do(s.c, req, want)
}

// authorize asks for a code for app as the signed-in user, who consented before, so the answer
// is the redirect with the code at once.
func (s *session) authorize(ctx context.Context, app App) (string, error) {
	q := url.Values{"response_type": {"code"}, "client_id": {app.ID}, "redirect_uri": {app.RedirectURI}, "scope": {app.Scope}, "state": {"loadtest"}}
	resp, body, err := s.get(ctx, "/oauth/authorize?"+q.Encode(), http.StatusSeeOther)
	if err != nil && resp != nil && resp.StatusCode == http.StatusFound {
		err = nil
	}
	if err != nil {
		return "", err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return "", err
	}
	code := loc.Query().Get("code")
	if code == "" {
		return "", fmt.Errorf("authorize: no code in the redirect to %s (%s)", loc.Redacted(), snippet(body))
	}
	return code, nil
}

// tokens is the token endpoint's answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// token posts a token request for app, authenticated with HTTP Basic (RFC 6749 §2.3.1).
func token(ctx context.Context, c *http.Client, base string, app App, form url.Values) (*tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(app.ID), url.QueryEscape(app.Secret))
	_, body, err := do(c, req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var t tokens
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	return &t, nil
}

// exchange turns a fresh code of the signed-in user into tokens for app.
func (s *session) exchange(ctx context.Context, c *http.Client, app App) (*tokens, error) {
	code, err := s.authorize(ctx, app)
	if err != nil {
		return nil, err
	}
	return token(ctx, c, s.base, app, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.RedirectURI}})
}
