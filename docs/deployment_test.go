package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var envName = regexp.MustCompile(`"(DEVPORTAL_[A-Z0-9_]+)"`)

// codeEnv is every DEVPORTAL_ variable the product's non-test Go source names, web/config.go
// (ConfigFromEnv) among it. models/storetest is the test harness: its variables are for tests.
func codeEnv(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); strings.HasPrefix(name, ".") && name != ".." || path == filepath.Join("..", "models", "storetest") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range envName.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !seen["DEVPORTAL_ISSUER"] || !seen["DEVPORTAL_DB_MAX_CONNS"] {
		t.Fatalf("the walk found only %v", seen) // the regexp or the walk is broken
	}
	return sortedKeys(seen)
}

var tableRow = regexp.MustCompile("(?m)^\\| `(DEVPORTAL_[A-Z0-9_]+)` \\|")

// tableEnv is the variables named in the first column of the configuration table that follows
// heading in the markdown file.
func tableEnv(t *testing.T, file, heading string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("%s has no heading %q", file, heading)
	}
	text = text[i+len(heading)+2:]
	if j := strings.Index(text, "\n#"); j >= 0 { // the section ends at the next heading
		text = text[:j]
	}
	seen := map[string]bool{}
	for _, m := range tableRow.FindAllStringSubmatch(text, -1) {
		if seen[m[1]] {
			t.Errorf("%s lists %s twice", file, m[1])
		}
		seen[m[1]] = true
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Issue 12 (docs/deployment.md): the environment tables of docs/deployment.md and the README
// list exactly the variables the code reads, so neither can drift from the configuration code.
func TestDeploymentEnvTableMatchesCode(t *testing.T) {
	code := codeEnv(t)
	for _, doc := range []struct{ file, heading string }{
		{"deployment.md", "## Environment variables"},
		{"../README.md", "## Configuration"},
	} {
		listed := tableEnv(t, doc.file, doc.heading)
		for _, name := range code {
			if !slices.Contains(listed, name) {
				t.Errorf("%s does not document %s, which the code reads", doc.file, name)
			}
		}
		for _, name := range listed {
			if !slices.Contains(code, name) {
				t.Errorf("%s documents %s, which no code reads", doc.file, name)
			}
		}
	}
}
