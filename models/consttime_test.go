package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sensitiveName marks an operand that may hold a credential or a value derived from one.
var sensitiveName = regexp.MustCompile(`(?i)hash|secret|token|verifier|challenge|csrf`)

// constantTimeAllowed lists comparisons the scan flags but that compare nothing secret, as
// "path: expression" with the reason. Keep it short: a new entry needs a reason a reviewer
// accepts, and secrets are compared with crypto/subtle (or hmac.Equal) instead.
var constantTimeAllowed = map[string]string{
	// The database id of a secret row, chosen on the page; the secret itself is not involved.
	"handlers/apps.go: client.Secrets[i].ID == id": "row id",
	// Two redirect URIs (RFC 6749 §4.1.3), named after the endpoints that received them.
	"models/oauth/token.go: atToken != atAuthorize": "redirect URIs",
	// Two ID Token algorithm names (OIDC Registration §2), for the audit of a settings edit.
	"handlers/apps.go: old.IDTokenSignedResponseAlg != p.IDTokenSignedResponseAlg": "algorithm names",
}

// comparisonFinding is one comparison of a sensitive value with == or != (or bytes.Equal and
// friends), whose time depends on how many leading bytes match.
type comparisonFinding struct {
	pos  token.Position
	expr string
}

// constantNames collects the names of every constant the module declares, so a comparison with
// one (grant types, statuses, methods) is not mistaken for a comparison of two secrets.
func constantNames(files []*ast.File) map[string]bool {
	names := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	return names
}

// public reports whether e is a value nobody needs to keep secret: a literal, nil, a boolean, a
// length, or a constant.
func public(e ast.Expr, consts map[string]bool) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return e.Name == "nil" || e.Name == "true" || e.Name == "false" || consts[e.Name]
	case *ast.SelectorExpr:
		_, pkg := e.X.(*ast.Ident)
		return pkg && consts[e.Sel.Name]
	case *ast.CallExpr:
		fn, ok := e.Fun.(*ast.Ident)
		return ok && (fn.Name == "len" || fn.Name == "cap")
	case *ast.UnaryExpr:
		return public(e.X, consts)
	}
	return false
}

// equalityFuncs compare their two arguments in variable time.
var equalityFuncs = []string{"bytes.Equal", "bytes.Compare", "strings.Compare", "strings.EqualFold", "reflect.DeepEqual", "slices.Equal"}

// scanComparisons finds, in f, comparisons of two non-public values at least one of which has a
// sensitive name.
func scanComparisons(fset *token.FileSet, f *ast.File, consts map[string]bool) []comparisonFinding {
	var out []comparisonFinding
	check := func(at ast.Node, a, b ast.Expr, expr string) {
		if public(a, consts) || public(b, consts) {
			return
		}
		if sensitiveName.MatchString(types.ExprString(a)) || sensitiveName.MatchString(types.ExprString(b)) {
			out = append(out, comparisonFinding{pos: fset.Position(at.Pos()), expr: expr})
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				check(n, n.X, n.Y, types.ExprString(n))
			}
		case *ast.CallExpr:
			if slices.Contains(equalityFuncs, types.ExprString(n.Fun)) && len(n.Args) == 2 {
				check(n, n.Args[0], n.Args[1], types.ExprString(n))
			}
		case *ast.SwitchStmt: // switch secret { case other: } compares too
			if n.Tag == nil {
				return true
			}
			for _, s := range n.Body.List {
				for _, v := range s.(*ast.CaseClause).List {
					check(v, n.Tag, v, "switch "+types.ExprString(n.Tag)+" case "+types.ExprString(v))
				}
			}
		}
		return true
	})
	return out
}

// mustModuleRoot finds the directory holding go.mod above the package under test.
func mustModuleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// mustParseSources parses every non-test Go file of the module.
func mustParseSources(t *testing.T, root string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d source files found under %s", len(files), root)
	}
	return fset, files
}

// Issue #8, RFC 6819 §5.1.4.3 and OWASP ASVS V6.2: secrets, hashes of secrets, tokens, PKCE
// verifiers and challenges, and CSRF tokens are compared in constant time (crypto/subtle), never
// with == or !=, whose time reveals how many leading bytes matched.
func TestSecretsComparedInConstantTime(t *testing.T) {
	root := mustModuleRoot(t)
	fset, files := mustParseSources(t, root)
	consts := constantNames(files)
	for _, f := range files {
		for _, c := range scanComparisons(fset, f, consts) {
			rel, _ := filepath.Rel(root, c.pos.Filename)
			key := filepath.ToSlash(rel) + ": " + c.expr
			if _, ok := constantTimeAllowed[key]; !ok {
				t.Errorf("%s:%d: %s compares a secret in variable time; use crypto/subtle.ConstantTimeCompare (or add %q to constantTimeAllowed with a reason)", filepath.ToSlash(rel), c.pos.Line, c.expr, key)
			}
		}
	}
}

// The scan itself: it must catch a plain comparison of a presented secret with a stored hash,
// and leave alone comparisons with literals, constants and lengths.
func TestConstantTimeScan(t *testing.T) {
	const src = `package p

const GrantRefreshToken = "refresh_token"

func f(presented string, cs struct{ Hash string }, r struct{ GrantType string }, token string, a, b []byte) {
	if presented == cs.Hash {}
	if bytes.Equal(a, []byte(cs.Hash)) {}
	switch token { case presented: }
	if token == "" || r.GrantType == GrantRefreshToken || len(token) != 43 || cs.Hash != other.GrantRefreshToken {}
	if subtle.ConstantTimeCompare([]byte(presented), []byte(cs.Hash)) == 1 {}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range scanComparisons(fset, f, constantNames([]*ast.File{f})) {
		got = append(got, c.expr)
	}
	want := []string{"presented == cs.Hash", "bytes.Equal(a, []byte(cs.Hash))", "switch token case presented"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings %q, want %q", got, want)
	}
}
