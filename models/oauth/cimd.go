package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/devportal/devportal/models"
)

// OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-02; section
// numbers below are -02's): a client identifies itself with an https URL as its client_id, and
// the server fetches the client's metadata from that URL instead of reading a registration.
// Such a client becomes an ordinary clients row (id: the URL) of type native: public, PKCE
// required, no secret.

// Bounds of a fetched metadata document. §5.2 lets the server cache a document as its HTTP
// caching headers say; the freshness is kept between these bounds, so a client cannot make the
// server fetch on every request (MinMetadataCache) nor keep a document for long after its owner
// changed it (MaxMetadataCache). A response without caching headers, or with no-store or
// no-cache, is kept MinMetadataCache. Once expired the document is fetched again, and a failed
// fetch fails the request: a document is never used beyond its expiry.
const (
	MinMetadataCache = 5 * time.Minute
	MaxMetadataCache = 24 * time.Hour
	// MaxMetadataDocumentBytes caps a document's size (§8.7 suggests 5 kilobytes).
	MaxMetadataDocumentBytes = 5 * 1024
	// MetadataFetchTimeout bounds a whole fetch: connection, TLS, headers and body.
	MetadataFetchTimeout = 5 * time.Second
)

// MetadataFetcher fetches a client ID metadata document (§5). The implementation
// (models/oauth/cimdfetch) is what guards the fetch against server-side request forgery (§8.6).
type MetadataFetcher interface {
	FetchClientMetadata(ctx context.Context, url string) (*FetchedMetadata, error)
}

// FetchedMetadata is a fetched document: its body and how long HTTP caching says it stays fresh.
type FetchedMetadata struct {
	Body []byte
	// MaxAge is the freshness from Cache-Control max-age or Expires; HasMaxAge is false when
	// the response had neither (or said no-store or no-cache).
	MaxAge    time.Duration
	HasMaxAge bool
}

// Errors of metadata-document clients; each is invalid_client, shown to the user at the
// authorization endpoint and returned as JSON at the token endpoint.
var (
	// ErrClientMetadata: the client_id URL, or the document fetched from it, breaks a rule, or
	// the document could not be fetched.
	ErrClientMetadata = protoErr("invalid_client", "client_metadata", "the client metadata document could not be used")
	// ErrClientHostBlocked: an administrator blocked the host of the client_id URL.
	ErrClientHostBlocked = protoErr("invalid_client", "client_host_blocked", "an administrator blocked this application's host")
	// ErrMetadataOff: a URL client_id while client ID metadata documents are off; to the client
	// it is an unknown client (ErrUnknownClient), with a description that says why.
	ErrMetadataOff = ErrUnknownClient.Describe("this server does not accept client ID metadata documents (an https URL as client_id); use a client_id registered here")
)

// ClientMetadataEnabled reports whether URL client ids are resolved (DEVPORTAL_CIMD=on).
func (s *Server) ClientMetadataEnabled() bool { return s.cfg.ClientMetadata != nil }

// IsMetadataClientID reports whether id has the shape of a client ID metadata document URL:
// registered clients' ids never do.
func IsMetadataClientID(id string) bool {
	return strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://")
}

