package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestJWSSignerVerifiesWithGoJose: the signer that encodes its header once produces compact JWS
// that go-jose, which verifies our tokens and those of most resource servers, accepts with the
// right alg, kid and typ (RFC 7515 §7.1; RFC 7518 §3.3 RS256 and §3.4 ES256, R||S of 32 bytes
// each, not DER) and rejects when the payload changes.
func TestJWSSignerVerifiesWithGoJose(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alg string
		key crypto.Signer
		pub any
		n   int
	}{{AlgES256, ec, &ec.PublicKey, 1000}, {AlgRS256, rk, &rk.PublicKey, 3}} {
		t.Run(tc.alg, func(t *testing.T) {
			signer, err := newJWSSigner(tc.alg, "kid1", "at+jwt", tc.key)
			if err != nil {
				t.Fatal(err)
			}
			payload := []byte(`{"sub":"dp_x","scope":"INVOICE.READ"}`)
			// One ECDSA signature in 128 has an R or S shorter than 32 bytes, which must be
			// padded: a thousand make missing one unlikely (0.04%).
			for range tc.n {
				raw, err := signer.sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
				if err != nil {
					t.Fatal(err)
				}
				h := jws.Signatures[0].Protected
				if h.Algorithm != tc.alg || h.KeyID != "kid1" || h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
					t.Fatalf("header %+v, want alg %s, kid kid1, typ at+jwt", h, tc.alg)
				}
				got, err := jws.Verify(tc.pub)
				if err != nil || string(got) != string(payload) {
					t.Fatalf("go-jose verification: %q, %v", got, err)
				}
				parts := strings.Split(raw, ".")
				tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"dp_y"}`)) + "." + parts[2]
				if tj, err := jose.ParseSignedCompact(tampered, []jose.SignatureAlgorithm{jose.ES256, jose.RS256}); err == nil {
					if _, err := tj.Verify(tc.pub); err == nil {
						t.Fatal("a changed payload verified")
					}
				}
			}
			if _, err := newJWSSigner(AlgRS256, "kid1", "JWT", ec); err == nil {
				t.Error("an EC key was accepted for RS256")
			}
		})
	}
}
