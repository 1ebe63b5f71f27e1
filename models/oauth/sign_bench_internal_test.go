package oauth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// benchServer is a protocol core over SQLite whose signing key is of alg, with one client.
func benchServer(b *testing.B, alg string) (*Server, *models.Client) {
	b.Helper()
	store := storetest.SQLite(b)
	s, err := NewServer(Config{Issuer: "https://auth.example.test", SigningAlg: alg}, store, []byte(strings.Repeat("k", 32)))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.LoadKeys(context.Background()); err != nil {
		b.Fatal(err)
	}
	c, _, err := store.CreateClient(context.Background(), models.NewClient{Name: "bench", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}})
	if err != nil {
		b.Fatal(err)
	}
	return s, c
}

func benchClaims(clientID string) AccessClaims {
	now := time.Now()
	return AccessClaims{
		Claims: jwt.Claims{Issuer: "https://auth.example.test", Subject: clientID, Audience: jwt.Audience{"https://auth.example.test"},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(15 * time.Minute)), ID: models.NewID(16)},
		ClientID: clientID, Scope: "INVOICE.READ",
	}
}

// BenchmarkSign is signing one access token's claims, per algorithm, with the server's signer.
// EdDSA (Ed25519) is not offered by the server; its row is go-jose alone (marshal, sign,
// serialise), for the choice issue 14 asks about.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{AlgES256, AlgRS256} {
		b.Run("alg="+alg, func(b *testing.B) {
			s, c := benchServer(b, alg)
			s.keys.mu.RLock()
			signer := s.keys.signer
			s.keys.mu.RUnlock()
			claims := benchClaims(c.ID)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := signJSON(signer, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("alg=EdDSA", func(b *testing.B) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, (&jose.SignerOptions{}).WithType("at+jwt"))
		if err != nil {
			b.Fatal(err)
		}
		claims := benchClaims("dp_bench")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			payload, err := json.Marshal(claims)
			if err != nil {
				b.Fatal(err)
			}
			jws, err := signer.Sign(payload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := jws.CompactSerialize(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMint is minting an access token (RFC 9068 claims, a fresh jti, signing), per
// algorithm: the token endpoint's work once the client is authenticated.
func BenchmarkMint(b *testing.B) {
	for _, alg := range []string{AlgES256, AlgRS256} {
		b.Run("alg="+alg, func(b *testing.B) {
			s, c := benchServer(b, alg)
			scope := []string{"INVOICE.READ"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.mintAccess(c, nil, c.ID, scope, s.cfg.Audience, time.Now(), 15*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScopeCheck is checking requested scopes against the catalog and the client's
// registered ones (the catalog cached, as between requests).
func BenchmarkScopeCheck(b *testing.B) {
	s, c := benchServer(b, "")
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		requested []string
	}{
		{"requested=none", nil},
		{"requested=1", []string{"INVOICE.READ"}},
		{"requested=2", []string{"INVOICE.READ", "INVOICE.WRITE"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := s.resolveScopes(ctx, tc.requested, c.Scopes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