// ValidateClientIDURL applies §3's rules to a client_id URL: https, a host, a path beyond "/",
// no single-dot or double-dot path segment (encoded or not), no fragment, no user name or
// password. With loopbackHTTP (DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH) an http URL on a loopback
// host is accepted too, for development and tests. The URL is compared and fetched exactly as
// sent: §4 forbids normalising it.
func ValidateClientIDURL(raw string, loopbackHTTP bool) (*url.URL, error) {
	bad := func(format string, args ...any) error {
		return ErrClientMetadata.Describe("client_id %q is not a valid client ID metadata document URL: %s (draft-ietf-oauth-client-id-metadata-document §3)", raw, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, bad("it does not parse as a URL")
	case strings.ContainsAny(raw, " \t\r\n\\"):
		return nil, bad("it contains white space or a backslash")
	case strings.HasPrefix(raw, "http://") && !(loopbackHTTP && isLoopback(u.Hostname())):
		return nil, bad("it must use https")
	case !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://"):
		return nil, bad("it must use https")
	case u.Hostname() == "":
		return nil, bad("it has no host")
	case hasUserInfo(u):
		return nil, bad("it must not contain a user name or password")
	case strings.Contains(raw, "#"):
		return nil, bad("it must not contain a fragment")
	case !validPort(u.Port()):
		return nil, bad("its port is not valid")
	case u.EscapedPath() == "" || u.EscapedPath() == "/":
		return nil, bad("it must have a path, such as https://app.example.com/oauth/client.json")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if dec, err := url.PathUnescape(seg); err != nil || dec == "." || dec == ".." {
			return nil, bad("its path must not contain . or .. segments")
		}
	}
	return u, nil
}

// clientMetadataDoc is the part of an RFC 7591 client metadata document this server reads.
type clientMetadataDoc struct {
	ClientID                *string          `json:"client_id"`
	ClientName              string           `json:"client_name"`
	ClientURI               string           `json:"client_uri"`
	LogoURI                 string           `json:"logo_uri"`
	RedirectURIs            []string         `json:"redirect_uris"`
	GrantTypes              []string         `json:"grant_types"`
	ResponseTypes           []string         `json:"response_types"`
	TokenEndpointAuthMethod string           `json:"token_endpoint_auth_method"`
	Scope                   *string          `json:"scope"`
	ClientSecret            *json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt   *json.RawMessage `json:"client_secret_expires_at"`
}

// ParseClientMetadata validates a metadata document fetched from id against §4 and this
// server's policy, and returns the client it describes (without its expiry). The rules:
//   - client_id is present and equals id exactly (§4, compared without normalisation);
//   - no client_secret nor client_secret_expires_at (§4);
//   - token_endpoint_auth_method is none, or absent (read as none: a client without a
//     registration cannot hold a secret). The shared-secret methods are forbidden by §4;
//     private_key_jwt is allowed by the draft but not implemented by this server, and refused;
//   - grant_types authorization_code and refresh_token only (default authorization_code),
//     response_types code only;
//   - redirect_uris as the portal's form takes for a native application;
//   - client_name (default: the URL's host), client_uri and logo_uri as the portal's form;
//   - scope keeps only active, non-sensitive catalog scopes (a document may name scopes of
//     other servers; a sensitive scope needs an administrator's approval that nobody can ask for
//     here); absent, every such scope. offline_access only with the refresh_token grant.
func ParseClientMetadata(id string, body []byte, catalog map[string]models.Scope) (models.MetadataClient, error) {
	bad := func(format string, args ...any) error {
		return ErrClientMetadata.Describe("the client metadata document at %s %s", id, fmt.Sprintf(format, args...))
	}
	var doc clientMetadataDoc
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return models.MetadataClient{}, bad("is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		return models.MetadataClient{}, bad("is not valid client metadata: %v", jsonProblem(err))
	}
	switch {
	case doc.ClientID == nil:
		return models.MetadataClient{}, bad("has no client_id; it must be the document's own URL (draft §4)")
	case *doc.ClientID != id:
		return models.MetadataClient{}, bad("names client_id %q; it must be exactly the URL it is served from (draft §4)", *doc.ClientID)
	case doc.ClientSecret != nil || doc.ClientSecretExpiresAt != nil:
		return models.MetadataClient{}, bad("contains client_secret; a metadata document must not carry a secret (draft §4)")
	}
	switch m := doc.TokenEndpointAuthMethod; m {
	case "", "none":
	case "private_key_jwt":
		return models.MetadataClient{}, bad("asks for token_endpoint_auth_method private_key_jwt, which this server does not support; publish none and use PKCE")
	case "client_secret_basic", "client_secret_post", "client_secret_jwt":
		return models.MetadataClient{}, bad("asks for token_endpoint_auth_method %s; a shared secret cannot be used with a metadata document (draft §4); use none with PKCE", m)
	default:
		return models.MetadataClient{}, bad("asks for token_endpoint_auth_method %q; only none is supported", m)
	}
	grants := doc.GrantTypes
	if len(grants) == 0 {
		grants = []string{GrantAuthorizationCode}
	}
	for _, g := range grants {
		if g != GrantAuthorizationCode && g != GrantRefreshToken {
			return models.MetadataClient{}, bad("lists grant type %q; only authorization_code and refresh_token are allowed", g)
		}
	}
	if !slices.Contains(grants, GrantAuthorizationCode) {
		return models.MetadataClient{}, bad("must list the authorization_code grant type")
	}
	for _, rt := range doc.ResponseTypes {
		if rt != "code" {
			return models.MetadataClient{}, bad("lists response type %q; only code is supported", rt)
		}
	}
	errs := FieldErrors{}
	uris := validateRedirectURIs(models.ClientNative, doc.RedirectURIs, errs)
	if msg := errs["redirect_uris"]; msg != "" {
		return models.MetadataClient{}, bad("has redirect_uris this server refuses: %s", strings.ReplaceAll(msg, "\n", " "))
	}
	u, _ := url.Parse(id) // validated by ValidateClientIDURL
	name := strings.TrimSpace(doc.ClientName)
	if name == "" {
		name = u.Hostname()
	}
	if n := utf8.RuneCountInString(name); n > models.MaxAppNameLength || strings.ContainsFunc(name, isControl) {
		return models.MetadataClient{}, bad("has a client_name longer than %d characters or on several lines", models.MaxAppNameLength)
	}
	for field, link := range map[string]string{"client_uri": doc.ClientURI, "logo_uri": doc.LogoURI} {
		if err := ValidateLink(link); err != nil {
			return models.MetadataClient{}, bad("has a %s that %v", field, err)
		}
	}
	var wanted []string
	if doc.Scope != nil {
		wanted = ParseScope(*doc.Scope)
	} else {
		for name := range catalog {
			wanted = append(wanted, name)
		}
		slices.Sort(wanted)
	}
	var scopes []string
	for _, sc := range wanted {
		entry, ok := catalog[sc]
		switch {
		case !ok, entry.Sensitive, slices.Contains(scopes, sc):
		case sc == ScopeOfflineAccess && !slices.Contains(grants, GrantRefreshToken):
		default:
			scopes = append(scopes, sc)
		}
	}
	return models.MetadataClient{ID: id, Name: name, LogoURL: doc.LogoURI, HomepageURL: doc.ClientURI, RedirectURIs: uris, Scopes: scopes}, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// jsonProblem names what is wrong in a document without echoing much of it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be a %s", te.Field, jsonKind(te.Type.Kind().String()))
	}
	return "it is not valid JSON"
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "list of strings"
	case "ptr":
		return "string"
	}
	return k
}

