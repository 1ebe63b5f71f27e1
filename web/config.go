// Package web assembles devportal's HTTP server: configuration, middleware, the one route table
// and the error handler.
package web

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/layout"
)

// Config is a deployment's settings, read from the environment.
type Config struct {
	Addr        string        // DEVPORTAL_ADDR
	Issuer      string        // DEVPORTAL_ISSUER
	DatabaseURL string        // DEVPORTAL_DATABASE_URL
	SecretFile  string        // where a generated secret is kept when DEVPORTAL_SECRET is unset
	Secret      []byte        // DEVPORTAL_SECRET: at least 32 characters, used as given
	SigningAlg  string        // DEVPORTAL_SIGNING_ALG
	AccessTTL   time.Duration // DEVPORTAL_ACCESS_TOKEN_TTL
	RefreshTTL  time.Duration // DEVPORTAL_REFRESH_TOKEN_TTL
	SessionTTL  time.Duration // DEVPORTAL_SESSION_TTL
	// RefreshGrace is DEVPORTAL_REFRESH_REUSE_GRACE: how long a used refresh token may be retried.
	RefreshGrace time.Duration
	// RefreshFamilyTTL is DEVPORTAL_REFRESH_FAMILY_TTL: how long a refresh-token family lives
	// after the user authorized, however often it rotates.
	RefreshFamilyTTL time.Duration
	// SessionIdleTimeout is DEVPORTAL_SESSION_IDLE_TIMEOUT: a portal session without activity
	// for this long is over, even before SessionTTL.
	SessionIdleTimeout time.Duration
	// AllowInsecureIssuer is DEVPORTAL_ALLOW_INSECURE_ISSUER=true: accept a plain-http issuer on
	// a host other than loopback (a test network); off, such an issuer refuses to start.
	AllowInsecureIssuer bool
	// SMTPURL is DEVPORTAL_SMTP_URL (smtp:// with STARTTLS when offered, or smtps://); empty:
	// mail is written to the server log instead of sent. MailFrom is DEVPORTAL_MAIL_FROM.
	SMTPURL, MailFrom string
	// RequireAdmin2FA is DEVPORTAL_REQUIRE_ADMIN_2FA=true: administrators must sign in with a
	// second factor (or turn one on) before the admin pages open to them.
	RequireAdmin2FA bool
	// LogFormat is DEVPORTAL_LOG_FORMAT: "text" (the default, slog's key=value lines) or "json".
	LogFormat string
	// TrustedProxies is DEVPORTAL_TRUSTED_PROXIES (comma-separated CIDRs): only a peer in one of
	// them is believed when it says, in X-Forwarded-For and X-Forwarded-Proto, who the client is
	// and whether it came over https. Empty: nobody is, the peer is the client.
	TrustedProxies []*net.IPNet
	// MetricsAddr is DEVPORTAL_METRICS_ADDR: the listen address of a second listener serving
	// Prometheus /metrics; empty: none. Never the public address, which serves no /metrics.
	MetricsAddr string
	// DB bounds the database connection pool: DEVPORTAL_DB_MAX_CONNS (0: models.DefaultMaxConns
	// on PostgreSQL, unbounded on SQLite), DEVPORTAL_DB_CONN_MAX_LIFETIME and
	// DEVPORTAL_DB_CONN_MAX_IDLE_TIME.
	DB models.Options
	// ReadTimeout, WriteTimeout and IdleTimeout are DEVPORTAL_READ_TIMEOUT (a whole request,
	// body included), DEVPORTAL_WRITE_TIMEOUT (until the response is written) and
	// DEVPORTAL_IDLE_TIMEOUT (a kept-alive connection between requests): a client trickling
	// bytes cannot hold a connection and its goroutine for good.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// RetainActivity, RetainAudit and RetainRevokedGrants are DEVPORTAL_RETAIN_ACTIVITY,
	// DEVPORTAL_RETAIN_AUDIT and DEVPORTAL_RETAIN_REVOKED_GRANTS: how long the purge keeps
	// activity events, audit events, and grants after their revocation or family end.
	RetainActivity, RetainAudit, RetainRevokedGrants time.Duration
	// DrainTimeout is DEVPORTAL_DRAIN_TIMEOUT: on SIGTERM, how long in-flight requests may run
	// before their connections are cut; queued events and mail are written after either way.
	DrainTimeout time.Duration
	// Brand is the operator's branding: DEVPORTAL_BRAND_NAME (default "devportal"),
	// DEVPORTAL_BRAND_LOGO_URL (optional: an absolute https URL or a /static/ path) and
	// DEVPORTAL_BRAND_COLOR (optional: a #rrggbb accent dark enough for white text and for
	// links on white, 4.5:1 or more).
	Brand   Brand
	Version string
	// CIMD is DEVPORTAL_CIMD=on: an https URL works as a client_id, resolved by fetching its
	// client ID metadata document (off by default). DevAllowLoopbackFetch is
	// DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH=true: such documents may also come from loopback
	// addresses, over http too (development and tests only).
	CIMD, DevAllowLoopbackFetch bool
	// DCR is DEVPORTAL_DCR, the dynamic client registration policy (RFC 7591): "off" (the
	// default: no /oauth/register, nothing advertised), "token" (an initial access token an
	// administrator created) or "open" (public clients only, rate-limited per IP address).
	DCR string
}

