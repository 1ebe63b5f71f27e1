package oauth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/devportal/devportal/models"
)

// MaxRedirectURIs bounds how many redirect URIs one application registers.
const MaxRedirectURIs = models.MaxRedirectURIs

// Registration is an application as a developer submits it.
type Registration struct {
	Name         string
	Type         models.ClientType
	RedirectURIs []string
	Scopes       []string
	// PostLogoutRedirectURIs are optional RP-Initiated Logout targets (web and native only).
	PostLogoutRedirectURIs []string
}

// FieldErrors maps a registration field ("name", "type", "redirect_uris", "scopes",
// "post_logout_redirect_uris") to what is wrong with it, in words for the developer.
type FieldErrors map[string]string

// ValidateRegistration checks an application registration against the rules for its type and the
// live scope catalog, and returns the client to create. Machine clients have no redirect URIs, so
// any given are dropped.
func (s *Server) ValidateRegistration(ctx context.Context, r Registration) (models.NewClient, FieldErrors, error) {
	errs := FieldErrors{}
	name := validateName(r.Name, errs)
	if !r.Type.Valid() {
		errs["type"] = "Choose the application type."
	}
	var uris, logoutURIs []string
	if r.Type.Valid() && r.Type != models.ClientMachine {
		uris = validateRedirectURIs(r.Type, r.RedirectURIs, errs)
	}
	if r.Type.Valid() {
		logoutURIs = validatePostLogoutURIs(r.Type, r.PostLogoutRedirectURIs, errs)
	}
	scopes := ParseScope(strings.Join(r.Scopes, " "))
	if r.Type == models.ClientMachine && refuseSignInScopes(scopes, errs) {
		return models.NewClient{}, errs, nil
	}
	approved, pending, err := s.splitSensitive(ctx, scopes, errs)
	if err != nil || len(errs) > 0 {
		return models.NewClient{}, errs, err
	}
	return models.NewClient{Name: name, Type: r.Type, RedirectURIs: uris, Scopes: approved, PendingScopes: pending,
		PostLogoutRedirectURIs: logoutURIs}, nil, nil
}

// MachineSignInScopes is why a machine-to-machine application cannot have the OpenID Connect
// scopes: client credentials involve no user, so there is no one to issue an ID Token about.
const MachineSignInScopes = "Machine-to-machine applications sign no one in; remove openid, profile, email and offline_access."

// refuseSignInScopes marks the scopes field when a machine client asks for a standard OpenID
// Connect scope (OIDC Core §3.1.2.1 ties them to a signed-in end user), and reports whether it did.
func refuseSignInScopes(scopes []string, errs FieldErrors) bool {
	for _, sc := range scopes {
		if slices.Contains(models.StandardScopes, sc) {
			errs["scopes"] = MachineSignInScopes
			return true
		}
	}
	return false
}

// ValidatePostLogoutURIs checks the post-logout redirect URIs of a client of type t with the
// rules of its redirect URIs (OpenID Connect RP-Initiated Logout 1.0 §3.1: registered, matched
// exactly): trimmed, de-duplicated, at most MaxRedirectURIs. None is fine. It returns the URIs to
// store, or a message for the developer. Machine clients may register none.
func ValidatePostLogoutURIs(t models.ClientType, raw []string) ([]string, string) {
	errs := FieldErrors{}
	uris := validatePostLogoutURIs(t, raw, errs)
	return uris, errs["post_logout_redirect_uris"]
}

func validatePostLogoutURIs(t models.ClientType, raw []string, errs FieldErrors) []string {
	if t == models.ClientMachine {
		if slices.ContainsFunc(raw, func(u string) bool { return strings.TrimSpace(u) != "" }) {
			errs["post_logout_redirect_uris"] = "Machine-to-machine applications sign no one in, so they have no post-logout redirect URIs."
		}
		return nil
	}
	return validateURIList(t, raw, "post_logout_redirect_uris", "post-logout redirect URI", false, errs)
}

// validateName trims an application name and checks its length.
func validateName(raw string, errs FieldErrors) string {
	name := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		errs["name"] = "Enter a name for the application."
	case n > models.MaxAppNameLength:
		errs["name"] = fmt.Sprintf("Use at most %d characters.", models.MaxAppNameLength)
	}
	return name
}

// validateRedirectURIs trims and de-duplicates the redirect URIs of a web or native client and
// checks each against the rules for its type. It stops reading at the first one too many or too
// long, so a huge form costs no more than a full one.
func validateRedirectURIs(t models.ClientType, raw []string, errs FieldErrors) []string {
	return validateURIList(t, raw, "redirect_uris", "redirect URI", true, errs)
}

// validateURIList is validateRedirectURIs for any list of URIs the client's browser is sent to
// (field names the error, noun phrases it), optionally requiring at least one.
func validateURIList(t models.ClientType, raw []string, field, noun string, required bool, errs FieldErrors) []string {
	var uris []string
	for i, u := range raw {
		if u = strings.TrimSpace(u); u == "" || slices.Contains(uris, u) {
			continue
		}
		if len(uris) == MaxRedirectURIs {
			errs[field] = fmt.Sprintf("Register at most %d %ss.", MaxRedirectURIs, noun)
			return uris
		}
		if len(u) > models.MaxURLLength {
			errs[field] = fmt.Sprintf("Use at most %d characters for each %s (line %d).", models.MaxURLLength, noun, i+1)
			return uris
		}
		uris = append(uris, u)
	}
	if required && len(uris) == 0 {
		errs[field] = "Enter at least one " + noun + "."
	}
	// Every bad line at once, one message a line (see FieldErrorLines), so one submission shows
	// them all.
	var msgs []string
	for _, e := range CheckURILines(t, raw) {
		msgs = append(msgs, e.Error())
	}
	if len(msgs) > 0 {
		errs[field] = strings.Join(msgs, "\n")
	}
	return uris
}

// FieldErrorLines splits a field's error into its messages: a URI list's has one per bad line.
func FieldErrorLines(msg string) []string {
	if msg == "" {
		return nil
	}
	return strings.Split(msg, "\n")
}

// splitSensitive checks scopes against the active catalog and separates the sensitive ones,
// which an admin must approve before the application may request them.
func (s *Server) splitSensitive(ctx context.Context, scopes []string, errs FieldErrors) (approved, pending []string, err error) {
	if len(scopes) == 0 {
		errs["scopes"] = "Choose at least one scope."
		return nil, nil, nil
	}
	catalog, err := s.loadCatalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, sc := range scopes {
		entry, ok := catalog[sc]
		switch {
		case !ok:
			errs["scopes"] = unknownScope(sc)
			return nil, nil, nil
		case entry.Sensitive:
			pending = append(pending, sc)
		default:
			approved = append(approved, sc)
		}
	}
	return approved, pending, nil
}

// unknownScope says a requested scope is not in the catalog, quoting at most a catalog name's
// length of it.
func unknownScope(name string) string {
	if len(name) > models.MaxScopeNameLength {
		return "A requested scope is not in the scope catalog (no scope name is that long)."
	}
	return fmt.Sprintf("%q is not in the scope catalog.", name)
}
