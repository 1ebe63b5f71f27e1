package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/devportal/devportal/models"
)

// The growth dataset at scale 1 (issue 14): 100k users, 100k clients, 1M grants and 1M refresh
// tokens, 1M audit events and 1M activity events for one popular application; and what such a
// deployment also holds: the last day's used authorization codes (kept 24 hours to detect a
// replay), the sample API's invoices, and sensitive-scope requests waiting for an admin. Scale N
// divides every count by N (at least one of each).
const (
	fullUsers         = 100_000
	fullClients       = 100_000
	fullGrants        = 1_000_000
	fullAuditEvents   = 1_000_000
	fullActivity      = 1_000_000
	fullAuthCodes     = 100_000
	fullInvoices      = 100_000
	fullScopeRequests = 10_000
	// Deletable applications of the developer, each with deletableGrants grants, for the growth
	// table's delete row (the issue measured a client with 7 grants).
	deletableApps   = 5
	deletableGrants = 7
	// The fixture user has also allowed this many of the bulk applications (/account/apps).
	userExtraApps = 10
)

// fixturePassword is the password of every seeded account: a test database's, not a secret.
const fixturePassword = "loadtest password 14"

// The audit types the seed spreads its events over, evenly; Fixtures.AuditType is one of them.
var seedAuditTypes = []string{models.AuditLogin, models.AuditLoginFailed, models.AuditAppCreated, models.AuditAppUpdated,
	models.AuditSecretCreated, models.AuditConsentGranted, models.AuditConsentRevoked, models.AuditPasswordChanged,
	models.AuditLogout, models.AuditProfileChanged}

func seedCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("seed", out)
	dsn := fs.String("db", "", "database to fill: a SQLite file path or a postgres:// URL (must be freshly created: no users yet)")
	scale := fs.Int("scale", 1000, "1 is the full growth dataset; N divides every count by N")
	path := fs.String("fixtures", "fixtures.json", "where to write the fixtures (credentials and names) for run and growth")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || *scale < 1 {
		return errors.New("seed needs -db and a -scale of at least 1")
	}
	start := time.Now()
	store, err := models.Open(*dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	if n, err := store.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("%s already has %d users: seed a freshly created database", *dsn, n)
	}
	sd := &seeder{store: store, scale: *scale, out: out, now: time.Now().UTC()}
	f, err := sd.seed(ctx)
	if err != nil {
		return err
	}
	if err := f.save(*path); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded scale %d in %s; fixtures in %s\n", *scale, time.Since(start).Round(time.Second), *path)
	return nil
}

// seeder writes the dataset in chunks of models.SeedTxRows, so memory stays bounded too.
type seeder struct {
	store *models.Store
	scale int
	out   io.Writer
	now   time.Time

	users    []models.User // the bulk users (ID, email, subject only are kept)
	clients  []string      // the bulk applications' IDs
	consents map[consentKey]bool
}

type consentKey struct {
	user   int64
	client string
}

func (sd *seeder) count(full int) int { return max(1, full/sd.scale) }

// spread is the time of row i of n spread evenly over the span that ends now. (span*i would
// overflow a Duration: a day is 8.64e13 ns.)
func (sd *seeder) spread(span time.Duration, i, n int) time.Time {
	return sd.now.Add(-span + time.Duration(float64(span)*float64(i)/float64(n)))
}

func (sd *seeder) step(what string, n int, t0 time.Time) {
	fmt.Fprintf(sd.out, "%-16s %9d rows  %s\n", what, n, time.Since(t0).Round(time.Millisecond))
}

func (sd *seeder) seed(ctx context.Context) (*Fixtures, error) {
	f, dev, user, err := sd.fixtures(ctx)
	if err != nil {
		return nil, err
	}
	if err := sd.seedUsers(ctx, dev.PasswordHash); err != nil {
		return nil, err
	}
	if err := sd.seedClients(ctx); err != nil {
		return nil, err
	}
	sd.consents = map[consentKey]bool{{user.ID, f.Web.ID}: true}
	if err := sd.seedGrants(ctx, f, dev, user); err != nil {
		return nil, err
	}
	if err := sd.seedAudit(ctx); err != nil {
		return nil, err
	}
	if err := sd.seedActivity(ctx, f.Web.ID); err != nil {
		return nil, err
	}
	if err := sd.seedInvoices(ctx); err != nil {
		return nil, err
	}
	if err := sd.seedScopeRequests(ctx); err != nil {
		return nil, err
	}
	if err := sd.store.SeedAnalyze(ctx); err != nil {
		return nil, err
	}
	mid := len(sd.users) / 2
	f.UserQuery = sd.users[mid].Email
	f.AuditActor = sd.users[len(sd.users)/3].Email
	f.AuditType = models.AuditPasswordChanged
	f.ClientQuery = seedClientName(len(sd.clients) / 2)
	return f, nil
}

