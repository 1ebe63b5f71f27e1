package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"github.com/devportal/devportal/models"
)

// newLocalhostTestEnv is newTestEnv with the issuer http://localhost:PORT, for WebAuthn.
func newLocalhostTestEnv(t *testing.T, store *models.Store) *testEnv {
	t.Helper()
	return newTestEnvHost(t, store, nil, true)
}

// softAuthenticator is a WebAuthn authenticator in software (one ES256 passkey, "none"
// attestation), so HTTP tests can drive real ceremonies and tamper with them.
type softAuthenticator struct {
	t          *testing.T
	origin     string
	rpID       string
	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	count      uint32
	flags      byte // UP and UV by default
}

func newSoftAuthenticator(t *testing.T, origin string) *softAuthenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	host := strings.TrimPrefix(origin, "http://")
	host, _, _ = strings.Cut(host, ":")
	return &softAuthenticator{t: t, origin: origin, rpID: host, key: key, credID: id, flags: 0x05}
}

var b64 = base64.RawURLEncoding

// options is the publicKey member of a begin endpoint's answer.
type passkeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
}

func mustOptions(t *testing.T, body string) passkeyOptions {
	t.Helper()
	var o passkeyOptions
	if err := json.Unmarshal([]byte(body), &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("begin answered %q (%v), want WebAuthn options", body, err)
	}
	return o
}

func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return cd
}

// create answers navigator.credentials.create for the options.
func (a *softAuthenticator) create(o passkeyOptions) string {
	a.t.Helper()
	uh, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	a.userHandle = uh
	point, err := a.key.PublicKey.Bytes() // 0x04 || X || Y (SEC 1, uncompressed)
	if err != nil {
		a.t.Fatal(err)
	}
	x, y := point[1:33], point[33:65]
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		a.t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(a.rpID))
	auth := append(rp[:], a.flags|0x40) // AT: attested credential data follows
	auth = binary.BigEndian.AppendUint32(auth, a.count)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(append(auth, a.credID...), cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return string(out)
}

// get answers navigator.credentials.get for the challenge, the counter moved on first.
func (a *softAuthenticator) get(challenge string) string {
	a.t.Helper()
	a.count++
	rp := sha256.Sum256([]byte(a.rpID))
	auth := binary.BigEndian.AppendUint32(append(rp[:], a.flags), a.count)
	cd := a.clientData("webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(auth),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(a.userHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return string(out)
}
