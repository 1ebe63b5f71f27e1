package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// errUnsealable is what unseal returns for a payload that is truncated or fails authentication;
// callers say which secret it was and why that may be (another DEVPORTAL_SECRET).
var errUnsealable = errors.New("sealed payload cannot be opened")

// seal encrypts plain with AES-GCM under key, with aad authenticated alongside, and returns
// nonce || ciphertext. The aad binds a payload to its row, so it cannot be moved to another.
func seal(key, aad, plain []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// unseal opens what seal returned under the same key and aad.
func unseal(key, aad, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errUnsealable
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
	if err != nil {
		return nil, errUnsealable
	}
	return plain, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
