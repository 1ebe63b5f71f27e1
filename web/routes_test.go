package web

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
)

// mustRouteTable registers the route table on a bare Echo, as New does.
func mustRouteTable(t *testing.T) *echo.Echo {
	t.Helper()
	e := echo.New()
	h := handlers.New(nil, nil, handlers.Options{URL: e.Reverse})
	routes(e, Deps{}, h, pageGroup{e: e})
	return e
}

var routeParam = regexp.MustCompile(`:[a-z]+|\*`)

// Issue 9, item 4: links are built from route names, so each name must give back its route's
// path, one name must not stand for two paths, and every route must carry a name.
func TestRouteNamesReverseToTheirPaths(t *testing.T) {
	e := mustRouteTable(t)
	pathOf := map[string]string{}
	for _, r := range e.Routes() {
		if !slices.Contains(handlers.RouteNames, r.Name) {
			// StaticFS also serves /static and /static/ under the handler's own name.
			if !strings.HasPrefix(r.Path, "/static") {
				t.Errorf("%s %s has no name from handlers.RouteNames (got %q)", r.Method, r.Path, r.Name)
			}
			continue
		}
		if p, ok := pathOf[r.Name]; ok && p != r.Path {
			t.Errorf("name %q stands for both %s and %s", r.Name, p, r.Path)
		}
		pathOf[r.Name] = r.Path
		var params []any
		for _, p := range routeParam.FindAllString(r.Path, -1) {
			params = append(params, p)
		}
		if got := e.Reverse(r.Name, params...); got != r.Path {
			t.Errorf("Reverse(%q) = %q, want %q", r.Name, got, r.Path)
		}
	}
	for _, name := range handlers.RouteNames {
		if _, ok := pathOf[name]; !ok {
			t.Errorf("no route is named %q", name)
		}
	}
	for name, path := range Paths {
		if pathOf[name] != path {
			t.Errorf("Paths[%q] = %q but the route named %q is %q", name, path, name, pathOf[name])
		}
	}
}

// Issue 9, item 4: a name nothing is routed under stops New at start-up, not a request later.
func TestMissingRouteNamePanicsAtStartUp(t *testing.T) {
	e := mustRouteTable(t)
	mustRouteNames(e, handlers.RouteNames) // the real table passes
	defer func() {
		if recover() == nil {
			t.Error("an unrouted name did not panic")
		}
	}()
	mustRouteNames(e, append(slices.Clone(handlers.RouteNames), "no-such-route"))
}
