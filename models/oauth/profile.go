package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devportal/devportal/models"
)

// Bounds of the token lifetimes a developer may choose for an application. Outside them a token
// is either useless (a few seconds) or a standing credential (days for an access token).
const (
	MinAccessTTL  = time.Minute
	MaxAccessTTL  = 24 * time.Hour
	MinRefreshTTL = time.Hour
	MaxRefreshTTL = 8760 * time.Hour
)

// LifetimeRange is the bounds of one kind of token lifetime. The portal's form, the CLI's flags
// and the deployment configuration all check against the same two ranges, so they cannot drift.
type LifetimeRange struct{ Min, Max time.Duration }

// The ranges of access-token and refresh-token lifetimes, for a client or for the deployment.
var (
	AccessLifetime  = LifetimeRange{MinAccessTTL, MaxAccessTTL}
	RefreshLifetime = LifetimeRange{MinRefreshTTL, MaxRefreshTTL}
)

// Contains reports whether d lies within the range, bounds included.
func (r LifetimeRange) Contains(d time.Duration) bool { return d >= r.Min && d <= r.Max }

// String writes the range as "1m and 24h", to follow "between".
func (r LifetimeRange) String() string {
	return FormatLifetime(r.Min) + " and " + FormatLifetime(r.Max)
}

// Check is the rule for a lifetime chosen for one client: within the range and in whole seconds,
// since a client's override is stored in seconds. Its error is lower case, for the caller to
// phrase; the form shows it as a sentence.
func (r LifetimeRange) Check(d time.Duration) error {
	if !r.Contains(d) {
		return fmt.Errorf("choose between %s", r)
	}
	if d%time.Second != 0 {
		return errors.New("use whole seconds")
	}
	return nil
}

// Profile is an edit of an application as a developer submits it: every field as typed.
type Profile struct {
	Name         string
	LogoURL      string
	HomepageURL  string
	PrivacyURL   string
	TermsURL     string
	RedirectURIs []string
	Scopes       []string // the scopes the developer wants, approved or not
	// AccessTTL and RefreshTTL are the lifetimes as typed: a whole number of AccessTTLUnit
	// (RefreshTTLUnit), one of the LifetimeUnits' names, or, with no unit, a Go duration such as
	// "15m". Empty is the deployment default.
	AccessTTL, AccessTTLUnit   string
	RefreshTTL, RefreshTTLUnit string

	// AllowedOrigins are the web origins that may call the token and revocation endpoints from a
	// browser; empty means the origins of the redirect URIs.
	AllowedOrigins []string

	// PostLogoutRedirectURIs are the RP-Initiated Logout targets (web and native only).
	PostLogoutRedirectURIs []string
	// IDTokenSignedResponseAlg is "" (RS256, the default) or one of IDTokenAlgs.
	IDTokenSignedResponseAlg string
	// AllowDeviceGrant turns on the device authorization grant (RFC 8628); web and native only.
	AllowDeviceGrant bool
}

// IDTokenAlgs are the ID Token algorithms a client may register besides the default, RS256
// (OIDC Core §3.1.3.7: RS256 unless another was registered; OIDC Registration §2).
var IDTokenAlgs = []string{"ES256"}

