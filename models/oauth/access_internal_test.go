package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// mustSignClaims signs claims with the server's own signing key, as mintAccess does, so only
// the claims differ from a token the server issued.
func mustSignClaims(t *testing.T, s *Server, c AccessClaims) string {
	t.Helper()
	s.keys.mu.RLock()
	signer := s.keys.signer
	s.keys.mu.RUnlock()
	raw, err := signJSON(signer, c)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// mustCompact signs v's JSON with signer and returns the JWS compact serialisation.
func mustCompact(t testing.TB, signer jose.Signer, v any) string {
	t.Helper()
	payload, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Issue #8 finding 12; RFC 9068 §2.2 makes exp and iat REQUIRED in a JWT access token. A token
// without exp would never expire, so one signed by our key but lacking either claim is refused
// by every path that verifies access tokens: the resource server's check, introspection and
// revocation.
func TestAccessTokenRequiresExpAndIat(t *testing.T) {
	ctx := context.Background()
	store := storetest.SQLite(t)
	const iss = "https://auth.example.test"
	s, err := NewServer(Config{Issuer: iss}, store, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "claims@example.test", "a long enough password", false)
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := store.CreateClient(ctx, models.NewClient{Name: "web", Type: models.ClientWeb, RedirectURIs: []string{"https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, tc := range []struct {
		name     string
		exp, iat *jwt.NumericDate
		valid    bool
	}{
		{"both present (control: the forged-token harness signs valid tokens)", jwt.NewNumericDate(now.Add(time.Hour)), jwt.NewNumericDate(now), true},
		{"no exp", nil, jwt.NewNumericDate(now), false},
		{"no iat", jwt.NewNumericDate(now.Add(time.Hour)), nil, false},
		{"neither", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &models.Grant{ID: models.NewID(16), ClientID: client.ID, UserID: &u.ID, Scope: models.Words{"INVOICE.READ"}, CreatedAt: now}
			if err := store.CreateGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
			raw := mustSignClaims(t, s, AccessClaims{
				Claims: jwt.Claims{
					Issuer: iss, Subject: strconv.FormatInt(u.ID, 10), Audience: jwt.Audience{iss},
					Expiry: tc.exp, IssuedAt: tc.iat, ID: models.NewID(16),
				},
				ClientID: client.ID, Scope: "INVOICE.READ", GrantID: g.ID,
			})

			_, err := s.ValidateAccessToken(ctx, raw)
			if tc.valid != (err == nil) {
				t.Fatalf("ValidateAccessToken err = %v, want valid=%v", err, tc.valid)
			}
			if !tc.valid && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("ValidateAccessToken err = %v, want ErrInvalidToken", err)
			}

			in, err := s.Introspect(ctx, client, raw)
			if err != nil || in.Active != tc.valid {
				t.Fatalf("Introspect = %+v, %v; want active=%v", in, err, tc.valid)
			}

			// Revocation ends the grant of a token it accepts, and ignores one it does not.
			if err := s.Revoke(ctx, client, raw); err != nil {
				t.Fatal(err)
			}
			after, err := store.GrantByID(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			if revoked := after.RevokedAt != nil; revoked != tc.valid {
				t.Fatalf("after Revoke, grant revoked = %v; want %v", revoked, tc.valid)
			}
		})
	}
}
