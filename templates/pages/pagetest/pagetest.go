// Package pagetest holds the helpers the page tests of every area share.
package pagetest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// MustRender renders c and parses it as HTML.
func MustRender(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// AssertAccessible checks that every visible form control has a <label for> naming it, the way
// screen readers and the browser tests find fields, and that no page carries inline script (the
// CSP would block it anyway).
func AssertAccessible(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			html, _ := goquery.OuterHtml(s)
			t.Errorf("control without a label: %s", html)
		}
	})
	doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" {
			t.Error("button without visible text")
		}
	})
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" {
			t.Error("inline script")
		}
	})
	if doc.Find("[style]").Length() > 0 {
		t.Error("inline style attribute")
	}
}
