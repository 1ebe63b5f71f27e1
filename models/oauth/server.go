package oauth

import (
	"fmt"
	"time"

	"github.com/devportal/devportal/models"
)

// Config is the deployment's protocol policy.
type Config struct {
	Issuer     string        // absolute URL, no trailing slash; the iss of tokens and responses
	Audience   string        // aud of access tokens: the resource servers that accept them
	SigningAlg string        // ES256 (default) or RS256
	AccessTTL  time.Duration // access-token lifetime
	RefreshTTL time.Duration // refresh-token lifetime
	CodeTTL    time.Duration // authorization-code lifetime; RFC 6749 §4.1.2 suggests at most 10 minutes, we use 60 s
	// RefreshFamilyTTL bounds a whole refresh-token family: however often it rotates, a grant's
	// refresh tokens stop working this long after the user authorized (RFC 9700 §4.14.2 asks for
	// an absolute expiry), so a stolen token that keeps rotating does not live for ever.
	RefreshFamilyTTL time.Duration
	// RefreshGrace lets a client that lost a refresh response retry with the same refresh token
	// for this long and get the same new refresh token; 0 treats any reuse as theft. Deployments
	// get DefaultRefreshGrace.
	RefreshGrace time.Duration
	// KeyActivation is how long a new signing key is only published before it signs, so every
	// instance and every resource server's JWKS cache knows it before tokens carry it.
	KeyActivation time.Duration
	// Now is the clock; nil means the system clock. Tests set it to step through lifetimes.
	Now func() time.Time
	// Events receives each application's activity for its timeline; nil records nothing.
	Events EventSink
	// Metrics counts tokens issued, failed client authentications and refresh-token reuse;
	// nil counts nothing.
	Metrics Metrics
	// ClientCacheTTL is how long client authentication trusts a client record it read (see
	// DefaultClientCacheTTL, the value 0 means); negative reads the database every time.
	ClientCacheTTL time.Duration
	// ClientCacheSize bounds the client records kept; 0 means DefaultClientCacheSize.
	ClientCacheSize int
	// ClientMetadata fetches client ID metadata documents, so that an https URL works as a
	// client_id (DEVPORTAL_CIMD=on, see cimd.go); nil turns them off.
	ClientMetadata MetadataFetcher
	// LoopbackClientIDs also accepts http client_id URLs on a loopback host
	// (DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH=true: development and tests only).
	LoopbackClientIDs bool
}

// DefaultRefreshGrace is the refresh-token reuse grace a deployment gets unless it sets
// DEVPORTAL_REFRESH_REUSE_GRACE. RFC 9700 §4.14.2 wants a rotated refresh token that comes
// back treated as stolen, and allows a short grace so that a client which never received the
// rotation's response (a timeout, a dropped connection, an instance killed mid-request) can
// retry. Without one, that retry revokes the user's grant, which looks to the user like being
// signed out for no reason. Within the grace a replay gets the same successor the first
// answer carried, never a new one, and only while that successor is unused; so a thief who
// replays a token within seconds of its rotation gets a pair the client also holds, and the
// second of them to use it still ends the family. The cost is that detection of such a
// replay waits for the next refresh instead of happening at once. Ten seconds covers a client
// retry with backoff and a retry landing on another instance, and is short enough that a
// token must be stolen in transit, not later from storage, to fall inside it.
const DefaultRefreshGrace = 10 * time.Second

// DefaultRefreshFamilyTTL is how long a refresh-token family lives when none is configured.
const DefaultRefreshFamilyTTL = 90 * 24 * time.Hour

// DefaultKeyActivation covers one key reload on every instance plus the JWKS cache lifetime.
const DefaultKeyActivation = 10 * time.Minute

// Server answers authorization and token requests.
type Server struct {
	cfg    Config
	store  *models.Store
	kek    []byte // seals signing keys at rest
	rot    []byte // derives a refresh token's successor
	ucKey  []byte // keys the hashes of device user codes
	keys   keyRing
	scopes catalogCache
	// apiCache is the API catalog (resource servers and their scopes), for token audiences.
	apiCache apiCache
	clients  *clientCache // verified client records, emptied by every client change
	// verified remembers access tokens whose signature, type and issuer checked out, by
	// SHA-256 of the token; LoadKeys empties it, so a retired key's tokens stop verifying.
	verified *lru[AccessClaims]
	now      func() time.Time

	// issuerOrigin is the origin of the portal's own pages, whose requests are not cross-origin.
	issuerOrigin string
}

// NewServer builds the protocol core. secret is the deployment's server secret; the key that
// seals signing keys is derived from it. Call LoadKeys before issuing tokens.
func NewServer(cfg Config, store *models.Store, secret []byte) (*Server, error) {
	if cfg.Issuer == "" {
		return nil, fmt.Errorf("oauth: issuer is required")
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	if cfg.SigningAlg == "" {
		cfg.SigningAlg = AlgES256
	}
	if cfg.SigningAlg != AlgES256 && cfg.SigningAlg != AlgRS256 {
		return nil, fmt.Errorf("oauth: unsupported signing algorithm %q (use ES256 or RS256)", cfg.SigningAlg)
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.RefreshFamilyTTL <= 0 {
		cfg.RefreshFamilyTTL = max(DefaultRefreshFamilyTTL, cfg.RefreshTTL)
	}
	if cfg.CodeTTL <= 0 || cfg.CodeTTL > time.Minute {
		cfg.CodeTTL = time.Minute
	}
	if cfg.KeyActivation < 0 {
		cfg.KeyActivation = 0
	}
	srv := &Server{
		cfg: cfg, store: store, issuerOrigin: issuerOriginOf(cfg.Issuer),
		kek: models.DeriveKey(secret, "signing-key-encryption"),
		rot: models.DeriveKey(secret, "refresh-rotation"),
		now: func() time.Time { return time.Now().UTC() },
	}
	if cfg.Now != nil {
		srv.now = func() time.Time { return cfg.Now().UTC() }
	}
	srv.ucKey = models.DeriveKey(secret, "device-user-code")
	srv.clients = newClientCache(cfg.ClientCacheTTL, cfg.ClientCacheSize)
	srv.verified = newLRU[AccessClaims](DefaultVerifiedTokens)
	store.OnClientChange(srv.clients.flush)
	return srv, nil
}

// Config returns the policy in force, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// lifetimes are the access- and refresh-token lifetimes for client: its own, else the deployment's.
func (s *Server) lifetimes(c *models.Client) (access, refresh time.Duration) {
	access, refresh = s.cfg.AccessTTL, s.cfg.RefreshTTL
	if c.AccessTTLSeconds != nil && *c.AccessTTLSeconds > 0 {
		access = time.Duration(*c.AccessTTLSeconds) * time.Second
	}
	if c.RefreshTTLSeconds != nil && *c.RefreshTTLSeconds > 0 {
		refresh = time.Duration(*c.RefreshTTLSeconds) * time.Second
	}
	return access, refresh
}

// clientUsable refuses a client that an admin suspended or revoked, or whose owner's account is
// disabled: a disabled developer's applications stop everywhere until they are enabled again.
func clientUsable(c *models.Client) error {
	switch {
	case c.Status != models.ClientActive:
		return ErrClientDisabled.Describe("this application has been %s by an administrator", c.Status)
	case c.OwnerDisabledAt != nil:
		return ErrClientDisabled.Describe("the account that owns this application is disabled")
	}
	return nil
}
