package oauth_test

import (
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
)

// Issue 12 item 9, RFC 9700 §4.14.2: with the default grace, a client that lost the response
// to a refresh (its connection dropped, the instance crashed) and retries a few seconds later
// with the same refresh token gets the same successor, and its grant lives on. With the old
// default of 0s the retry counted as reuse and revoked the grant.
func TestDefaultRefreshGraceSurvivesLostResponse(t *testing.T) {
	e := newTSEnv(t, oauth.Config{RefreshGrace: oauth.DefaultRefreshGrace})
	first := e.mustCodeTokens(t)
	lost, err := e.refresh(first.RefreshToken) // the client never sees this answer
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Second) // a client timeout and one retry with backoff
	retry, err := e.refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("retry after a lost response: %v, want the same successor", err)
	}
	if retry.RefreshToken != lost.RefreshToken {
		t.Fatal("the retry got a different refresh token than the lost answer")
	}
	if _, err := e.refresh(retry.RefreshToken); err != nil {
		t.Fatalf("the grant did not survive the retry: %v", err)
	}
}
