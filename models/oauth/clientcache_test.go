package oauth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// TestClientCacheInvalidation: the token endpoint keeps verified client records for
// DefaultClientCacheTTL (issue 14, "cache verified client records … with immediate invalidation
// on the instance that changes them"). Every change that must end a client's access, made
// through the Store of this instance, takes effect on the very next request, well inside the
// cache's lifetime (the clock does not move): RFC 6749 §2.3 and §5.2 invalid_client for a
// suspended, revoked, deleted or disowned client or a retired secret, invalid_scope for a scope
// the client no longer has.
func TestClientCacheInvalidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		srv, err := oauth.NewServer(oauth.Config{Issuer: "https://auth.example.test", Now: func() time.Time { return now }}, store, []byte(strings.Repeat("k", 32)))
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadKeys(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			change func(t *testing.T, c *models.Client, owner *models.User, secret string) (newSecret string)
			want   error // of a token request with the old secret
		}{
			{"suspended", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				mustNil(t, store.SetClientStatus(ctx, c.ID, models.ClientSuspended))
				return ""
			}, oauth.ErrClientDisabled},
			{"suspended by an admin", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				mustNil(t, store.ChangeClientStatus(ctx, c.ID, models.ClientActive, models.ClientSuspended))
				return ""
			}, oauth.ErrClientDisabled},
			{"revoked", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				mustNil(t, store.RevokeClient(ctx, c.ID))
				return ""
			}, oauth.ErrClientDisabled},
			{"secret rotated, old one retired now", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				s, err := store.AddSecret(ctx, c.ID, &time.Time{})
				mustNil(t, err)
				return s
			}, oauth.ErrBadClientSecret},
			{"secret retired", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				fresh, err := store.ClientByID(ctx, c.ID)
				mustNil(t, err)
				mustNil(t, store.RetireSecret(ctx, c.ID, fresh.Secrets[0].ID))
				return ""
			}, oauth.ErrBadClientSecret},
			{"scope removed", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				mustNil(t, store.UpdateClient(ctx, c.ID, models.ClientProfile{Name: c.Name, Scopes: []string{"INVOICE.WRITE"}}))
				return ""
			}, oauth.ErrInvalidScope},
			{"deleted", func(t *testing.T, c *models.Client, _ *models.User, _ string) string {
				mustNil(t, store.DeleteClient(ctx, c.ID))
				return ""
			}, oauth.ErrUnknownClient},
			{"owner disabled", func(t *testing.T, _ *models.Client, owner *models.User, _ string) string {
				mustNil(t, store.SetUserDisabled(ctx, owner.ID, true))
				return ""
			}, oauth.ErrClientDisabled},
		} {
			t.Run(tc.name, func(t *testing.T) {
				owner, err := store.CreateUser(ctx, models.NewID(6)+"@example.com", "a long enough password", false)
				mustNil(t, err)
				c, secret, err := store.CreateClient(ctx, models.NewClient{OwnerID: &owner.ID, Name: "cached", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}})
				mustNil(t, err)
				token := func(secret string) error {
					_, err := srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: c.ID, ClientSecret: secret, Scope: []string{"INVOICE.READ"}})
					return err
				}
				// Twice: the first records the secret's first use, which drops the record; the
				// second reads it again and keeps it.
				mustNil(t, token(secret))
				mustNil(t, token(secret))
				newSecret := tc.change(t, c, owner, secret)
				if err := token(secret); !errors.Is(err, tc.want) {
					t.Fatalf("token request right after the change: %v, want %v", err, tc.want)
				}
				if newSecret != "" {
					mustNil(t, token(newSecret))
				}
			})
		}
	})
}

// TestClientCacheBound: a change made by another instance (its own Store on the same database)
// cannot be announced here, so it is seen once the cached record is DefaultClientCacheTTL old,
// and not sooner; docs/deployment.md "Running several instances" promises exactly this bound.
func TestClientCacheBound(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "devportal.db")
	open := func() *models.Store {
		s, err := models.Open(path)
		mustNil(t, err)
		t.Cleanup(func() { s.Close() })
		_, err = s.Migrate(ctx)
		mustNil(t, err)
		return s
	}
	here, other := open(), open()
	now := time.Now().UTC()
	srv, err := oauth.NewServer(oauth.Config{Issuer: "https://auth.example.test", Now: func() time.Time { return now }}, here, []byte(strings.Repeat("k", 32)))
	mustNil(t, err)
	mustNil(t, srv.LoadKeys(ctx))
	c, secret, err := here.CreateClient(ctx, models.NewClient{Name: "cached", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}})
	mustNil(t, err)
	token := func() error {
		_, err := srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: c.ID, ClientSecret: secret})
		return err
	}
	// Twice: the first request records the secret's first use, which drops the record.
	mustNil(t, token())
	mustNil(t, token())
	mustNil(t, other.SetClientStatus(ctx, c.ID, models.ClientSuspended))
	now = now.Add(oauth.DefaultClientCacheTTL - time.Millisecond)
	if err := token(); err != nil {
		t.Fatalf("within the cache lifetime: %v; want the cached record to answer (is the cache on?)", err)
	}
	now = now.Add(time.Millisecond)
	if err := token(); !errors.Is(err, oauth.ErrClientDisabled) {
		t.Fatalf("once the cached record is DefaultClientCacheTTL old: %v, want %v", err, oauth.ErrClientDisabled)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
