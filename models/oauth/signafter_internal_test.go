package oauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// writeWhileSigning has another writer use store, before each signature, and waits for it. On
// SQLite every writer of the process queues behind an open write transaction, so a signature
// made inside one keeps that writer waiting; blocked is closed when one did.
func writeWhileSigning(store *models.Store, clientID string, blocked chan struct{}) func() {
	return func() {
		done := make(chan error, 1)
		go func() {
			_, err := store.AddClientEvents(context.Background(), []models.ClientEvent{{ClientID: clientID, Kind: models.EventToken, CreatedAt: time.Now().UTC()}})
			done <- err
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			select {
			case <-blocked:
			default:
				close(blocked)
			}
		}
	}
}

// Issue 14: a code exchange stores its grant and refresh token in one write transaction and
// signs after it commits. Signing inside it held every other writer of a SQLite instance for
// the signature's length (an RS256 ID Token: a millisecond), so sign-ins queued on signatures.
func TestTokensAreSignedAfterTheWriteTransaction(t *testing.T) {
	ctx := context.Background()
	store := storetest.SQLite(t)
	s, err := NewServer(Config{Issuer: "https://auth.example.test"}, store, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "signer@example.com", "a long enough password", false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := store.CreateClient(ctx, models.NewClient{Name: "app", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveConsent(ctx, u.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
		t.Fatal(err)
	}
	verifier := strings.Repeat("v", 50)
	now := time.Now().UTC()
	if err := store.CreateAuthCode(ctx, &models.AuthCode{Hash: models.HashToken("dpc_signer"), ClientID: c.ID, UserID: u.ID, Subject: u.Subject,
		RedirectURI: "http://127.0.0.1/cb", Scope: []string{"INVOICE.READ"}, CodeChallenge: S256Challenge(verifier), CodeChallengeMethod: MethodS256,
		CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan struct{})
	s.keys.mu.Lock()
	hooked := *s.keys.signer
	hooked.onSign = writeWhileSigning(store, c.ID, blocked)
	s.keys.signer = &hooked
	s.keys.mu.Unlock()

	resp, err := s.Token(ctx, TokenRequest{GrantType: GrantAuthorizationCode, ClientID: c.ID, Code: "dpc_signer", RedirectURI: "http://127.0.0.1/cb", CodeVerifier: verifier})
	if err != nil || resp.AccessToken == "" || resp.RefreshToken == "" {
		t.Fatalf("code exchange: %v %+v", err, resp)
	}
	select {
	case <-blocked:
		t.Error("another writer waited while the access token was signed: signing happens inside the write transaction")
	default:
	}
	if _, err := s.ValidateAccessToken(ctx, resp.AccessToken); err != nil {
		t.Errorf("the access token signed after the transaction does not verify: %v", err)
	}
}
