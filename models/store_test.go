package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

const password = "correct horse battery staple"

// catalog is the default scope catalog of CONTRACT.md, in name order.
var catalog = []string{"EWALLET.READ", "EWALLET.WRITE", "INVOICE.READ", "INVOICE.WRITE", "VIRTUAL_ACCOUNT.READ", "VIRTUAL_ACCOUNT.WRITE", "email", "offline_access", "openid", "profile"}

func mustUser(t *testing.T, s *models.Store, email string) *models.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), email, password, false)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func mustClient(t *testing.T, s *models.Store, owner *models.User, typ models.ClientType, scopes ...string) (*models.Client, string) {
	t.Helper()
	in := models.NewClient{Name: "App " + models.NewID(2), Type: typ, Scopes: scopes}
	if typ != models.ClientMachine {
		in.RedirectURIs = []string{"https://app.example.test/cb", "https://app.example.test/cb?tenant=7"}
	}
	if owner != nil {
		in.OwnerID = &owner.ID
	}
	c, secret, err := s.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c, secret
}

func mustGrant(t *testing.T, s *models.Store, clientID string, userID *int64, scope ...string) *models.Grant {
	t.Helper()
	g := &models.Grant{ID: models.NewID(16), ClientID: clientID, UserID: userID, Scope: scope}
	if err := s.CreateGrant(context.Background(), g); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	return g
}

// mustRefreshToken stores a refresh token of grant g and returns its plain value.
func mustRefreshToken(t *testing.T, s *models.Store, g *models.Grant) string {
	t.Helper()
	token := models.NewToken("dpr_")
	rt := &models.RefreshToken{Hash: models.HashToken(token), GrantID: g.ID, Scope: g.Scope, ExpiresAt: time.Now().UTC().Add(time.Hour)}
	if err := s.CreateRefreshToken(context.Background(), rt); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	return token
}

// mustAuthCode stores an authorization code of client c for user u and returns its plain value.
func mustAuthCode(t *testing.T, s *models.Store, c *models.Client, u *models.User) string {
	t.Helper()
	code := models.NewToken("dpc_")
	now := time.Now().UTC()
	row := &models.AuthCode{
		Hash: models.HashToken(code), ClientID: c.ID, UserID: u.ID, RedirectURI: "https://app.example.test/cb",
		Scope: models.Words{"INVOICE.READ", "INVOICE.WRITE"}, CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
		CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := s.CreateAuthCode(context.Background(), row); err != nil {
		t.Fatalf("CreateAuthCode: %v", err)
	}
	return code
}

// race runs fn(0) … fn(n-1) at once, released together by closing one channel.
func race(n int, fn func(i int) error) []error {
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// countNil counts the successes; every other error must match want.
func countNil(t *testing.T, errs []error, want error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, want):
			t.Errorf("err = %v, want nil or %v", err, want)
		}
	}
	return n
}