// MetadataExpiry is when a document fetched at now stops being trusted: its HTTP freshness,
// kept between MinMetadataCache and MaxMetadataCache.
func MetadataExpiry(now time.Time, f *FetchedMetadata) time.Time {
	ttl := MinMetadataCache
	if f.HasMaxAge {
		ttl = min(max(f.MaxAge, MinMetadataCache), MaxMetadataCache)
	}
	return now.Add(ttl)
}

// lookupClient reads the client of the authorization endpoint: a registered one from the
// database, a URL one through its metadata document.
func (s *Server) lookupClient(ctx context.Context, id string) (*models.Client, error) {
	if IsMetadataClientID(id) {
		return s.metadataClient(ctx, id)
	}
	return s.store.ClientByID(ctx, id)
}

// metadataClient is the one hook that turns a URL client_id into a client. It refuses the URL
// (§3) or its blocked host first; then uses the clients row while its document is fresh (kept
// in the database, so every instance shares it, and in the client cache no longer than the
// document's expiry); else fetches the document, validates it and saves the row. A suspended
// or revoked row is returned as it is, without a fetch, for the caller to refuse: whatever its
// document says, it stays refused.
func (s *Server) metadataClient(ctx context.Context, id string) (*models.Client, error) {
	if !s.ClientMetadataEnabled() {
		return nil, ErrMetadataOff
	}
	u, err := ValidateClientIDURL(id, s.cfg.LoopbackClientIDs)
	if err != nil {
		return nil, err
	}
	// Checked on every use, before any cache: a block takes effect at once on every instance,
	// for new authorizations and for the refresh tokens of existing grants alike.
	blocked, err := s.store.HostBlocked(ctx, u.Hostname())
	if err != nil {
		return nil, err
	}
	if blocked {
		return nil, ErrClientHostBlocked.Describe("an administrator of this server blocked applications identified by %s", u.Hostname())
	}
	now := s.now()
	cached, ok, epoch := s.clients.get(id, now)
	if ok && s.clients.enabled() {
		c := *cached
		return &c, nil
	}
	c, err := s.store.ClientByID(ctx, id)
	switch {
	case err == nil && (!c.MetadataDocument || c.Status != models.ClientActive):
		return c, nil
	case err == nil && c.MetadataExpiresAt != nil && now.Before(*c.MetadataExpiresAt):
		// Fresh: fetched by this or another instance.
	case err == nil || errors.Is(err, models.ErrNotFound):
		if c, err = s.refreshMetadataClient(ctx, id, now); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if s.clients.enabled() {
		s.clients.put(id, c, epoch, now, minTime(now.Add(s.clients.ttl), *c.MetadataExpiresAt))
	}
	out := *c
	return &out, nil
}

// refreshMetadataClient fetches and validates id's document and saves it as the clients row.
func (s *Server) refreshMetadataClient(ctx context.Context, id string, now time.Time) (*models.Client, error) {
	fetched, err := s.cfg.ClientMetadata.FetchClientMetadata(ctx, id)
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return nil, err
		}
		return nil, ErrClientMetadata.Describe("the client metadata document at %s could not be fetched: %v", id, err)
	}
	catalog, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	m, err := ParseClientMetadata(id, fetched.Body, catalog)
	if err != nil {
		return nil, err
	}
	m.FetchedAt, m.ExpiresAt = now, MetadataExpiry(now, fetched)
	if _, err := s.store.SaveMetadataClient(ctx, m); err != nil {
		return nil, err
	}
	return s.store.ClientByID(ctx, id)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
