package apps

import (
	"slices"
	"strings"

	"github.com/devportal/devportal/templates/pages/shared"
)

// splitScopes separates the OpenID Connect scopes from the API scopes, keeping their order.
func splitScopes(scopes []shared.ScopeOption) (standard, api []shared.ScopeOption) {
	for _, s := range scopes {
		if s.Standard {
			standard = append(standard, s)
		} else {
			api = append(api, s)
		}
	}
	return standard, api
}

// originsHint explains the "Allowed web origins" field and what leaving it empty means.
func originsHint(defaults []string) string {
	hint := "One per line, such as https://app.example.com: the origins whose pages may call the token and revocation endpoints from a browser (CORS). "
	if len(defaults) == 0 {
		return hint + "Empty: none, since no redirect URI is a web address."
	}
	return hint + "Empty: the origins of the redirect URIs, " + strings.Join(defaults, ", ") + "."
}

// lifetimeUnits are the unit choices of a lifetime field, largest first; seconds only when the
// stored lifetime is not in whole minutes.
func lifetimeUnits(selected string) []AlgOption {
	out := []AlgOption{{"days", "days"}, {"hours", "hours"}, {"minutes", "minutes"}}
	if selected == "seconds" {
		out = append(out, AlgOption{"seconds", "seconds"})
	}
	return out
}

// errorLines splits a field's error into its messages: a redirect URI list has one per bad line.
func errorLines(msg string) []string {
	if msg == "" {
		return nil
	}
	return strings.Split(msg, "\n")
}

// scopeGroup is the scopes of one API, shown as one fieldset.
type scopeGroup struct {
	Label  string
	Scopes []shared.ScopeOption
}

// groupByAPI groups API scopes by their API, APIs in name order, keeping the scopes' order
// within each; scopes of no known API come last, as "other APIs".
func groupByAPI(scopes []shared.ScopeOption) []scopeGroup {
	var out []scopeGroup
	index := map[string]int{}
	for _, s := range scopes {
		label := s.API
		if label == "" {
			label = "other APIs"
		}
		i, ok := index[label]
		if !ok {
			i = len(out)
			index[label] = i
			out = append(out, scopeGroup{Label: label})
		}
		out[i].Scopes = append(out[i].Scopes, s)
	}
	slices.SortStableFunc(out, func(a, b scopeGroup) int {
		switch {
		case a.Label == b.Label:
			return 0
		case a.Label == "other APIs":
			return 1
		case b.Label == "other APIs":
			return -1
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out
}