// TestStore is the storage conformance suite: the same expectations on every backend.
func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "owner@example.test")
		other := mustUser(t, s, "other@example.test")

		t.Run("migrations are idempotent", func(t *testing.T) {
			applied, err := s.Migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
			}
		})
		t.Run("ping", func(t *testing.T) {
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("scope catalog is seeded", func(t *testing.T) {
			scopes, err := s.ActiveScopes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, sc := range scopes {
				names = append(names, sc.Name)
				if sc.Description == "" || sc.RetiredAt != nil {
					t.Errorf("scope %s: description %q, retired %v; want a description and active", sc.Name, sc.Description, sc.RetiredAt)
				}
			}
			if !slices.Equal(names, catalog) {
				t.Fatalf("ActiveScopes = %q, want %q", names, catalog)
			}
			found, err := s.ScopesByName(ctx, []string{"INVOICE.WRITE", "PAYROLL.READ", "EWALLET.READ"})
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 2 || found[0].Name != "EWALLET.READ" || found[1].Name != "INVOICE.WRITE" {
				t.Fatalf("ScopesByName = %+v, want EWALLET.READ and INVOICE.WRITE in catalog order", found)
			}
			if none, err := s.ScopesByName(ctx, nil); err != nil || len(none) != 0 {
				t.Fatalf("ScopesByName(nil) = %v, %v; want nothing", none, err)
			}
		})

		t.Run("users", func(t *testing.T) {
			u, err := s.CreateUser(ctx, "  Ada@Example.TEST ", password, true)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Email != "ada@example.test" || !u.IsAdmin || u.PasswordHash == "" || strings.Contains(u.PasswordHash, password) {
				t.Fatalf("created %+v: want an id, normalised email, admin and a hash", u)
			}
			for _, tc := range []struct {
				name     string
				email    string
				password string
				wantErr  error // nil: some validation error that is not ErrDuplicate
			}{
				{"duplicate email", "ada@example.test", password, models.ErrDuplicate},
				{"duplicate email in another case", "ADA@example.Test", password, models.ErrDuplicate},
				{"short password", "bob@example.test", "short", nil},
				{"email without a domain", "bob@", password, nil},
				{"email with a space", "bob smith@example.test", password, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.CreateUser(ctx, tc.email, tc.password, false)
					if err == nil || got != nil {
						t.Fatalf("CreateUser(%q) = %+v, %v; want an error", tc.email, got, err)
					}
					if tc.wantErr != nil && !errors.Is(err, tc.wantErr) || tc.wantErr == nil && errors.Is(err, models.ErrDuplicate) {
						t.Fatalf("CreateUser(%q) err = %v, want %v", tc.email, err, tc.wantErr)
					}
				})
			}
			for _, tc := range []struct {
				name     string
				email    string
				password string
				wantErr  error
			}{
				{"right password, email in another case", "ADA@example.test ", password, nil},
				{"wrong password", "ada@example.test", password + "!", models.ErrBadCredential},
				{"unknown email", "nobody@example.test", password, models.ErrBadCredential},
			} {
				t.Run("authenticate: "+tc.name, func(t *testing.T) {
					got, err := s.Authenticate(ctx, tc.email, tc.password)
					if tc.wantErr != nil {
						if !errors.Is(err, tc.wantErr) || got != nil {
							t.Fatalf("Authenticate = %+v, %v; want %v", got, err, tc.wantErr)
						}
						return
					}
					if err != nil || got.ID != u.ID {
						t.Fatalf("Authenticate = %+v, %v; want user %d", got, err, u.ID)
					}
				})
			}
			byID, err := s.UserByID(ctx, u.ID)
			if err != nil || byID.Email != u.Email {
				t.Fatalf("UserByID = %+v, %v", byID, err)
			}
			if _, err := s.UserByID(ctx, u.ID+1000); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("UserByID(unknown) err = %v, want ErrNotFound", err)
			}
			if n, err := s.CountUsers(ctx); err != nil || n != 3 {
				t.Fatalf("CountUsers = %d, %v; want 3", n, err)
			}
		})

		t.Run("sessions", func(t *testing.T) {
			live, _, err := s.CreateSession(ctx, owner.ID, time.Hour, "192.0.2.1", "test agent")
			if err != nil {
				t.Fatal(err)
			}
			expired, _, err := s.CreateSession(ctx, owner.ID, -time.Minute, "192.0.2.1", "test agent")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name   string
				token  string
				wantID int64 // 0: ErrNotFound
			}{
				{"live session", live, owner.ID},
				{"expired session", expired, 0},
				{"unknown session", models.NewToken(""), 0},
				{"the stored id is not a cookie", models.HashToken(live), 0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					u, _, err := s.SessionUser(ctx, tc.token, time.Now().UTC(), time.Hour)
					if tc.wantID == 0 {
						if !errors.Is(err, models.ErrNotFound) {
							t.Fatalf("SessionUser = %+v, %v; want ErrNotFound", u, err)
						}
						return
					}
					if err != nil || u.ID != tc.wantID {
						t.Fatalf("SessionUser = %+v, %v; want user %d", u, err, tc.wantID)
					}
				})
			}
			if n, err := s.Purge(ctx, time.Now().UTC()); err != nil || n < 1 {
				t.Fatalf("Purge = %d, %v; want the expired session gone", n, err)
			}
			if _, _, err := s.SessionUser(ctx, live, time.Now().UTC(), time.Hour); err != nil {
				t.Fatalf("live session gone after Purge: %v", err)
			}
			if err := s.DeleteSession(ctx, live); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionUser(ctx, live, time.Now().UTC(), time.Hour); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("SessionUser after DeleteSession err = %v, want ErrNotFound", err)
			}
			if err := s.DeleteSession(ctx, live); err != nil {
				t.Fatalf("deleting an unknown session: %v", err)
			}
		})

		t.Run("clients", func(t *testing.T) {
			for _, tc := range []struct {
				typ        models.ClientType
				withSecret bool
			}{
				{models.ClientWeb, true},
				{models.ClientNative, false},
				{models.ClientMachine, true},
			} {
				t.Run(string(tc.typ), func(t *testing.T) {
					c, secret := mustClient(t, s, owner, tc.typ, "INVOICE.READ", "EWALLET.WRITE")
					if !strings.HasPrefix(c.ID, "dp_") {
						t.Errorf("client id %q, want a dp_ prefix", c.ID)
					}
					got, err := s.ClientByID(ctx, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Name != c.Name || got.Type != tc.typ || got.Status != models.ClientActive || got.OwnerID == nil || *got.OwnerID != owner.ID {
						t.Errorf("ClientByID = %+v, want %+v", got, c)
					}
					if !slices.Equal(got.RedirectURIs, c.RedirectURIs) || !slices.Equal(got.Scopes, []string{"INVOICE.READ", "EWALLET.WRITE"}) {
						t.Errorf("round trip: redirects %q, scopes %q; want %q, %q", got.RedirectURIs, got.Scopes, c.RedirectURIs, c.Scopes)
					}
					if !tc.withSecret {
						if secret != "" || len(got.Secrets) != 0 {
							t.Fatalf("public client got secret %q and %d stored secrets", secret, len(got.Secrets))
						}
						return
					}
					if !strings.HasPrefix(secret, "dps_") || len(got.Secrets) != 1 {
						t.Fatalf("secret %q, %d stored; want one dps_ secret", secret, len(got.Secrets))
					}
					cs := got.Secrets[0]
					if cs.Hash != models.HashToken(secret) || cs.Hint != secret[len(secret)-4:] || !cs.Usable(time.Now()) {
						t.Errorf("stored secret %+v: want the hash, a four-character hint and usable", cs)
					}
					// Every column of client_secrets is a field of ClientSecret.
					if row := fmt.Sprintf("%+v", cs); strings.Contains(row, secret) || strings.Contains(row, secret[4:len(secret)-4]) {
						t.Errorf("client_secrets row %s holds the secret", row)
					}
				})
			}
			if _, err := s.ClientByID(ctx, "dp_nosuchclient"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("ClientByID(unknown) err = %v, want ErrNotFound", err)
			}
		})

		t.Run("rotate secret", func(t *testing.T) {
			c, first := mustClient(t, s, owner, models.ClientMachine, "INVOICE.READ")
			second, err := s.AddSecret(ctx, c.ID, &time.Time{}) // zero: retire the others now
			if err != nil {
				t.Fatal(err)
			}
			third, err := s.AddSecret(ctx, c.ID, &time.Time{}) // zero: retire the others now
			if err != nil {
				t.Fatal(err)
			}
			if second == first || third == second || third == "" {
				t.Fatalf("secrets %q, %q, %q: want three different ones", first, second, third)
			}
			got, err := s.ClientByID(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Secrets) != 1 || got.Secrets[0].Hash != models.HashToken(third) || got.Secrets[0].RetiredAt != nil {
				t.Fatalf("ClientByID secrets = %+v, want only the latest, unretired", got.Secrets)
			}
		})

		t.Run("clients by owner", func(t *testing.T) {
			first, _ := mustClient(t, s, other, models.ClientWeb, "INVOICE.READ")
			second, _ := mustClient(t, s, other, models.ClientNative, "INVOICE.READ")
			mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
			got, err := s.ClientsByOwner(ctx, other.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if want := []string{second.ID, first.ID}; !slices.Equal(ids, want) {
				t.Fatalf("ClientsByOwner = %q, want %q (newest first, only theirs)", ids, want)
			}
			if none, err := s.ClientsByOwner(ctx, other.ID+1000); err != nil || len(none) != 0 {
				t.Fatalf("ClientsByOwner(nobody) = %v, %v; want none", none, err)
			}
		})

		t.Run("auth codes", func(t *testing.T) {
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ", "INVOICE.WRITE")
			c2, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			code := mustAuthCode(t, s, c, owner)
			hash := models.HashToken(code)
			now := time.Now().UTC()

			if got, err := s.ConsumeAuthCode(ctx, hash, c2.ID, now); !errors.Is(err, models.ErrNotFound) || got != nil {
				t.Fatalf("ConsumeAuthCode by another client = %+v, %v; want ErrNotFound", got, err)
			}
			got, err := s.ConsumeAuthCode(ctx, hash, c.ID, now)
			if err != nil {
				t.Fatalf("first consume (after another client tried): %v", err)
			}
			if got.UsedAt == nil || got.UserID != owner.ID || got.RedirectURI != "https://app.example.test/cb" || got.CodeChallengeMethod != "S256" ||
				!slices.Equal(got.Scope, []string{"INVOICE.READ", "INVOICE.WRITE"}) || got.GrantID != nil {
				t.Fatalf("consumed code = %+v", got)
			}
			g := mustGrant(t, s, c.ID, &owner.ID, "INVOICE.READ")
			if err := s.LinkAuthCode(ctx, hash, g.ID); err != nil {
				t.Fatal(err)
			}
			again, err := s.ConsumeAuthCode(ctx, hash, c.ID, now)
			if !errors.Is(err, models.ErrAlreadyUsed) || again == nil || again.GrantID == nil || *again.GrantID != g.ID {
				t.Fatalf("second consume = %+v, %v; want the code with its grant and ErrAlreadyUsed", again, err)
			}
			if _, err := s.ConsumeAuthCode(ctx, models.HashToken(models.NewToken("dpc_")), c.ID, now); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("unknown code err = %v, want ErrNotFound", err)
			}

			racing := models.HashToken(mustAuthCode(t, s, c, owner))
			errs := race(8, func(int) error {
				_, err := s.ConsumeAuthCode(ctx, racing, c.ID, time.Now().UTC())
				return err
			})
			if n := countNil(t, errs, models.ErrAlreadyUsed); n != 1 {
				t.Fatalf("%d of 8 concurrent consumers succeeded, want 1", n)
			}
		})

		t.Run("refresh tokens", func(t *testing.T) {
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			c2, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			g := mustGrant(t, s, c.ID, &owner.ID, "INVOICE.READ")
			token := mustRefreshToken(t, s, g)
			hash := models.HashToken(token)
			now := time.Now().UTC()

			if got, err := s.UseRefreshToken(ctx, hash, c2.ID, now); !errors.Is(err, models.ErrNotFound) || got != nil {
				t.Fatalf("UseRefreshToken by another client = %+v, %v; want ErrNotFound", got, err)
			}
			rt, err := s.UseRefreshToken(ctx, hash, c.ID, now)
			if err != nil {
				t.Fatalf("first use (after another client tried): %v", err)
			}
			if rt.UsedAt == nil || rt.GrantID != g.ID || rt.Grant.ID != g.ID || rt.Grant.ClientID != c.ID || rt.Grant.UserID == nil || *rt.Grant.UserID != owner.ID || !slices.Equal(rt.Scope, []string{"INVOICE.READ"}) {
				t.Fatalf("used token = %+v, want it with its grant preloaded", rt)
			}
			again, err := s.UseRefreshToken(ctx, hash, c.ID, now)
			if !errors.Is(err, models.ErrAlreadyUsed) || again == nil || again.GrantID != g.ID {
				t.Fatalf("second use = %+v, %v; want the token and ErrAlreadyUsed", again, err)
			}
			if _, err := s.UseRefreshToken(ctx, models.HashToken(models.NewToken("dpr_")), c.ID, now); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("unknown token err = %v, want ErrNotFound", err)
			}

			racing := models.HashToken(mustRefreshToken(t, s, g))
			errs := race(8, func(int) error {
				_, err := s.UseRefreshToken(ctx, racing, c.ID, time.Now().UTC())
				return err
			})
			if n := countNil(t, errs, models.ErrAlreadyUsed); n != 1 {
				t.Fatalf("%d of 8 concurrent users succeeded, want 1", n)
			}
		})

		t.Run("grants", func(t *testing.T) {
			m, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
			g := mustGrant(t, s, m.ID, nil, "INVOICE.READ", "EWALLET.READ")
			got, err := s.GrantByID(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.UserID != nil || got.ClientID != m.ID || got.RevokedAt != nil || !slices.Equal(got.Scope, []string{"INVOICE.READ", "EWALLET.READ"}) {
				t.Fatalf("GrantByID = %+v", got)
			}
			if err := s.RevokeGrant(ctx, g.ID, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			revoked, err := s.GrantByID(ctx, g.ID)
			if err != nil || revoked.RevokedAt == nil {
				t.Fatalf("after RevokeGrant: %+v, %v; want revoked_at set", revoked, err)
			}
			if err := s.RevokeGrant(ctx, g.ID, time.Now().UTC().Add(time.Hour)); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			twice, err := s.GrantByID(ctx, g.ID)
			if err != nil || twice.RevokedAt == nil || !twice.RevokedAt.Equal(*revoked.RevokedAt) {
				t.Fatalf("second revocation moved revoked_at from %v to %v", revoked.RevokedAt, twice.RevokedAt)
			}
			// A refresh token of a revoked grant is still found, with the revocation visible.
			token := mustRefreshToken(t, s, g)
			rt, err := s.UseRefreshToken(ctx, models.HashToken(token), m.ID, time.Now().UTC())
			if err != nil || rt.Grant.RevokedAt == nil {
				t.Fatalf("UseRefreshToken on a revoked grant = %+v, %v; want the grant's revoked_at", rt, err)
			}
			if _, err := s.GrantByID(ctx, "nosuchgrant"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("GrantByID(unknown) err = %v, want ErrNotFound", err)
			}
		})

		t.Run("delete client cascades", func(t *testing.T) {
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			g := mustGrant(t, s, c.ID, &owner.ID, "INVOICE.READ")
			token := mustRefreshToken(t, s, g)
			code := mustAuthCode(t, s, c, owner)
			if err := s.SaveConsent(ctx, owner.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteClient(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for name, err := range map[string]error{
				"client":        func() error { _, err := s.ClientByID(ctx, c.ID); return err }(),
				"grant":         func() error { _, err := s.GrantByID(ctx, g.ID); return err }(),
				"refresh token": func() error { _, err := s.UseRefreshToken(ctx, models.HashToken(token), c.ID, now); return err }(),
				"auth code":     func() error { _, err := s.ConsumeAuthCode(ctx, models.HashToken(code), c.ID, now); return err }(),
				"second delete": s.DeleteClient(ctx, c.ID),
			} {
				if !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s after DeleteClient: err = %v, want ErrNotFound", name, err)
				}
			}
		})

		t.Run("signing keys", func(t *testing.T) {
			t0 := time.Now().UTC().Truncate(time.Second)
			retired := t0.Add(-time.Hour)
			newer := &models.SigningKey{ID: "k-newer", Algorithm: "ES256", PublicJWK: `{"kid":"k-newer"}`, PrivateKey: []byte{0, 1, 0xfe, 0xff}, CreatedAt: t0.Add(time.Second)}
			older := &models.SigningKey{ID: "k-older", Algorithm: "RS256", PublicJWK: `{"kid":"k-older"}`, PrivateKey: []byte{0xff, 0, 'x'}, CreatedAt: t0}
			gone := &models.SigningKey{ID: "k-retired", Algorithm: "ES256", PublicJWK: `{}`, PrivateKey: []byte{1}, CreatedAt: t0.Add(-time.Hour), RetiredAt: &retired}
			for _, k := range []*models.SigningKey{newer, older, gone} {
				if err := s.CreateSigningKey(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateSigningKey(ctx, &models.SigningKey{ID: "k-older", Algorithm: "ES256", PublicJWK: "{}", PrivateKey: []byte{1}}); err == nil {
				t.Error("a second key with the same id was stored")
			}
			got, err := s.SigningKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("SigningKeys = %d keys, want the 2 unretired", len(got))
			}
			for i, want := range []*models.SigningKey{older, newer} {
				k := got[i]
				if k.ID != want.ID || k.Algorithm != want.Algorithm || k.PublicJWK != want.PublicJWK || !bytes.Equal(k.PrivateKey, want.PrivateKey) || k.RetiredAt != nil {
					t.Errorf("SigningKeys[%d] = %+v, want %+v (oldest first, bytes intact)", i, k, want)
				}
			}
		})
	})
}

// backend is an empty database and a raw handle on it, for what the Store deliberately cannot
// read back (consents, retired secrets) and for migrating from scratch.
type backend struct {
	dsn string
	raw *gorm.DB
}

// eachBackend runs fn on an empty SQLite database and, when storetest.PostgresEnv is set, on an
// empty PostgreSQL schema; storetest.PostgresURL decides between skipping and failing without one.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	quiet := &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "devportal.db")
		raw, err := gorm.Open(sqlite.Open("file:"+path+"?_busy_timeout=10000"), quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mustCloseDB(t, raw) })
		fn(t, backend{dsn: path, raw: raw})
	})
	t.Run("postgres", func(t *testing.T) {
		u, err := url.Parse(storetest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		schema := "t_" + models.NewID(8)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		raw, err := gorm.Open(postgres.Open(u.String()), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			raw.Exec("DROP SCHEMA " + schema + " CASCADE")
			mustCloseDB(t, raw)
		})
		fn(t, backend{dsn: u.String(), raw: raw})
	})
}

