package oauth

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/devportal/devportal/models"
)

// ParseScope splits a space-delimited scope parameter (RFC 6749 §3.3), dropping duplicates but
// keeping order.
func ParseScope(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
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
	return ParseScope(strings.Join(names, " ")), nil
}

// resolveScopes checks requested scopes against the catalog and against allowed (the client's
// registration, or a grant's scope). Nothing requested means everything allowed.
func (s *Server) resolveScopes(ctx context.Context, requested, allowed []string) ([]models.Scope, error) {
	if len(requested) == 0 {
		requested = allowed
	}
	if len(requested) == 0 {
		return nil, ErrInvalidScope.Describe("no scope was requested and the client has none registered")
	}
	for _, name := range requested {
		if !validScopeToken(name) {
			return nil, ErrUnknownScope.Describe("scope %q is not a valid scope token", name)
		}
	}
	found, err := s.store.ScopesByName(ctx, requested)
	if err != nil {
		return nil, err
	}
	for _, name := range requested {
		i := slices.IndexFunc(found, func(sc models.Scope) bool { return sc.Name == name })
		if i < 0 || found[i].RetiredAt != nil {
			return nil, ErrUnknownScope.Describe("scope %q does not exist", name)
		}
		if !slices.Contains(allowed, name) {
			return nil, ErrScopeNotAllowed.Describe("scope %q is not allowed for this client", name)
		}
	}
	return found, nil
}

// validScopeToken follows RFC 6749 §3.3: printable ASCII except space, quote and backslash.
func validScopeToken(s string) bool {
	for _, r := range s {
		if r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e {
			return false
		}
	}
	return s != ""
}

func scopeNames(scopes []models.Scope) []string {
	out := make([]string, len(scopes))
	for i, sc := range scopes {
		out[i] = sc.Name
	}
	return out
}
