package oauth

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/devportal/devportal/models"
)

// Supported signing algorithms for access tokens.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// keyRing holds the signing keys in memory: the newest one of the configured algorithm signs,
// all of them verify and are published in the JWKS.
type keyRing struct {
	mu     sync.RWMutex
	signer jose.Signer
	kid    string
	public jose.JSONWebKeySet
	byKid  map[string]crypto.PublicKey
}

func sealer(kek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// generateKey makes a key pair of alg and returns it sealed for storage.
func generateKey(alg string, kek []byte) (*models.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	kid := models.NewID(8)
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	aead, err := sealer(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	// The key id is authenticated data, so a sealed key cannot be swapped into another row.
	sealed := aead.Seal(nonce, nonce, der, []byte(kid))
	return &models.SigningKey{ID: kid, Algorithm: alg, PublicJWK: string(pub), PrivateKey: sealed}, nil
}

func openKey(k *models.SigningKey, kek []byte) (crypto.Signer, error) {
	aead, err := sealer(kek)
	if err != nil {
		return nil, err
	}
	if len(k.PrivateKey) < aead.NonceSize() {
		return nil, errors.New("sealed key is truncated")
	}
	nonce, box := k.PrivateKey[:aead.NonceSize()], k.PrivateKey[aead.NonceSize():]
	der, err := aead.Open(nil, nonce, box, []byte(k.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s cannot be decrypted: is DEVPORTAL_SECRET the one it was created under? %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s is not a signer", k.ID)
	}
	return signer, nil
}

// LoadKeys reads the signing keys from the database into memory, creating the first key of the
// configured algorithm when there is none.
func (s *Server) LoadKeys(ctx context.Context) error {
	rows, err := s.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	if !hasAlg(rows, s.cfg.SigningAlg) {
		if _, err := s.RotateKey(ctx); err != nil {
			return err
		}
		if rows, err = s.store.SigningKeys(ctx); err != nil {
			return err
		}
	}
	ring := keyRing{byKid: map[string]crypto.PublicKey{}}
	signing := s.signingKey(rows)
	for i := range rows {
		k := &rows[i]
		priv, err := openKey(k, s.kek)
		if err != nil {
			return err
		}
		ring.public.Keys = append(ring.public.Keys, jose.JSONWebKey{Key: priv.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"})
		ring.byKid[k.ID] = priv.Public()
		if k != signing {
			continue
		}
		signer, err := jose.NewSigner(
			jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
			(&jose.SignerOptions{}).WithType("at+jwt"))
		if err != nil {
			return err
		}
		ring.signer, ring.kid = signer, k.ID
	}
	s.keys.mu.Lock()
	s.keys.signer, s.keys.kid, s.keys.public, s.keys.byKid = ring.signer, ring.kid, ring.public, ring.byKid
	s.keys.mu.Unlock()
	return nil
}

// signingKey picks the newest key of the configured algorithm that has been published for at
// least KeyActivation, or the oldest one when none has (the very first key signs at once).
func (s *Server) signingKey(rows []models.SigningKey) *models.SigningKey {
	var pick, oldest *models.SigningKey
	cutoff := s.now().Add(-s.cfg.KeyActivation)
	for i := range rows { // oldest first
		k := &rows[i]
		if k.Algorithm != s.cfg.SigningAlg {
			continue
		}
		if oldest == nil {
			oldest = k
		}
		if !k.CreatedAt.After(cutoff) {
			pick = k
		}
	}
	if pick == nil {
		return oldest
	}
	return pick
}

// RefreshKeys reloads the keys every interval until ctx ends, so a key added by `devportal keys
// rotate` (or another instance) is published everywhere and, once active, signs.
func (s *Server) RefreshKeys(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.LoadKeys(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// SigningKeyID is the kid new tokens are signed with.
func (s *Server) SigningKeyID() string {
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	return s.keys.kid
}

func hasAlg(rows []models.SigningKey, alg string) bool {
	for _, k := range rows {
		if k.Algorithm == alg {
			return true
		}
	}
	return false
}

// RotateKey adds a new signing key of the configured algorithm. It is published at once and
// signs after KeyActivation; earlier keys stay published, so tokens they signed keep verifying.
// It returns the new key id.
func (s *Server) RotateKey(ctx context.Context) (string, error) {
	k, err := generateKey(s.cfg.SigningAlg, s.kek)
	if err != nil {
		return "", err
	}
	if err := s.store.CreateSigningKey(ctx, k); err != nil {
		return "", err
	}
	return k.ID, nil
}

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517 §5).
func (s *Server) JWKS() jose.JSONWebKeySet {
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	return s.keys.public
}