func mustCloseDB(t *testing.T, db *gorm.DB) {
	t.Helper()
	sqlDB, err := db.DB()
	if err == nil {
		err = sqlDB.Close()
	}
	if err != nil {
		t.Errorf("close raw database: %v", err)
	}
}

// mustOpen opens a store on the backend without migrating it.
func (b backend) mustOpen(t *testing.T) *models.Store {
	t.Helper()
	s, err := models.Open(b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (b backend) mustMigrated(t *testing.T) *models.Store {
	t.Helper()
	s := b.mustOpen(t)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// rows reads every column of the matching rows as text.
func (b backend) rows(t *testing.T, table, where string, args ...any) []map[string]string {
	t.Helper()
	var raw []map[string]any
	if err := b.raw.Table(table).Where(where, args...).Find(&raw).Error; err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	out := make([]map[string]string, len(raw))
	for i, r := range raw {
		out[i] = map[string]string{}
		for k, v := range r {
			switch v := v.(type) {
			case nil:
				out[i][k] = ""
			case []byte:
				out[i][k] = string(v)
			default:
				out[i][k] = fmt.Sprint(v)
			}
		}
	}
	return out
}

// mustMigrationNames lists the migration files the package embeds, as Migrate reports them.
func mustMigrationNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 || names[0] != "0001_initial" {
		t.Fatalf("migrations %v, want 0001_initial first", names)
	}
	return names
}

func TestMigrate(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		want := mustMigrationNames(t)
		s := b.mustOpen(t)
		applied, err := s.Migrate(ctx)
		if err != nil || !slices.Equal(applied, want) {
			t.Fatalf("first Migrate = %v, %v; want %v", applied, err, want)
		}
		applied, err = s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing", applied, err)
		}
		if rows := b.rows(t, "schema_migrations", "1 = 1"); len(rows) != len(want) {
			t.Fatalf("schema_migrations = %v, want one row per migration %v", rows, want)
		}
		if rows := b.rows(t, "scopes", "1 = 1"); len(rows) != len(catalog) {
			t.Fatalf("%d scopes after migrating twice, want %d", len(rows), len(catalog))
		}
	})
}

