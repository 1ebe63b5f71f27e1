package oauth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/devportal/devportal/models/oauth"
)

// TestRetiredKeyEndsVerifiedTokens: access tokens whose signature checked out are remembered so
// introspection does not verify the same signature on every call (issue 14), but retiring the
// key that signed one (the point of retiring it: it leaked) makes it fail at the next key
// reload like any other token of that key (RFC 7517 §5: only keys in the set verify).
func TestRetiredKeyEndsVerifiedTokens(t *testing.T) {
	e := newTSEnv(t, oauth.Config{})
	ctx := context.Background()
	resp, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec})
	mustNil(t, err)
	for range 2 { // the second is answered from memory
		if _, err := e.srv.ValidateAccessToken(ctx, resp.AccessToken); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
	}
	old := e.srv.SigningKeyID()
	if _, err := e.srv.RotateKeysNow(ctx); err != nil {
		t.Fatal(err)
	}
	mustNil(t, e.srv.LoadKeys(ctx))
	mustNil(t, e.srv.RetireKey(ctx, old))
	mustNil(t, e.srv.LoadKeys(ctx))
	if _, err := e.srv.ValidateAccessToken(ctx, resp.AccessToken); !errors.Is(err, oauth.ErrInvalidToken) {
		t.Fatalf("token of a retired key after the reload: %v, want %v", err, oauth.ErrInvalidToken)
	}
	in, err := e.srv.Introspect(ctx, e.machine, resp.AccessToken)
	mustNil(t, err)
	if in.Active {
		t.Fatal("introspection calls a token of a retired key active")
	}
}
