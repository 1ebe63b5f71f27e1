package models

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns prefix followed by 256 random bits in unpadded base64url. The prefix makes a
// leaked credential recognisable to secret scanners and to people reading logs.
func NewToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS RNG never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// NewID returns a random identifier of n bytes as lowercase hex.
func NewID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// HashToken is how every server-generated credential (client secret, session id, code, refresh
// token) is stored. The inputs carry 256 bits of entropy, so a fast hash is as strong as a
// password KDF here and costs microseconds instead of tens of milliseconds per request.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// DeriveKey derives an independent 256-bit key for one purpose (label) from the server secret, so
// the CSRF key, the key-encryption key and any later ones never coincide.
func DeriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("devportal/" + label))
	return m.Sum(nil)
}