// ValidateProfile checks an edit of client c with the registration rules for its type. It returns
// the profile to save and the sensitive scopes to request from an administrator: a sensitive
// scope the application does not hold yet is not granted by the edit, only requested. Field
// names in the errors are "name", "logo_url", "homepage_url", "privacy_url", "terms_url",
// "redirect_uris", "allowed_origins", "scopes", "access_ttl", "refresh_ttl",
// "post_logout_redirect_uris" and "id_token_signed_response_alg". A machine client signs no one
// in: it gets neither post-logout URIs nor an ID Token algorithm, nor the OpenID scopes.
func (s *Server) ValidateProfile(ctx context.Context, c *models.Client, p Profile) (models.ClientProfile, []string, FieldErrors, error) {
	errs := FieldErrors{}
	out := models.ClientProfile{Name: validateName(p.Name, errs)}

	for _, f := range []struct {
		field, raw string
		dst        *string
	}{
		{"logo_url", p.LogoURL, &out.LogoURL},
		{"homepage_url", p.HomepageURL, &out.HomepageURL},
		{"privacy_url", p.PrivacyURL, &out.PrivacyURL},
		{"terms_url", p.TermsURL, &out.TermsURL},
	} {
		v := strings.TrimSpace(f.raw)
		if err := ValidateLink(v); err != nil {
			errs[f.field] = Capitalize(err.Error()) + "."
			continue
		}
		*f.dst = v
	}

	if c.Type != models.ClientMachine { // a machine client has no browser page to call from, nor ID Tokens
		out.RedirectURIs = validateRedirectURIs(c.Type, p.RedirectURIs, errs)
		out.AllowedOrigins = validateAllowedOrigins(p.AllowedOrigins, errs)
		switch alg := strings.TrimSpace(p.IDTokenSignedResponseAlg); {
		case alg == "" || slices.Contains(IDTokenAlgs, alg):
			out.IDTokenSignedResponseAlg = alg
		default:
			errs["id_token_signed_response_alg"] = "Choose RS256 or ES256."
		}
		out.AllowDeviceGrant = p.AllowDeviceGrant // a machine client has no user to approve a device
	}

	out.PostLogoutRedirectURIs = validatePostLogoutURIs(c.Type, p.PostLogoutRedirectURIs, errs)

	var err error
	if out.AccessTTLSeconds, err = parseLifetimeIn(p.AccessTTL, p.AccessTTLUnit, AccessLifetime); err != nil {
		errs["access_ttl"] = Capitalize(err.Error()) + "."
	}
	if c.Type != models.ClientMachine { // client credentials issue no refresh tokens
		if out.RefreshTTLSeconds, err = parseLifetimeIn(p.RefreshTTL, p.RefreshTTLUnit, RefreshLifetime); err != nil {
			errs["refresh_ttl"] = Capitalize(err.Error()) + "."
		}
	}

	wanted := ParseScope(strings.Join(p.Scopes, " "))
	var scopes, pending []string
	if c.Type != models.ClientMachine || !refuseSignInScopes(wanted, errs) {
		var err error
		if scopes, pending, err = s.editScopes(ctx, c, wanted, errs); err != nil {
			return models.ClientProfile{}, nil, nil, err
		}
	}
	if len(errs) > 0 {
		return models.ClientProfile{}, nil, errs, nil
	}
	out.Scopes = scopes
	return out, pending, nil, nil
}

// editScopes splits the wanted scopes into those the application may use at once and the
// sensitive ones an administrator must approve first. A scope the application already holds
// stays, even if it was retired or became sensitive since; so does one an administrator approved
// for it before. Anything else must be in the active catalog.
func (s *Server) editScopes(ctx context.Context, c *models.Client, wanted []string, errs FieldErrors) (approved, pending []string, err error) {
	if len(wanted) == 0 {
		errs["scopes"] = "Choose at least one scope."
		return nil, nil, nil
	}
	catalog, err := s.loadCatalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	requests, err := s.store.ScopeRequestsFor(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	wasApproved := func(sc string) bool {
		return slices.ContainsFunc(requests, func(r models.ScopeRequest) bool { return r.Scope == sc && r.Status == models.RequestApproved })
	}
	for _, sc := range wanted {
		if slices.Contains(c.Scopes, sc) {
			approved = append(approved, sc)
			continue
		}
		entry, ok := catalog[sc]
		switch {
		case !ok:
			errs["scopes"] = unknownScope(sc)
			return nil, nil, nil
		case entry.Sensitive && !wasApproved(sc):
			pending = append(pending, sc)
		default:
			approved = append(approved, sc)
		}
	}
	return approved, pending, nil
}

// ValidateLink checks a link shown to users on the consent page (logo, homepage, privacy
// policy, terms): empty, or an absolute https URL (http only on a loopback host, for
// development) without user name or password.
func ValidateLink(raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > models.MaxURLLength {
		return fmt.Errorf("use at most %d characters", models.MaxURLLength)
	}
	const example = "https://app.example.com/privacy"
	u, err := parseAbsolute(raw, "URL", example)
	if err != nil {
		return err
	}
	if u.Host == "" || u.Opaque != "" {
		return notAbsolute("URL", example)
	}
	if hasUserInfo(u) {
		return errUserInfo
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("must use https (http is allowed only for 127.0.0.1, [::1] or localhost)")
		}
	default:
		return errors.New("must be an https URL")
	}
	return nil
}