// fixtures creates the known accounts and applications through the product's own methods, so
// their password hashes and secrets are exactly what sign-up and registration would store.
func (sd *seeder) fixtures(ctx context.Context) (*Fixtures, *models.User, *models.User, error) {
	s := sd.store
	f := &Fixtures{Scale: sd.scale}
	var users [3]*models.User
	for i, a := range []struct {
		acc   *Account
		email string
		admin bool
	}{{&f.Admin, "admin@loadtest.example", true}, {&f.Developer, "developer@loadtest.example", false}, {&f.User, "user@loadtest.example", false}} {
		u, err := s.CreateUser(ctx, a.email, fixturePassword, a.admin)
		if err != nil {
			return nil, nil, nil, err
		}
		*a.acc = Account{Email: a.email, Password: fixturePassword}
		users[i] = u
	}
	dev, user := users[1], users[2]
	web, webSecret, err := s.CreateClient(ctx, models.NewClient{OwnerID: &dev.ID, Name: "Popular app", Type: models.ClientWeb,
		RedirectURIs: []string{"https://popular.example/cb"}, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}})
	if err != nil {
		return nil, nil, nil, err
	}
	f.Web = App{ID: web.ID, Secret: webSecret, RedirectURI: "https://popular.example/cb", Scope: "INVOICE.READ"}
	machine, machineSecret, err := s.CreateClient(ctx, models.NewClient{OwnerID: &dev.ID, Name: "Load test resource server",
		Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}, CanIntrospect: true})
	if err != nil {
		return nil, nil, nil, err
	}
	f.Machine = App{ID: machine.ID, Secret: machineSecret, Scope: "INVOICE.READ"}
	if err := s.SaveConsent(ctx, user.ID, web.ID, []string{"INVOICE.READ"}); err != nil {
		return nil, nil, nil, err
	}
	for i := range deletableApps {
		c, _, err := s.CreateClient(ctx, models.NewClient{OwnerID: &dev.ID, Name: fmt.Sprintf("Deletable app %d", i+1), Type: models.ClientWeb,
			RedirectURIs: []string{fmt.Sprintf("https://deletable%d.example/cb", i+1)}, Scopes: []string{"INVOICE.READ"}})
		if err != nil {
			return nil, nil, nil, err
		}
		f.Deletable = append(f.Deletable, c.ID)
	}
	return f, dev, user, nil
}

func seedClientName(i int) string { return fmt.Sprintf("Seed app %07d", i) }

