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
}

// FieldErrors maps a registration field ("name", "type", "redirect_uris", "scopes") to what is
// wrong with it, in words for the developer.
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
	var uris []string
	if r.Type.Valid() && r.Type != models.ClientMachine {
		uris = validateRedirectURIs(r.Type, r.RedirectURIs, errs)
	}
	approved, pending, err := s.splitSensitive(ctx, ParseScope(strings.Join(r.Scopes, " ")), errs)
	if err != nil || len(errs) > 0 {
		return models.NewClient{}, errs, err
	}
	return models.NewClient{Name: name, Type: r.Type, RedirectURIs: uris, Scopes: approved, PendingScopes: pending}, nil, nil
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
	var uris []string
	for _, u := range raw {
		if u = strings.TrimSpace(u); u == "" || slices.Contains(uris, u) {
			continue
		}
		if len(uris) == MaxRedirectURIs {
			errs["redirect_uris"] = fmt.Sprintf("Register at most %d redirect URIs.", MaxRedirectURIs)
			return uris
		}
		if len(u) > models.MaxURLLength {
			errs["redirect_uris"] = fmt.Sprintf("Use at most %d characters for each redirect URI.", models.MaxURLLength)
			return uris
		}
		uris = append(uris, u)
	}
	if len(uris) == 0 {
		errs["redirect_uris"] = "Enter at least one redirect URI."
	}
	for _, u := range uris {
		if err := ValidateRedirectURI(t, u); err != nil {
			errs["redirect_uris"] = fmt.Sprintf("%s %s.", u, err)
			break
		}
	}
	return uris
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
