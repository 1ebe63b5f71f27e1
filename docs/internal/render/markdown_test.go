package render

import (
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the HTML
		not       []string
	}{
		// /docs/integration-guide#errors must land: headings carry ids.
		{"heading ids", "# Integration guide\n\n## Errors\n", []string{`<h1 id="integration-guide">Integration guide</h1>`, `<h2 id="errors">Errors</h2>`}, nil},
		{"tables in the portal's style", "| a | b |\n|---|--:|\n| 1 | 2 |\n", []string{`<table class="table">`, `<td>1</td>`}, nil},
		// The CSP forbids style attributes, so alignment is an align attribute.
		{"alignment without style", "| a | b |\n|---|--:|\n| 1 | 2 |\n", []string{`<th align="right">b</th>`}, []string{"style="}},
		// Only our files are rendered, and they go in through templ.Raw: raw HTML stays out anyway.
		{"raw HTML dropped", "text <script>alert(1)</script>\n\n<div style=\"x\">block</div>\n", []string{"<!-- raw HTML omitted -->"}, []string{"<script>", "<div", "style="}},
		{"code fences keep their language", "```sh\ncurl -s\n```\n", []string{`<pre><code class="language-sh">curl -s`}, nil},
		{"links made from bare URLs", "see https://example.com/x\n", []string{`<a href="https://example.com/x">https://example.com/x</a>`}, nil},
		{"strikethrough and task lists", "~~old~~\n\n- [x] done\n", []string{"<del>old</del>", `<input checked="" disabled="" type="checkbox"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Markdown(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %s in\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("has %s in\n%s", n, got)
				}
			}
		})
	}
}

func TestInline(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"one paragraph loses its p", "  A `code` word.\n", "A <code>code</code> word."},
		{"two paragraphs keep theirs", "One.\n\nTwo.", "<p>One.</p>\n<p>Two.</p>"},
		{"a list stays a list", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Inline(tt.src); got != tt.want {
				t.Errorf("Inline(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}
