package mail

import (
	"context"
	"strings"
)

// LinkView is the content of a mail built around one link (or none: a notice).
type LinkView struct {
	Subject    string
	Heading    string
	Paragraphs []string
	Link       string // "" for a notice without a link
	Button     string // the link's label
	Footer     string // e.g. "If you did not ask for this, ignore this mail."
	// Brand is the product name the mail opens with (DEVPORTAL_BRAND_NAME) and Accent the
	// button's colour (DEVPORTAL_BRAND_COLOR); empty: devportal's own.
	Brand, Accent string
}

func (v LinkView) brand() string {
	if v.Brand == "" {
		return "devportal"
	}
	return v.Brand
}

// buttonStyle is the link button's inline style (mail clients ignore stylesheets).
func (v LinkView) buttonStyle() string {
	accent := v.Accent
	if accent == "" {
		accent = "#0969da"
	}
	return "background: " + accent + "; color: #ffffff; padding: 10px 16px; border-radius: 6px; text-decoration: none; display: inline-block;"
}

// Text is the plain-text part of the same mail.
func (v LinkView) Text() string {
	var b strings.Builder
	b.WriteString(v.Heading + "\n\n")
	for _, p := range v.Paragraphs {
		b.WriteString(p + "\n\n")
	}
	if v.Link != "" {
		b.WriteString(v.Button + ": " + v.Link + "\n\n")
	}
	if v.Footer != "" {
		b.WriteString("-- \n" + v.Footer + "\n")
	}
	return b.String()
}

// HTML renders the HTML part.
func (v LinkView) HTML(ctx context.Context) (string, error) {
	var b strings.Builder
	err := LinkMail(v).Render(ctx, &b)
	return b.String(), err
}