// Brand is how the portal names and colours itself: in the top bar, the standalone pages
// (consent among them), every page's <title> and the mails.
type Brand struct {
	Name    string // DEVPORTAL_BRAND_NAME
	LogoURL string // DEVPORTAL_BRAND_LOGO_URL; "": none
	Color   string // DEVPORTAL_BRAND_COLOR, lower-case #rrggbb; "": the built-in indigo
}

// DefaultBrandName is the product name when DEVPORTAL_BRAND_NAME is unset.
const DefaultBrandName = "devportal"

// maxBrandName bounds DEVPORTAL_BRAND_NAME: it has to fit a phone's top bar.
const maxBrandName = 40

// minBrandContrast is WCAG 2 AA's contrast for normal text (1.4.3): the accent colours links
// on white and sits behind white button text.
const minBrandContrast = 4.5

// Defaults of every setting.
const (
	DefaultAddr        = ":8080"
	DefaultIssuer      = "http://localhost:8080"
	DefaultDatabaseURL = "./data/devportal.db"
	// DefaultSessionIdleTimeout applies when DEVPORTAL_SESSION_IDLE_TIMEOUT is unset (capped at
	// the session lifetime).
	DefaultSessionIdleTimeout = 24 * time.Hour
	// Retention defaults: a quarter of activity for the app consoles' charts, a year of audit
	// log for investigations, a month of dead grants for a user's "why was I signed out".
	DefaultRetainActivity      = 90 * 24 * time.Hour
	DefaultRetainAudit         = 365 * 24 * time.Hour
	DefaultRetainRevokedGrants = 30 * 24 * time.Hour
	// DefaultDrainTimeout applies when DEVPORTAL_DRAIN_TIMEOUT is unset: long enough for a slow
	// upload or page, and short of the 30 s Kubernetes waits after SIGTERM before SIGKILL, which
	// leaves time to write the queued events and mail after the drain.
	DefaultDrainTimeout = 25 * time.Second
)