// seedUsers adds the bulk accounts. They share one real argon2id hash of fixturePassword:
// hashing 100k passwords would take an hour and change nothing the measurements see.
func (sd *seeder) seedUsers(ctx context.Context, hash string) error {
	t0 := time.Now()
	first, err := sd.store.MaxUserID(ctx)
	if err != nil {
		return err
	}
	n := sd.count(fullUsers)
	chunk := make([]models.User, 0, models.SeedTxRows)
	for i := range n {
		created := sd.now.Add(-time.Duration(n-i) * 2 * time.Minute)
		u := models.User{ID: first + 1 + int64(i), Email: fmt.Sprintf("user%07d@seed.example", i), Subject: models.NewID(16),
			DisplayName: fmt.Sprintf("Seed User %d", i), PasswordHash: hash, EmailVerifiedAt: &created, CreatedAt: created, UpdatedAt: created}
		chunk = append(chunk, u)
		sd.users = append(sd.users, models.User{ID: u.ID, Email: u.Email, Subject: u.Subject})
		if len(chunk) == cap(chunk) || i == n-1 {
			if err := sd.store.SeedUsers(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	sd.step("users", n, t0)
	return nil
}

// seedClients adds the bulk applications, web applications owned by the bulk users, each with
// one real secret (its SHA-256 stored, as registration does).
func (sd *seeder) seedClients(ctx context.Context) error {
	t0 := time.Now()
	n := sd.count(fullClients)
	chunk := make([]models.Client, 0, models.SeedTxRows)
	for i := range n {
		created := sd.now.Add(-time.Duration(n-i) * 5 * time.Minute)
		owner := sd.users[i%len(sd.users)].ID
		secret := models.NewToken("dps_")
		c := models.Client{ID: "dp_" + models.NewID(12), OwnerID: &owner, Name: seedClientName(i), Type: models.ClientWeb,
			RedirectURIs: models.Lines{fmt.Sprintf("https://app%07d.example/cb", i)}, Scopes: models.Words{"INVOICE.READ"},
			Status: models.ClientActive, CreatedAt: created, UpdatedAt: created,
			Secrets: []models.ClientSecret{{Hash: models.HashToken(secret), Hint: secret[len(secret)-4:], CreatedAt: created}}}
		chunk = append(chunk, c)
		sd.clients = append(sd.clients, c.ID)
		if len(chunk) == cap(chunk) || i == n-1 {
			if err := sd.store.SeedClients(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	sd.step("clients", n, t0)
	return nil
}

// grantRows collects grants with one live refresh token each and the consents they imply.
type grantRows struct {
	grants   []models.Grant
	tokens   []models.RefreshToken
	consents []models.Consent
	codes    []models.AuthCode
}

// add adds a grant with its refresh token and consent and, when codeAt is set, the used code it
// was issued from, created then.
func (sd *seeder) add(r *grantRows, clientID string, u models.User, created time.Time, codeAt *time.Time) {
	uid := u.ID
	g := models.Grant{ID: models.NewID(16), ClientID: clientID, UserID: &uid, Subject: u.Subject, Scope: models.Words{"INVOICE.READ"}, CreatedAt: created}
	r.grants = append(r.grants, g)
	if codeAt != nil {
		used := codeAt.Add(time.Second)
		r.codes = append(r.codes, models.AuthCode{Hash: models.HashToken(models.NewToken("dpc_")), ClientID: clientID, UserID: uid, Subject: u.Subject,
			RedirectURI: "https://seed.example/cb", Scope: g.Scope, GrantID: &g.ID, CreatedAt: *codeAt, ExpiresAt: codeAt.Add(time.Minute), UsedAt: &used})
	}
	r.tokens = append(r.tokens, models.RefreshToken{Hash: models.HashToken(models.NewToken("dpr_")), GrantID: g.ID, Scope: g.Scope,
		CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)})
	if k := (consentKey{uid, clientID}); !sd.consents[k] {
		sd.consents[k] = true
		r.consents = append(r.consents, models.Consent{UserID: uid, ClientID: clientID, Scope: g.Scope, CreatedAt: created, UpdatedAt: created})
	}
}

func (sd *seeder) flush(ctx context.Context, r *grantRows) error {
	if err := sd.store.SeedGrants(ctx, r.grants); err != nil {
		return err
	}
	if err := sd.store.SeedRefreshTokens(ctx, r.tokens); err != nil {
		return err
	}
	if err := sd.store.SeedConsents(ctx, r.consents); err != nil {
		return err
	}
	if err := sd.store.SeedAuthCodes(ctx, r.codes); err != nil {
		return err
	}
	r.grants, r.tokens, r.consents, r.codes = r.grants[:0], r.tokens[:0], r.consents[:0], r.codes[:0]
	return nil
}

// seedGrants adds the grants: every other one for the popular application, the rest spread over
// the bulk applications; users in turn. They are all live (created in the last 20 days, their
// refresh token valid 30 days), so the server's hourly purge leaves them alone.
func (sd *seeder) seedGrants(ctx context.Context, f *Fixtures, dev, user *models.User) error {
	t0 := time.Now()
	n, codes := sd.count(fullGrants), sd.count(fullAuthCodes)
	r := &grantRows{}
	span, day := 20*24*time.Hour, 23*time.Hour
	for i := range n {
		client := f.Web.ID
		if i%2 == 1 {
			client = sd.clients[(i/2)%len(sd.clients)]
		}
		// The newest grants came from the codes of the last day (inside the purge's 24 hours).
		var codeAt *time.Time
		if k := i - (n - codes); k >= 0 {
			at := sd.spread(day, k, codes)
			codeAt = &at
		}
		sd.add(r, client, sd.users[i%len(sd.users)], sd.spread(span, i, n), codeAt)
		if len(r.grants) == models.SeedTxRows {
			if err := sd.flush(ctx, r); err != nil {
				return err
			}
		}
	}
	// The same few rows at every scale: the delete row's applications and the user's other apps.
	me := models.User{ID: user.ID, Subject: user.Subject}
	for i, id := range f.Deletable {
		for k := range deletableGrants {
			sd.add(r, id, sd.users[(i*deletableGrants+k)%len(sd.users)], sd.now.Add(-time.Hour), nil)
		}
	}
	for i := range min(userExtraApps, len(sd.clients)) {
		sd.add(r, sd.clients[i], me, sd.now.Add(-time.Duration(i+1)*time.Hour), nil)
	}
	if err := sd.flush(ctx, r); err != nil {
		return err
	}
	sd.step("grants+tokens", n, t0)
	fmt.Fprintf(sd.out, "%-16s %9d rows\n", "auth codes", codes)
	fmt.Fprintf(sd.out, "%-16s %9d rows\n", "consents", len(sd.consents))
	return nil
}

// seedAudit adds audit events over the last 180 days (inside the default year of retention),
// their types in turn and their actors the bulk users in turn.
func (sd *seeder) seedAudit(ctx context.Context) error {
	t0 := time.Now()
	n := sd.count(fullAuditEvents)
	span := 180 * 24 * time.Hour
	chunk := make([]models.AuditEvent, 0, models.SeedTxRows)
	for i := range n {
		u := sd.users[i%len(sd.users)]
		uid := u.ID
		chunk = append(chunk, models.AuditEvent{Type: seedAuditTypes[i%len(seedAuditTypes)], ActorID: &uid, Actor: u.Email,
			Target: sd.clients[i%len(sd.clients)], IP: fmt.Sprintf("192.0.2.%d", i%250+1),
			CreatedAt: sd.spread(span, i, n)})
		if len(chunk) == cap(chunk) || i == n-1 {
			if err := sd.store.SeedAuditEvents(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	sd.step("audit events", n, t0)
	return nil
}

// seedActivity adds the popular application's activity over the last 30 days, all of it inside
// the chart's window: mostly tokens and refreshes, some failures.
func (sd *seeder) seedActivity(ctx context.Context, clientID string) error {
	t0 := time.Now()
	n := sd.count(fullActivity)
	span := 30 * 24 * time.Hour
	chunk := make([]models.ClientEvent, 0, models.SeedTxRows)
	for i := range n {
		e := models.ClientEvent{ClientID: clientID, Kind: models.EventRefresh, GrantType: "refresh_token",
			CreatedAt: sd.spread(span, i, n)}
		switch i % 10 {
		case 0, 1, 2:
			e.Kind, e.GrantType = models.EventToken, "authorization_code"
		case 3:
			e.Kind, e.GrantType = models.EventAuthorization, ""
		case 4:
			e.Kind, e.ErrorCode, e.Detail = models.EventFailure, "invalid_grant", "the refresh token is unknown or was issued to another client"
		}
		chunk = append(chunk, e)
		if len(chunk) == cap(chunk) || i == n-1 {
			if err := sd.store.SeedClientEvents(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	sd.step("activity events", n, t0)
	return nil
}

// seedInvoices adds the sample API's invoices, owned by the bulk users and created by the bulk
// applications in turn.
func (sd *seeder) seedInvoices(ctx context.Context) error {
	t0 := time.Now()
	n := sd.count(fullInvoices)
	span := 365 * 24 * time.Hour
	chunk := make([]models.Invoice, 0, models.SeedTxRows)
	for i := range n {
		client := sd.clients[i%len(sd.clients)]
		chunk = append(chunk, models.Invoice{ID: "inv_" + models.NewID(12), OwnerID: sd.users[i%len(sd.users)].ID, ClientID: &client,
			Amount: int64(1000 + i%9000), Currency: "EUR", Description: fmt.Sprintf("Seed invoice %d", i), Status: "PENDING",
			CreatedAt: sd.spread(span, i, n)})
		if len(chunk) == cap(chunk) || i == n-1 {
			if err := sd.store.SeedInvoices(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	sd.step("invoices", n, t0)
	return nil
}

// seedScopeRequests adds a sensitive scope to the catalog and, for every tenth bulk
// application, a request for it waiting for an admin.
func (sd *seeder) seedScopeRequests(ctx context.Context) error {
	t0 := time.Now()
	const scope = "PAYOUT.WRITE"
	if err := sd.store.CreateScope(ctx, scope, "Send payouts from your balance", true); err != nil {
		return err
	}
	n := min(sd.count(fullScopeRequests), len(sd.clients))
	reqs := make([]models.ScopeRequest, n)
	for i := range reqs {
		reqs[i] = models.ScopeRequest{ClientID: sd.clients[i*len(sd.clients)/n], Scope: scope, Status: models.RequestPending,
			RequestedAt: sd.now.Add(-time.Duration(n-i) * time.Minute)}
	}
	if err := sd.store.SeedScopeRequests(ctx, reqs); err != nil {
		return err
	}
	sd.step("scope requests", n, t0)
	return nil
}
