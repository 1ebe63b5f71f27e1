package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// signIn starts a real portal session for u and returns it as the authorization endpoint sees
// it, so codes carry a real sid and auth_time.
func signIn(t testing.TB, s *models.Store, u *models.User) *oauth.Authentication {
	t.Helper()
	_, sess, err := s.CreateSession(context.Background(), u.ID, time.Hour, "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	return &oauth.Authentication{User: u, Session: sess}
}