// ConfigFromEnv reads the DEVPORTAL_* variables; unset ones take their defaults. It does not
// load the secret (LoadSecret does, since that may write a file).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Addr:        cmp.Or(getenv("DEVPORTAL_ADDR"), DefaultAddr),
		Issuer:      strings.TrimRight(cmp.Or(getenv("DEVPORTAL_ISSUER"), DefaultIssuer), "/"),
		DatabaseURL: cmp.Or(getenv("DEVPORTAL_DATABASE_URL"), DefaultDatabaseURL),
		SigningAlg:  cmp.Or(getenv("DEVPORTAL_SIGNING_ALG"), oauth.AlgES256),
		AccessTTL:   15 * time.Minute,
		RefreshTTL:  30 * 24 * time.Hour,
		SessionTTL:  7 * 24 * time.Hour,
		DB:          models.Options{ConnMaxLifetime: models.DefaultConnMaxLifetime, ConnMaxIdleTime: models.DefaultConnMaxIdleTime},

		RetainActivity: DefaultRetainActivity, RetainAudit: DefaultRetainAudit, RetainRevokedGrants: DefaultRetainRevokedGrants,

		DrainTimeout: DefaultDrainTimeout,
		RefreshGrace: oauth.DefaultRefreshGrace,
	}
	cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout = 30*time.Second, 60*time.Second, 120*time.Second
	durations := []struct {
		env string
		dst *time.Duration
	}{
		{"DEVPORTAL_ACCESS_TOKEN_TTL", &cfg.AccessTTL},
		{"DEVPORTAL_REFRESH_TOKEN_TTL", &cfg.RefreshTTL},
		{"DEVPORTAL_REFRESH_FAMILY_TTL", &cfg.RefreshFamilyTTL},
		{"DEVPORTAL_SESSION_TTL", &cfg.SessionTTL},
		{"DEVPORTAL_SESSION_IDLE_TIMEOUT", &cfg.SessionIdleTimeout},
		{"DEVPORTAL_REFRESH_REUSE_GRACE", &cfg.RefreshGrace},
		{"DEVPORTAL_READ_TIMEOUT", &cfg.ReadTimeout},
		{"DEVPORTAL_WRITE_TIMEOUT", &cfg.WriteTimeout},
		{"DEVPORTAL_IDLE_TIMEOUT", &cfg.IdleTimeout},
		{"DEVPORTAL_DB_CONN_MAX_LIFETIME", &cfg.DB.ConnMaxLifetime},
		{"DEVPORTAL_DB_CONN_MAX_IDLE_TIME", &cfg.DB.ConnMaxIdleTime},
		{"DEVPORTAL_RETAIN_ACTIVITY", &cfg.RetainActivity},
		{"DEVPORTAL_RETAIN_AUDIT", &cfg.RetainAudit},
		{"DEVPORTAL_RETAIN_REVOKED_GRANTS", &cfg.RetainRevokedGrants},
		{"DEVPORTAL_DRAIN_TIMEOUT", &cfg.DrainTimeout},
	}
	for _, d := range durations {
		if v := getenv(d.env); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil {
				return cfg, fmt.Errorf("%s: %q is not a duration such as 15m or 720h", d.env, v)
			}
			*d.dst = parsed
		}
	}
	if v := getenv("DEVPORTAL_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("DEVPORTAL_DB_MAX_CONNS: %q must be a whole number from 1 to 1000", v)
		}
		cfg.DB.MaxConns = n
	}
	if cfg.RefreshFamilyTTL == 0 {
		// Unset: 90 days, or the refresh-token lifetime when an operator set that longer, so an
		// upgrade does not refuse to start; set explicitly, it must be at least that lifetime.
		cfg.RefreshFamilyTTL = max(oauth.DefaultRefreshFamilyTTL, cfg.RefreshTTL)
	}
	if cfg.SessionIdleTimeout == 0 {
		cfg.SessionIdleTimeout = min(DefaultSessionIdleTimeout, cfg.SessionTTL)
	}
	switch v := getenv("DEVPORTAL_ALLOW_INSECURE_ISSUER"); v {
	case "", "false":
	case "true":
		cfg.AllowInsecureIssuer = true
	default:
		return cfg, fmt.Errorf("DEVPORTAL_ALLOW_INSECURE_ISSUER: %q must be true or false", v)
	}
	switch v := getenv("DEVPORTAL_CIMD"); v {
	case "", "off":
	case "on":
		cfg.CIMD = true
	default:
		return cfg, fmt.Errorf("DEVPORTAL_CIMD: %q must be on or off", v)
	}
	switch v := getenv("DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH"); v {
	case "", "false":
	case "true":
		cfg.DevAllowLoopbackFetch = true
	default:
		return cfg, fmt.Errorf("DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH: %q must be true or false", v)
	}
	cfg.SMTPURL, cfg.MailFrom = getenv("DEVPORTAL_SMTP_URL"), getenv("DEVPORTAL_MAIL_FROM")
	switch v := getenv("DEVPORTAL_REQUIRE_ADMIN_2FA"); v {
	case "", "false":
	case "true":
		cfg.RequireAdmin2FA = true
	default:
		return cfg, fmt.Errorf("DEVPORTAL_REQUIRE_ADMIN_2FA: %q must be true or false", v)
	}
	cfg.Brand = Brand{
		Name:    strings.TrimSpace(cmp.Or(getenv("DEVPORTAL_BRAND_NAME"), DefaultBrandName)),
		LogoURL: strings.TrimSpace(getenv("DEVPORTAL_BRAND_LOGO_URL")),
		Color:   strings.ToLower(strings.TrimSpace(getenv("DEVPORTAL_BRAND_COLOR"))),
	}
	cfg.LogFormat = cmp.Or(getenv("DEVPORTAL_LOG_FORMAT"), "text")
	cfg.DCR = cmp.Or(getenv("DEVPORTAL_DCR"), models.DCROff)
	cfg.MetricsAddr = getenv("DEVPORTAL_METRICS_ADDR")
	for _, v := range strings.Split(getenv("DEVPORTAL_TRUSTED_PROXIES"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		_, n, err := net.ParseCIDR(v)
		if err != nil {
			return cfg, fmt.Errorf("DEVPORTAL_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8 or 192.168.1.7/32", v)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	if s := getenv("DEVPORTAL_SECRET"); s != "" {
		cfg.Secret = []byte(s)
	}
	if d, path := models.ParseDSN(cfg.DatabaseURL); d == models.SQLite {
		cfg.SecretFile = filepath.Join(filepath.Dir(path), "secret")
	} else {
		cfg.SecretFile = filepath.Join("data", "secret")
	}
	return cfg, cfg.Validate()
}

// Validate checks the settings with one table of rules, so every problem names its variable.
func (cfg Config) Validate() error {
	iss, issErr := url.Parse(cfg.Issuer)
	checks := []struct {
		ok  bool
		msg string
	}{
		{cfg.Addr != "", "DEVPORTAL_ADDR must not be empty"},
		{issErr == nil && (iss.Scheme == "https" || iss.Scheme == "http") && iss.Host != "" && iss.RawQuery == "" && iss.Fragment == "",
			"DEVPORTAL_ISSUER must be an absolute http(s) URL without query or fragment, such as https://auth.example.com"},
		// Over plain http a network hop sees session cookies, codes and tokens; only the machine
		// itself, or an operator who says so, may run that way.
		{issErr != nil || iss.Scheme != "http" || loopbackHost(iss.Hostname()) || cfg.AllowInsecureIssuer,
			"DEVPORTAL_ISSUER is plain http on a host other than localhost, so cookies, codes and tokens would cross the network unencrypted: use https, or set DEVPORTAL_ALLOW_INSECURE_ISSUER=true on a test network"},
		{cfg.DatabaseURL != "", "DEVPORTAL_DATABASE_URL must not be empty"},
		{cfg.SigningAlg == oauth.AlgES256 || cfg.SigningAlg == oauth.AlgRS256, "DEVPORTAL_SIGNING_ALG must be ES256 or RS256"},
		{oauth.AccessLifetime.Contains(cfg.AccessTTL), "DEVPORTAL_ACCESS_TOKEN_TTL must be between " + oauth.AccessLifetime.String()},
		{oauth.RefreshLifetime.Contains(cfg.RefreshTTL), "DEVPORTAL_REFRESH_TOKEN_TTL must be between " + oauth.RefreshLifetime.String()},
		{cfg.RefreshFamilyTTL >= time.Hour && cfg.RefreshFamilyTTL <= 365*24*time.Hour, "DEVPORTAL_REFRESH_FAMILY_TTL must be between 1h and 8760h"},
		{cfg.RefreshFamilyTTL >= cfg.RefreshTTL, "DEVPORTAL_REFRESH_FAMILY_TTL must be at least DEVPORTAL_REFRESH_TOKEN_TTL: no refresh token outlives its family"},
		{cfg.SessionTTL >= 5*time.Minute && cfg.SessionTTL <= 90*24*time.Hour, "DEVPORTAL_SESSION_TTL must be between 5m and 2160h"},
		{cfg.SessionIdleTimeout >= 5*time.Minute && cfg.SessionIdleTimeout <= cfg.SessionTTL, "DEVPORTAL_SESSION_IDLE_TIMEOUT must be between 5m and DEVPORTAL_SESSION_TTL"},
		{cfg.RefreshGrace >= 0 && cfg.RefreshGrace <= time.Minute, "DEVPORTAL_REFRESH_REUSE_GRACE must be between 0s and 1m"},
		{cfg.LogFormat == "text" || cfg.LogFormat == "json", "DEVPORTAL_LOG_FORMAT must be text or json"},
		{cfg.DCR == "" || cfg.DCR == models.DCROff || cfg.DCR == models.DCRToken || cfg.DCR == models.DCROpen,
			"DEVPORTAL_DCR must be off, token (registration needs an initial access token from an administrator) or open (public clients, rate-limited per IP address)"},
		{cfg.MetricsAddr == "" || cfg.MetricsAddr != cfg.Addr || strings.HasSuffix(cfg.Addr, ":0"), "DEVPORTAL_METRICS_ADDR must differ from DEVPORTAL_ADDR: metrics are never served on the public listener"},
		{cfg.ReadTimeout >= 100*time.Millisecond && cfg.ReadTimeout <= time.Hour, "DEVPORTAL_READ_TIMEOUT must be between 100ms and 1h"},
		{cfg.WriteTimeout >= cfg.ReadTimeout && cfg.WriteTimeout <= time.Hour, "DEVPORTAL_WRITE_TIMEOUT must be between DEVPORTAL_READ_TIMEOUT and 1h: it counts from the start of the request"},
		{cfg.IdleTimeout >= time.Second && cfg.IdleTimeout <= time.Hour, "DEVPORTAL_IDLE_TIMEOUT must be between 1s and 1h"},
		{cfg.DB.MaxConns >= 0 && cfg.DB.MaxConns <= 1000, "DEVPORTAL_DB_MAX_CONNS must be between 1 and 1000 (unset: 10 on PostgreSQL, unbounded on SQLite)"},
		{cfg.DB.ConnMaxLifetime >= time.Minute && cfg.DB.ConnMaxLifetime <= 24*time.Hour, "DEVPORTAL_DB_CONN_MAX_LIFETIME must be between 1m and 24h"},
		{cfg.DB.ConnMaxIdleTime >= time.Second && cfg.DB.ConnMaxIdleTime <= cfg.DB.ConnMaxLifetime, "DEVPORTAL_DB_CONN_MAX_IDLE_TIME must be between 1s and DEVPORTAL_DB_CONN_MAX_LIFETIME"},
		{cfg.RetainActivity >= 24*time.Hour, "DEVPORTAL_RETAIN_ACTIVITY must be at least 24h"},
		{cfg.RetainAudit >= 24*time.Hour, "DEVPORTAL_RETAIN_AUDIT must be at least 24h"},
		{cfg.RetainRevokedGrants >= 24*time.Hour, "DEVPORTAL_RETAIN_REVOKED_GRANTS must be at least 24h: a replayed refresh token must still find its revoked grant"},
		{cfg.DrainTimeout > 0 && cfg.DrainTimeout <= 10*time.Minute, "DEVPORTAL_DRAIN_TIMEOUT must be more than 0s and at most 10m (for example 25s)"},
		{cfg.SMTPURL == "" || cfg.MailFrom != "", "DEVPORTAL_MAIL_FROM must be set with DEVPORTAL_SMTP_URL: the sender address of every mail"},
		{cfg.Brand.Name != "" && utf8.RuneCountInString(cfg.Brand.Name) <= maxBrandName && !strings.ContainsFunc(cfg.Brand.Name, unicode.IsControl),
			fmt.Sprintf("DEVPORTAL_BRAND_NAME must be 1 to %d characters on one line", maxBrandName)},
		{cfg.Brand.LogoURL == "" || brandLogoOK(cfg.Brand.LogoURL),
			"DEVPORTAL_BRAND_LOGO_URL must be an absolute https URL (such as https://cdn.example.com/logo.svg) or a path under /static/"},
		brandColorCheck(cfg.Brand.Color),
		{cfg.Secret == nil || len(cfg.Secret) >= 32, "DEVPORTAL_SECRET must be at least 32 characters (generate one with: openssl rand -base64 32)"},
	}
	var errs []error
	for _, c := range checks {
		if !c.ok {
			errs = append(errs, errors.New(c.msg))
		}
	}
	return errors.Join(errs...)
}

// Layout is the branding as the page frame takes it: the stylesheet of the accent, when there
// is one, is linked with the colour's digest so a new colour is never read from a cache.
func (b Brand) Layout() layout.Brand {
	out := layout.Brand{Name: cmp.Or(b.Name, DefaultBrandName), LogoURL: b.LogoURL, Color: b.Color}
	if b.Color != "" {
		sum := sha256.Sum256([]byte(b.Color))
		out.CSS = "/static/brand.css?v=" + hex.EncodeToString(sum[:4])
	}
	return out
}

// Stylesheet sets the accent custom properties of app.css to the brand colour. In light mode
// the colour is the links', the focus ring's and the primary buttons'; in dark mode links keep
// the built-in light accent (a colour dark enough for white is too dark for a dark page) and
// the colour fills the buttons, behind white text.
func (b Brand) Stylesheet() []byte {
	if b.Color == "" {
		return []byte("/* no DEVPORTAL_BRAND_COLOR: app.css's own accent */\n")
	}
	c := b.Color
	return []byte(":root {\n" +
		"  --accent: " + c + ";\n  --accent-hover: color-mix(in srgb, " + c + " 80%, #000);\n" +
		"  --accent-bg: " + c + ";\n  --accent-bg-hover: color-mix(in srgb, " + c + " 80%, #000);\n" +
		"  --accent-subtle: color-mix(in srgb, " + c + " 8%, #fff);\n  --accent-border: color-mix(in srgb, " + c + " 45%, #fff);\n" +
		"}\n@media (prefers-color-scheme: dark) {\n  :root {\n" +
		"    --accent-bg: " + c + ";\n    --accent-bg-hover: color-mix(in srgb, " + c + " 80%, #000);\n" +
		"    --accent-subtle: color-mix(in srgb, " + c + " 25%, #0d1117);\n    --accent-border: " + c + ";\n" +
		"  }\n}\n")
}

// ResolveVersion is the version a build reports (footer, `devportal version`): the one set at
// build time (-ldflags "-X main.version=…") or, for a plain "dev" build, what Go recorded in
// the binary: the module version of `go install …@v1.2.3`, or the commit of a build in a
// checkout ("dev-0123456789ab", "-dirty" with uncommitted changes).
func ResolveVersion(v string) string {
	if v != "" && v != "dev" {
		return v
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return cmp.Or(v, "dev")
	}
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		return mv
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return cmp.Or(v, "dev")
	}
	return "dev-" + rev[:min(12, len(rev))] + dirty
}

// brandLogoOK accepts an absolute https URL (the CSP's img-src allows https:) or a path of our
// own static files.
func brandLogoOK(v string) bool {
	if strings.HasPrefix(v, "/static/") {
		return !strings.Contains(v, "..") && !strings.ContainsAny(v, "?#\\ ")
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// brandColorCheck is the check of DEVPORTAL_BRAND_COLOR: a #rrggbb colour whose contrast with
// white is at least 4.5:1 (WCAG 2 AA), since it colours links on white and sits behind white
// button text.
func brandColorCheck(v string) struct {
	ok  bool
	msg string
} {
	type check = struct {
		ok  bool
		msg string
	}
	if v == "" {
		return check{true, ""}
	}
	ratio, ok := ContrastOnWhite(v)
	if !ok {
		return check{false, fmt.Sprintf("DEVPORTAL_BRAND_COLOR: %q is not a colour written #rrggbb, such as #0b5cad", v)}
	}
	return check{ratio >= minBrandContrast, fmt.Sprintf("DEVPORTAL_BRAND_COLOR: %s has a contrast of %.2f:1 with white; links and button text need at least %.1f:1 (WCAG 2 AA), so choose a darker colour", v, ratio, minBrandContrast)}
}

// ContrastOnWhite is the WCAG 2 contrast ratio of a #rrggbb colour with white (1 to 21), and
// false when hex is not #rrggbb.
func ContrastOnWhite(hex string) (float64, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, false
	}
	var lum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		n, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 0, false
		}
		c := float64(n) / 255
		if c <= 0.04045 { // sRGB to linear light (WCAG 2 "relative luminance")
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += weight * c
	}
	return 1.05 / (lum + 0.05), true
}

// loopbackHost reports whether host is this machine: localhost, 127.0.0.0/8 or ::1.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackHost reports whether host is this machine (localhost, 127.0.0.0/8 or ::1), the rule
// the issuer check uses; the startup banner uses it too.
func LoopbackHost(host string) bool { return loopbackHost(host) }

// SecureCookies reports whether cookies get the Secure flag: whenever the issuer is https.
func (cfg Config) SecureCookies() bool { return strings.HasPrefix(cfg.Issuer, "https://") }

// LoadSecret fills cfg.Secret when DEVPORTAL_SECRET is unset: from SecretFile, or by generating
// 32 random bytes into it with mode 0600. Several instances must share one secret, so on
// PostgreSQL, the database that several instances share, DEVPORTAL_SECRET is required instead:
// instances with secrets of their own would reject each other's CSRF tokens and flashes and
// could not unseal each other's signing keys.
func (cfg *Config) LoadSecret() (generated bool, err error) {
	if cfg.Secret != nil {
		return false, nil
	}
	if d, _ := models.ParseDSN(cfg.DatabaseURL); d == models.Postgres {
		msg := "DEVPORTAL_SECRET must be set when DEVPORTAL_DATABASE_URL is PostgreSQL: every instance must share the same secret " +
			"(generate one with: openssl rand -base64 32)"
		if _, err := os.Stat(cfg.SecretFile); err == nil {
			msg += "; this instance already generated " + cfg.SecretFile + ": set DEVPORTAL_SECRET to its contents, or its signing keys cannot be unsealed"
		}
		return false, errors.New(msg)
	}
	if b, err := os.ReadFile(cfg.SecretFile); err == nil {
		cfg.Secret = []byte(strings.TrimSpace(string(b)))
		if len(cfg.Secret) < 32 {
			return false, fmt.Errorf("%s holds fewer than 32 bytes of secret", cfg.SecretFile)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SecretFile), 0o700); err != nil {
		return false, err
	}
	secret := models.NewToken("")
	f, err := os.OpenFile(cfg.SecretFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", cfg.SecretFile, err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	cfg.Secret = []byte(secret)
	return true, nil
}
