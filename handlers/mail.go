package handlers

import (
	"context"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	mailtmpl "github.com/devportal/devportal/templates/mail"
)

// sendMail queues v to the address to, in tx when not nil (so the mail goes only if what it
// tells of is committed). A full queue is models.ErrBusy, which answers 503.
func (h *Handlers) sendMail(ctx context.Context, tx *models.Store, to string, v mailtmpl.LinkView) error {
	v.Brand, v.Accent = h.brand.Name, h.brand.Color
	if h.brand.Name != "devportal" {
		// The mails' words name the product ("your devportal account"); on a branded portal
		// they name the operator's. Links are left alone: a host may be spelled devportal.
		name := func(s string) string { return strings.ReplaceAll(s, "devportal", h.brand.Name) }
		v.Subject, v.Heading, v.Footer = name(v.Subject), name(v.Heading), name(v.Footer)
		v.Paragraphs = slices.Clone(v.Paragraphs)
		for i, p := range v.Paragraphs {
			v.Paragraphs[i] = name(p)
		}
	}
	html, err := v.HTML(ctx)
	if err != nil {
		return err
	}
	return h.mail.Enqueue(ctx, tx, mail.Message{To: to, Subject: v.Subject, Text: v.Text(), HTML: html})
}

// notifyAccount tells u by mail that something changed on their account's security (issue 11:
// every change is mailed), with a link to the security page. The change has happened already,
// so a full queue is logged rather than failing the request.
func (h *Handlers) notifyAccount(c echo.Context, u *models.User, subject, heading, what string) {
	v := mailtmpl.LinkView{
		Subject: subject, Heading: heading,
		Paragraphs: []string{what, "If this was not you, sign in and review your account's security now, and change your password."},
		Link:       h.absURL(h.url(RouteSecurity)), Button: "Review your account's security",
		Footer: "You receive this mail because it is about the security of your devportal account.",
	}
	h.logMailError(c, h.sendMail(c.Request().Context(), nil, u.Email, v))
}

// absURL is the absolute URL of a path on this portal: every link in a mail starts at the issuer.
func (h *Handlers) absURL(path string) string { return h.issuer + path }
