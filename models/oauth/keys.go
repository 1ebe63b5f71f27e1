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

// Supported signing algorithms, of access tokens and of ID Tokens.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// publishedAlgs are the algorithms the server always has a key of: RS256, which OpenID Connect
// requires for ID Tokens (OIDC Core §3.1.3.7, Discovery §3), and ES256.
var publishedAlgs = []string{AlgES256, AlgRS256}

// keyRing holds the signing keys in memory: per algorithm, the active key signs; all of them
// verify and are published in the JWKS. Access tokens and ID Tokens are signed by the same keys
// but carry different typ headers (at+jwt and JWT), which each verification path insists on.
type keyRing struct {
	mu     sync.RWMutex
	signer *jwsSigner // access tokens, in the configured algorithm
	kid    string
	// idSigners sign ID Tokens, by algorithm.
	idSigners map[string]*jwsSigner
	public    jose.JSONWebKeySet
	byKid     map[string]crypto.PublicKey
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

// LoadKeys reads the signing keys from the database into memory, creating the first key of each
// published algorithm when there is none.
func (s *Server) LoadKeys(ctx context.Context) error {
	rows, err := s.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	added := false
	for _, alg := range publishedAlgs {
		if !hasAlg(rows, alg) {
			if _, err := s.addKey(ctx, alg); err != nil {
				return err
			}
			added = true
		}
	}
	if added {
		if rows, err = s.store.SigningKeys(ctx); err != nil {
			return err
		}
	}
	ring := keyRing{byKid: map[string]crypto.PublicKey{}, idSigners: map[string]*jwsSigner{}}
	active := map[*models.SigningKey]bool{}
	for _, alg := range publishedAlgs {
		active[s.signingKey(rows, alg)] = true
	}
	for i := range rows {
		k := &rows[i]
		priv, err := openKey(k, s.kek)
		if err != nil {
			return err
		}
		ring.public.Keys = append(ring.public.Keys, jose.JSONWebKey{Key: priv.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"})
		ring.byKid[k.ID] = priv.Public()
		if !active[k] {
			continue
		}
		// Signers are made here, once per active key and reload, header encoded and all.
		idSigner, err := newJWSSigner(k.Algorithm, k.ID, "JWT", priv)
		if err != nil {
			return err
		}
		ring.idSigners[k.Algorithm] = idSigner
		if k.Algorithm != s.cfg.SigningAlg {
			continue
		}
		signer, err := newJWSSigner(k.Algorithm, k.ID, "at+jwt", priv)
		if err != nil {
			return err
		}
		ring.signer, ring.kid = signer, k.ID
	}
	s.keys.mu.Lock()
	s.keys.signer, s.keys.kid, s.keys.idSigners, s.keys.public, s.keys.byKid = ring.signer, ring.kid, ring.idSigners, ring.public, ring.byKid
	s.keys.mu.Unlock()
	s.verified.flush() // a key may have been retired: its tokens must be verified afresh, and fail
	return nil
}

// signingKey picks the newest key of alg that has been published for at least KeyActivation, or
// the oldest one when none has (the very first key signs at once).
func (s *Server) signingKey(rows []models.SigningKey, alg string) *models.SigningKey {
	var pick, oldest *models.SigningKey
	cutoff := s.now().Add(-s.cfg.KeyActivation)
	for i := range rows { // oldest first
		k := &rows[i]
		if k.Algorithm != alg {
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

// RotateKeys adds a new signing key of every published algorithm. Each is published at once and
// signs after KeyActivation; earlier keys stay published, so tokens they signed keep verifying.
// It returns the new key ids by algorithm.
func (s *Server) RotateKeys(ctx context.Context) (map[string]string, error) {
	kids := map[string]string{}
	for _, alg := range publishedAlgs {
		kid, err := s.addKey(ctx, alg)
		if err != nil {
			return kids, err
		}
		kids[alg] = kid
	}
	return kids, nil
}

// RotateKeysNow is the emergency rotation: it adds a new key of every published algorithm
// dated KeyActivation back, so every instance signs with it at its next key reload instead of
// after the activation delay. Resource servers that cached the JWKS may reject its tokens until
// they fetch it again; that is the price of not waiting.
func (s *Server) RotateKeysNow(ctx context.Context) (map[string]string, error) {
	kids := map[string]string{}
	for _, alg := range publishedAlgs {
		k, err := generateKey(alg, s.kek)
		if err != nil {
			return kids, err
		}
		k.CreatedAt = s.now().Add(-s.cfg.KeyActivation)
		if err := s.store.CreateSigningKey(ctx, k); err != nil {
			return kids, err
		}
		kids[alg] = k.ID
	}
	return kids, nil
}

// RetireKey takes a signing key out of use: it stops signing and leaves the JWKS at every
// instance's next key reload, so tokens it signed stop verifying (the point, when it leaked).
// The last key of an algorithm cannot be retired: rotate first.
func (s *Server) RetireKey(ctx context.Context, kid string) error {
	return s.store.InTx(ctx, func(tx *models.Store) error {
		rows, err := tx.SigningKeys(ctx)
		if err != nil {
			return err
		}
		alg := ""
		for _, k := range rows {
			if k.ID == kid {
				alg = k.Algorithm
			}
		}
		if alg == "" {
			return models.ErrNotFound.Describe("no signing key " + kid + " in use (it does not exist or was retired already)")
		}
		// Count the others under a lock: two retires of the last two keys of an algorithm
		// would otherwise both see the other key in use and both succeed.
		locked, err := tx.LockSigningKeys(ctx, alg)
		if err != nil {
			return err
		}
		found, others := false, 0
		for _, k := range locked {
			if k.ID == kid {
				found = true
			} else {
				others++
			}
		}
		if !found {
			return models.ErrNotFound.Describe("no signing key " + kid + " in use (it does not exist or was retired already)")
		}
		if others == 0 {
			return fmt.Errorf("%s is the only %s signing key: add a new one first (devportal keys rotate --now), then retire this one", kid, alg)
		}
		return tx.RetireSigningKey(ctx, kid, s.now())
	})
}

// RotateKey rotates every key (RotateKeys) and returns the id of the new access-token key.
func (s *Server) RotateKey(ctx context.Context) (string, error) {
	kids, err := s.RotateKeys(ctx)
	return kids[s.cfg.SigningAlg], err
}

func (s *Server) addKey(ctx context.Context, alg string) (string, error) {
	k, err := generateKey(alg, s.kek)
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
