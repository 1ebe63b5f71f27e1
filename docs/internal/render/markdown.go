// Package render compiles the documentation sources in docs/ into what the portal serves:
// Markdown into HTML and docs/openapi.yaml into the API reference's view. It runs only under
// go generate (docs/internal/gen) and in tests, so goldmark and kin-openapi stay out of the
// server's binary.
package render

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders our documentation: GitHub-flavoured (extension.GFM is these four, with the
// table's cell alignment written as align attributes, as the CSP forbids style attributes),
// with heading ids (so /docs/integration-guide#errors lands), tables in the portal's table style,
// and raw HTML left out.
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.Linkify,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.TaskList,
	),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		parser.WithASTTransformers(util.Prioritized(tableClass{}, 1000)),
	),
)

// tableClass gives rendered tables the portal's table class.
type tableClass struct{}

func (tableClass) Transform(doc *gast.Document, _ text.Reader, _ parser.Context) {
	_ = gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if entering && n.Kind() == extast.KindTable {
			n.SetAttributeString("class", []byte("table"))
		}
		return gast.WalkContinue, nil
	})
}

// Markdown renders a document of docs/ as HTML.
func Markdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Inline renders a one-paragraph description without its <p>, for table cells.
func Inline(src string) string {
	html, err := Markdown(strings.TrimSpace(src))
	if err != nil {
		return ""
	}
	html = strings.TrimSpace(html)
	if strings.HasPrefix(html, "<p>") && strings.HasSuffix(html, "</p>") && strings.Count(html, "<p>") == 1 {
		html = strings.TrimSuffix(strings.TrimPrefix(html, "<p>"), "</p>")
	}
	return html
}