// TestMigrateConcurrently starts several instances on one empty database at once, as replicas
// of a fresh deployment do: every one must come up, and each migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	const instances = 3
	eachBackend(t, func(t *testing.T, b backend) {
		want := mustMigrationNames(t)
		stores := make([]*models.Store, instances)
		for i := range stores {
			stores[i] = b.mustOpen(t)
		}
		applied := make([][]string, instances)
		errs := race(instances, func(i int) error {
			var err error
			applied[i], err = stores[i].Migrate(context.Background())
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		}
		var all []string
		for _, a := range applied {
			all = append(all, a...)
		}
		slices.Sort(all)
		if !slices.Equal(all, want) {
			t.Fatalf("instances applied %v between them, want each of %v once", applied, want)
		}
	})
}

func TestStoreRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustMigrated(t)
		owner := mustUser(t, s, "owner@example.test")

		t.Run("client secrets are stored hashed; rotation retires, never deletes", func(t *testing.T) {
			c, first := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			second, err := s.AddSecret(ctx, c.ID, &time.Time{}) // zero: retire the others now
			if err != nil {
				t.Fatal(err)
			}
			rows := b.rows(t, "client_secrets", "client_id = ?", c.ID)
			if len(rows) != 2 {
				t.Fatalf("%d client_secrets rows, want 2", len(rows))
			}
			retired := 0
			for _, row := range rows {
				for col, v := range row {
					for _, sec := range []string{first, second} {
						if strings.Contains(v, sec) || strings.Contains(v, sec[4:len(sec)-4]) {
							t.Errorf("column %s holds a plain secret", col)
						}
					}
				}
				if row["retired_at"] != "" {
					retired++
					if row["hash"] != models.HashToken(first) {
						t.Errorf("retired row has hash %s, want the first secret's", row["hash"])
					}
				}
			}
			if retired != 1 {
				t.Fatalf("%d retired secrets, want 1", retired)
			}
		})

		t.Run("sessions are stored hashed", func(t *testing.T) {
			token, _, err := s.CreateSession(ctx, owner.ID, time.Hour, "192.0.2.1", strings.Repeat("a", 300))
			if err != nil {
				t.Fatal(err)
			}
			rows := b.rows(t, "sessions", "user_id = ?", owner.ID)
			if len(rows) != 1 || rows[0]["id"] != models.HashToken(token) || len(rows[0]["user_agent"]) != 256 {
				t.Fatalf("sessions rows = %v, want one keyed by the token's hash with a 256-byte user agent", rows)
			}
		})

		t.Run("SaveConsent widens to the union", func(t *testing.T) {
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ", "INVOICE.WRITE", "EWALLET.READ")
			steps := []struct {
				save []string
				want string
			}{
				{[]string{"INVOICE.READ", "INVOICE.WRITE"}, "INVOICE.READ INVOICE.WRITE"},
				{[]string{"INVOICE.WRITE", "EWALLET.READ"}, "INVOICE.READ INVOICE.WRITE EWALLET.READ"},
				{[]string{"INVOICE.READ"}, "INVOICE.READ INVOICE.WRITE EWALLET.READ"}, // never narrows
			}
			for _, step := range steps {
				if err := s.SaveConsent(ctx, owner.ID, c.ID, step.save); err != nil {
					t.Fatal(err)
				}
				rows := b.rows(t, "consents", "user_id = ? AND client_id = ?", owner.ID, c.ID)
				if len(rows) != 1 || rows[0]["scope"] != step.want {
					t.Fatalf("after saving %q: consents = %v, want one row with scope %q", step.save, rows, step.want)
				}
			}
		})

		t.Run("DeleteClient leaves no rows behind", func(t *testing.T) {
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			g := mustGrant(t, s, c.ID, &owner.ID, "INVOICE.READ")
			mustRefreshToken(t, s, g)
			mustAuthCode(t, s, c, owner)
			if err := s.SaveConsent(ctx, owner.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteClient(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct {
				table, where string
				arg          string
			}{
				{"client_secrets", "client_id = ?", c.ID},
				{"grants", "client_id = ?", c.ID},
				{"auth_codes", "client_id = ?", c.ID},
				{"consents", "client_id = ?", c.ID},
				{"refresh_tokens", "grant_id = ?", g.ID},
			} {
				if rows := b.rows(t, q.table, q.where, q.arg); len(rows) != 0 {
					t.Errorf("%d %s rows left after DeleteClient", len(rows), q.table)
				}
			}
		})
	})
}

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn     string
		dialect models.Dialect
		target  string
	}{
		{"postgres://u:p@db:5432/app?sslmode=disable", models.Postgres, "postgres://u:p@db:5432/app?sslmode=disable"},
		{"postgresql://db/app", models.Postgres, "postgresql://db/app"},
		{"sqlite://data/devportal.db", models.SQLite, "data/devportal.db"},
		{"sqlite:/var/lib/devportal.db", models.SQLite, "/var/lib/devportal.db"},
		{"./data/devportal.db", models.SQLite, "./data/devportal.db"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			d, target := models.ParseDSN(tc.dsn)
			if d != tc.dialect || target != tc.target {
				t.Fatalf("ParseDSN(%q) = %s, %q; want %s, %q", tc.dsn, d, target, tc.dialect, tc.target)
			}
		})
	}
}

// A SQLite path may hold characters that mean something in a file: URI.
func TestOpenEscapesSQLitePath(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"a#1", "a#2", "b?x", "c%41"} {
		path := filepath.Join(dir, sub, "devportal.db")
		s, err := models.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := s.Migrate(context.Background())
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) == 0 {
			t.Errorf("%s: shares a database with an earlier path", sub)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: the database file is not where asked (%v)", sub, err)
		}
	}
}
