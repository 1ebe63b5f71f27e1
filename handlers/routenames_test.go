package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

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

// Issue 9, item 4: web.New checks the names in RouteNames at start-up, so a Route constant
// missing from the list would slip past that check and fail on its first request instead.
func TestRouteNamesListsEveryRouteConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "routenames.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for i, id := range s.(*ast.ValueSpec).Names {
				name, _ := strconv.Unquote(s.(*ast.ValueSpec).Values[i].(*ast.BasicLit).Value)
				if !slices.Contains(RouteNames, name) {
					t.Errorf("%s (%q) is not in RouteNames", id.Name, name)
				}
			}
		}
	}
}
