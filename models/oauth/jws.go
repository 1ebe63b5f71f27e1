package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// jwsSigner signs compact JWS (RFC 7515 §7.1) with one key under one protected header, which it
// encodes once, when the key is loaded, instead of on every token: go-jose's signer builds,
// marshals and encodes the header and the JSON form of the signature per call, a sixth of a
// token's allocations. Verification stays with go-jose.
type jwsSigner struct {
	prefix string // BASE64URL(protected header) + "."
	key    crypto.Signer
	onSign func() // tests: runs before each signature
}

func newJWSSigner(alg, kid, typ string, key crypto.Signer) (*jwsSigner, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if alg != AlgES256 || k.Curve.Params().BitSize != 256 {
			return nil, fmt.Errorf("signing key %s: %s needs a P-256 key", kid, alg)
		}
	case *rsa.PrivateKey:
		if alg != AlgRS256 {
			return nil, fmt.Errorf("signing key %s: an RSA key signs RS256, not %s", kid, alg)
		}
	default:
		return nil, fmt.Errorf("signing key %s: unsupported key type %T", kid, key)
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{alg, kid, typ})
	if err != nil {
		return nil, err
	}
	return &jwsSigner{prefix: base64.RawURLEncoding.EncodeToString(header) + ".", key: key}, nil
}

// sign returns the compact serialisation of payload signed under the signer's header.
func (j *jwsSigner) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(j.prefix)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(256))
	buf = append(buf, j.prefix...)
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	if j.onSign != nil {
		j.onSign()
	}
	var sig []byte
	switch k := j.key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return "", err
		}
		// RFC 7518 §3.4: R and S as 32-byte big-endian integers, concatenated.
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:]); err != nil {
			return "", err
		}
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}
