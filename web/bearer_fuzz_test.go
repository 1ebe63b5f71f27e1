package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

// fakeValidator accepts "good" (with the scope the route needs) and "narrow" (without it) and
// records what it was asked.
type fakeValidator struct {
	called bool
	raw    string
}

func (v *fakeValidator) ValidateAccessToken(_ context.Context, raw string) (*oauth.AccessClaims, error) {
	v.called, v.raw = true, raw
	switch raw {
	case "good":
		return &oauth.AccessClaims{Claims: jwt.Claims{Audience: jwt.Audience{"https://api.example.test/v1"}}, Scope: "INVOICE.READ INVOICE.WRITE"}, nil
	case "narrow":
		return &oauth.AccessClaims{Claims: jwt.Claims{Audience: jwt.Audience{"https://api.example.test/v1"}}, Scope: "EWALLET.READ"}, nil
	}
	return nil, oauth.ErrInvalidToken
}

// RFC 6750 §2.1: RequireBearer takes the token from "Authorization: Bearer <token>" only (the
// scheme case-insensitive), hands exactly that token to the validator, lets the request through
// only with a valid token carrying the scope, and otherwise reports invalid_token (§3.1) or, for
// a valid token without the scope, insufficient_scope.
func FuzzBearer(f *testing.F) {
	e := echo.New()
	f.Fuzz(func(t *testing.T, header string) {
		v := &fakeValidator{}
		var reported error
		nextCalled := false
		mw := web.RequireBearer(v, web.Resource{Audiences: []string{"https://api.example.test/v1"}}, "INVOICE.READ", func(_ echo.Context, err error) error { reported = err; return nil })
		req := httptest.NewRequest(http.MethodGet, "/api/v1/invoices", nil)
		req.Header.Set(echo.HeaderAuthorization, header)
		c := e.NewContext(req, httptest.NewRecorder())
		if err := mw(func(c echo.Context) error { nextCalled = true; return nil })(c); err != nil {
			t.Fatalf("middleware returned %v instead of reporting it", err)
		}
		if nextCalled == (reported != nil) {
			t.Fatalf("%q: next called %v, error reported %v: want exactly one", header, nextCalled, reported)
		}
		scheme, rest, found := strings.Cut(header, " ")
		token := strings.TrimSpace(rest)
		wellFormed := found && strings.EqualFold(scheme, "Bearer") && token != ""
		switch {
		case v.called != wellFormed:
			t.Fatalf("%q: validator called %v, want %v", header, v.called, wellFormed)
		case v.called && v.raw != token:
			t.Fatalf("%q: validator got %q, want %q", header, v.raw, token)
		case nextCalled && (v.raw != "good" || handlers.AccessClaims(c) == nil):
			t.Fatalf("%q: request let through with token %q", header, v.raw)
		case v.raw == "narrow" && !errors.Is(reported, oauth.ErrInsufficientScope):
			t.Fatalf("%q: a token without the scope reported %v, want insufficient_scope", header, reported)
		case reported != nil && v.raw != "narrow" && !errors.Is(reported, oauth.ErrInvalidToken):
			t.Fatalf("%q: reported %v, want invalid_token", header, reported)
		}
	})
}
