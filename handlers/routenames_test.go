package handlers

import "testing"

// Issue 9, item 4: a link to a name the route table does not know is a bug to surface, never
// an empty href or a redirect to "".
func TestURLPanicsOnAnUnroutedName(t *testing.T) {
	h := New(nil, nil, Options{URL: func(name string, params ...any) string {
		if name == RouteApp {
			return "/apps/" + params[0].(string)
		}
		return ""
	}})
	if got := h.url(RouteApp, "c1"); got != "/apps/c1" {
		t.Errorf("url(app, c1) = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unrouted name gave a URL instead of panicking")
		}
	}()
	h.url("no-such-route")
}