// parseLifetime reads a lifetime such as "15m" or "720h" within r; empty means the deployment
// default (nil).
func parseLifetime(raw string, r LifetimeRange) (*int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return nil, fmt.Errorf("write a duration such as %s or %s, or leave it empty for the default", FormatLifetime(r.Min), FormatLifetime(r.Max))
	}
	if err := r.Check(d); err != nil {
		return nil, err
	}
	n := int(d / time.Second)
	return &n, nil
}

// FormatLifetime writes a lifetime the way the form reads it back: in hours, minutes or seconds,
// whichever is whole.
func FormatLifetime(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
}

// FormatLifetimeSeconds is FormatLifetime for a stored override; nil is "" (the default).
func FormatLifetimeSeconds(seconds *int) string {
	if seconds == nil {
		return ""
	}
	return FormatLifetime(time.Duration(*seconds) * time.Second)
}

// LifetimeUnit is a unit the application form counts a token lifetime in.
type LifetimeUnit struct {
	Name string // the form's value: "days", "hours", "minutes", "seconds"
	Size time.Duration
}

// LifetimeUnits are the units of the lifetime fields, largest first. The form offers days, hours
// and minutes; seconds only for a stored lifetime that is not in whole minutes.
var LifetimeUnits = []LifetimeUnit{{"days", 24 * time.Hour}, {"hours", time.Hour}, {"minutes", time.Minute}, {"seconds", time.Second}}

// maxLifetimeCount bounds the number typed before the multiplication, so it cannot overflow;
// no unit makes a lifetime within the ranges from more.
const maxLifetimeCount = 1_000_000

// parseLifetimeIn reads a lifetime typed as a whole number of unit (LifetimeUnits), within r;
// with no unit it is parseLifetime's Go duration. Empty means the deployment default (nil).
func parseLifetimeIn(raw, unit string, r LifetimeRange) (*int, error) {
	raw, unit = strings.TrimSpace(raw), strings.TrimSpace(unit)
	if unit == "" {
		return parseLifetime(raw, r)
	}
	if raw == "" {
		return nil, nil
	}
	i := slices.IndexFunc(LifetimeUnits, func(u LifetimeUnit) bool { return u.Name == unit })
	if i < 0 {
		return nil, errors.New("choose minutes, hours or days")
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 || n > maxLifetimeCount {
		return nil, fmt.Errorf("enter a whole number of %s, such as %s, or leave it empty for the default", unit, strconv.Itoa(countIn(r.Min, LifetimeUnits[i])))
	}
	d := time.Duration(n) * LifetimeUnits[i].Size
	if !r.Contains(d) {
		return nil, fmt.Errorf("choose between %s and %s", HumanLifetime(r.Min), HumanLifetime(r.Max))
	}
	secs := int(d / time.Second)
	return &secs, nil
}

// countIn is how many of unit make d, at least 1.
func countIn(d time.Duration, u LifetimeUnit) int { return max(1, int(d/u.Size)) }

// SplitLifetime writes a lifetime as the form shows it: a number in the largest unit that
// divides it exactly (7 days, not 168 hours). Zero or less is ("", "").
func SplitLifetime(d time.Duration) (count, unit string) {
	if d <= 0 {
		return "", ""
	}
	for _, u := range LifetimeUnits {
		if d%u.Size == 0 {
			return strconv.FormatInt(int64(d/u.Size), 10), u.Name
		}
	}
	return strconv.FormatInt(int64(d/time.Second), 10), "seconds" // under a second: not stored
}

// SplitLifetimeSeconds is SplitLifetime for a stored override; nil is ("", "") (the default).
func SplitLifetimeSeconds(seconds *int) (count, unit string) {
	if seconds == nil {
		return "", ""
	}
	return SplitLifetime(time.Duration(*seconds) * time.Second)
}

// HumanLifetime writes a lifetime in words in its largest exact unit: "15 minutes", "1 day".
func HumanLifetime(d time.Duration) string {
	count, unit := SplitLifetime(d)
	if count == "" {
		return ""
	}
	if count == "1" {
		unit = strings.TrimSuffix(unit, "s")
	}
	return count + " " + unit
}
