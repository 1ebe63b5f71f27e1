package handlers

import (
	"context"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	mailtmpl "github.com/devportal/devportal/templates/mail"
)

// sendMail queues v to the address to, in tx when not nil (so the mail goes only if what it
// tells of is committed). A full queue is models.ErrBusy, which answers 503.
func (h *Handlers) sendMail(ctx context.Context, tx *models.Store, to string, v mailtmpl.LinkView) error {
	html, err := v.HTML(ctx)
	if err != nil {
		return err
	}
	return h.mail.Enqueue(ctx, tx, mail.Message{To: to, Subject: v.Subject, Text: v.Text(), HTML: html})
}

// absURL is the absolute URL of a path on this portal: every link in a mail starts at the issuer.
func (h *Handlers) absURL(path string) string { return h.issuer + path }
