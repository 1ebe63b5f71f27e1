package docs_test

import (
	"strings"
	"testing"

	"github.com/devportal/devportal/docs"
)

// The embedded output decodes, and holds the pages' landmarks (the generator's own test checks
// that it is current).
func TestRendered(t *testing.T) {
	if !strings.Contains(docs.IntegrationGuideHTML, `<h2 id="errors">Errors</h2>`) {
		t.Error("the rendered integration guide lacks its Errors heading")
	}
	if !strings.HasPrefix(docs.OIDCGuideHTML, `<h1 id="sign-in-with-devportal">`) {
		t.Errorf("the rendered OpenID Connect guide starts %.40q", docs.OIDCGuideHTML)
	}
	if !strings.HasPrefix(docs.OAuthGuideHTML, "<h1 ") {
		t.Errorf("the rendered OAuth guide starts %.40q", docs.OAuthGuideHTML)
	}
	ref, err := docs.APIReference()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, g := range ref.Groups {
		for _, op := range g.Operations {
			ops = append(ops, op.ID)
		}
	}
	if ref.Title == "" || len(ref.Schemas) == 0 || !strings.Contains(strings.Join(ops, " "), "post-oauth-tokens") {
		t.Errorf("API reference %q, %d schemas, operations %v", ref.Title, len(ref.Schemas), ops)
	}
}
