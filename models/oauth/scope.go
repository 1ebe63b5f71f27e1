package oauth

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devportal/devportal/models"
)

// ParseScope splits a space-delimited scope parameter (RFC 6749 §3.3), dropping duplicates but
// keeping order. It is linear in the input: a megabyte of scope from an anonymous caller costs
// one pass, not a quadratic de-duplication.
func ParseScope(s string) []string {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil
	}
	out := fields[:0]
	seen := make(map[string]struct{}, len(fields))
	for _, f := range fields {
		if _, dup := seen[f]; !dup {
			seen[f] = struct{}{}
			out = append(out, f)
		}
	}
	return out
}

// ParseScopesParam reads the compatibility dialect's scopes parameter: space-separated names, or
// a JSON array of names such as ["INVOICE.READ","INVOICE.WRITE"].
func ParseScopesParam(s string) ([]string, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") {
		return ParseScope(s), nil
	}
	var names []string
	if err := json.Unmarshal([]byte(t), &names); err != nil {
		return nil, ErrInvalidRequest.Describe(`scopes must be space-separated names or a JSON array of names, such as ["INVOICE.READ"]`)
	}
	for _, n := range names {
		// One array element is one name: "A B" would otherwise become two scopes silently.
		if n == "" || strings.ContainsAny(n, " \t\r\n") {
			return nil, ErrInvalidRequest.Describe("each element of the scopes array must be one scope name, got %q", n)
		}
	}
	return ParseScope(strings.Join(names, " ")), nil
}

// resolveScopes checks requested scopes against the catalog and against allowed (the client's
// registration, or a grant's scope). Nothing requested means everything allowed that is still in
// the catalog (RFC 6749 §3.3 lets the server pick a default): an admin retiring one of a client's
// scopes must not break the clients that never send scope.
func (s *Server) resolveScopes(ctx context.Context, requested, allowed []string) ([]models.Scope, error) {
	for _, name := range requested {
		if !validScopeToken(name) {
			return nil, ErrUnknownScope.Describe("scope %q is not a valid scope token", name)
		}
	}
	catalog, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	if len(requested) == 0 {
		// A request that names no scope gets the client's API scopes; it never becomes an OpenID
		// request (or one for offline access) without asking.
		for _, name := range allowed {
			if _, live := catalog[name]; live && !IsIdentityScope(name) {
				requested = append(requested, name)
			}
		}
		if len(requested) == 0 {
			return nil, ErrInvalidScope.Describe("no scope was requested and none of the client's registered scopes is available")
		}
	}
	found := make([]models.Scope, 0, len(requested))
	for _, name := range requested {
		sc, ok := catalog[name]
		if !ok {
			return nil, ErrUnknownScope.Describe("scope %q does not exist", name)
		}
		if !slices.Contains(allowed, name) {
			return nil, ErrScopeNotAllowed.Describe("scope %q is not allowed for this client", name)
		}
		found = append(found, sc)
	}
	slices.SortFunc(found, func(a, b models.Scope) int { return strings.Compare(a.Name, b.Name) })
	return found, nil
}

// catalogTTL bounds how stale an instance's copy of the scope catalog may be: an admin's new or
// retired scope takes effect everywhere within it, and the token endpoint saves a query.
const catalogTTL = 5 * time.Second

type catalogCache struct {
	mu       sync.Mutex
	scopes   map[string]models.Scope
	loadedAt time.Time
}

// catalog returns the active scopes by name, reloading them when older than catalogTTL.
func (s *Server) catalog(ctx context.Context) (map[string]models.Scope, error) {
	s.scopes.mu.Lock()
	defer s.scopes.mu.Unlock()
	if s.scopes.scopes != nil && time.Since(s.scopes.loadedAt) < catalogTTL {
		return s.scopes.scopes, nil
	}
	m, err := s.loadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	s.scopes.scopes, s.scopes.loadedAt = m, time.Now()
	return m, nil
}

// loadCatalog reads the active scopes by name from the store: the one lookup of the catalog.
// Registration and edits call it directly, uncached, so a developer is checked against the
// catalog as an administrator left it, on whichever instance serves the form.
func (s *Server) loadCatalog(ctx context.Context) (map[string]models.Scope, error) {
	active, err := s.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]models.Scope, len(active))
	for _, sc := range active {
		m[sc.Name] = sc
	}
	return m, nil
}

// ForgetCatalog drops the cached catalog (scopes and APIs), so this instance sees an admin's
// change at once.
func (s *Server) ForgetCatalog() {
	s.scopes.mu.Lock()
	s.scopes.scopes = nil
	s.scopes.mu.Unlock()
	s.forgetAPIs()
}

func scopeNames(scopes []models.Scope) []string {
	out := make([]string, len(scopes))
	for i, sc := range scopes {
		out[i] = sc.Name
	}
	return out
}
