// Package mail sends devportal's mail: a durable, bounded outbox in the database, a worker that
// delivers it with retries, and the senders (SMTP through go-mail, or the server log when no SMTP
// server is configured).
package mail

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/devportal/devportal/models"
)

// Message is one mail: a recipient, a subject, and text and HTML bodies of the same content.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Sender delivers a message now.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through an SMTP server with go-mail.
type SMTP struct {
	client *gomail.Client
	from   string
}

// NewSMTP configures a sender from DEVPORTAL_SMTP_URL: smtp://user:pass@host:port upgrades to
// TLS with STARTTLS when the server offers it (port 587 by default), smtps:// speaks TLS from the
// start (465). roots, for tests, replaces the system's trusted certificates. User and password, when given, authenticate with the best mechanism the server
// offers.
func NewSMTP(rawURL, from string, roots ...*x509.CertPool) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("DEVPORTAL_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465 (%v)", err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("DEVPORTAL_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
	}
	opts := []gomail.Option{gomail.WithTimeout(20 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("DEVPORTAL_SMTP_URL: scheme %q is neither smtp nor smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("DEVPORTAL_SMTP_URL: port %q is not a number", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if len(roots) > 0 && roots[0] != nil { // tests: a server with its own certificate
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: u.Hostname(), RootCAs: roots[0], MinVersion: tls.VersionTLS12}))
	}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	if from == "" {
		return nil, errors.New("DEVPORTAL_MAIL_FROM is required with DEVPORTAL_SMTP_URL")
	}
	if _, err := gomailAddress(from); err != nil {
		return nil, fmt.Errorf("DEVPORTAL_MAIL_FROM: %w", err)
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, err
	}
	return &SMTP{client: c, from: from}, nil
}

func gomailAddress(addr string) (string, error) {
	m := gomail.NewMsg()
	if err := m.From(addr); err != nil {
		return "", err
	}
	return addr, nil
}

// Send delivers m with a text part and an HTML alternative.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return err
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return s.client.DialAndSendWithContext(ctx, msg)
}

// Log writes each mail to the server log instead of sending it, so a portal without an SMTP
// server still works on a laptop: the person reads the link there. Never use it in production:
// the links it logs are credentials. A nil Logger is slog's default at the time of sending.
type Log struct{ Logger *slog.Logger }

// Send logs m's recipient, subject and text (which holds any link).
func (l Log) Send(_ context.Context, m Message) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("MAIL NOT SENT (no DEVPORTAL_SMTP_URL): written here instead", "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}

// DefaultQueueLimit bounds how many mails may wait at once.
const DefaultQueueLimit = 10000

// Outbox queues mail in the database, sealed.
type Outbox struct {
	store *models.Store
	aead  cipher.AEAD
	limit int
	now   func() time.Time
	wake  chan struct{}
}

// NewOutbox returns the outbox of store; key (32 bytes, derived from the server secret) seals
// each message, since mails carry single-use links.
func NewOutbox(store *models.Store, key []byte, limit int) (*Outbox, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	return &Outbox{store: store, aead: aead, limit: limit, now: func() time.Time { return time.Now().UTC() }, wake: make(chan struct{}, 1)}, nil
}

// Enqueue queues m; models.ErrBusy when the queue is full. tx, when not nil, is the transaction
// the mail belongs to (it is sent only if that commits).
func (o *Outbox) Enqueue(ctx context.Context, tx *models.Store, m Message) error {
	plain, err := json.Marshal(m)
	if err != nil {
		return err
	}
	nonce := make([]byte, o.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	store := o.store
	if tx != nil {
		store = tx
	}
	if err := store.EnqueueMail(ctx, o.aead.Seal(nonce, nonce, plain, nil), o.now(), o.limit); err != nil {
		return err
	}
	select { // a worker in this process sends it at once; others find it on their next pass
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

func (o *Outbox) open(e *models.OutboxEntry) (Message, error) {
	var m Message
	n := o.aead.NonceSize()
	if len(e.Payload) < n {
		return m, errors.New("sealed mail is truncated")
	}
	plain, err := o.aead.Open(nil, e.Payload[:n], e.Payload[n:], nil)
	if err != nil {
		return m, fmt.Errorf("mail %d cannot be opened: is DEVPORTAL_SECRET the one it was queued under? %w", e.ID, err)
	}
	return m, json.Unmarshal(plain, &m)
}

// Worker delivers the outbox with a Sender, retrying with backoff.
type Worker struct {
	Outbox *Outbox
	Sender Sender
	Logger *slog.Logger
	// Every is how often the worker looks for due mail besides being woken by Enqueue.
	Every time.Duration
	// MaxAttempts is how often a mail is tried before it is given up (and counted as failed).
	MaxAttempts int

	sent, failed, retried atomic.Int64
}

// Stats are the worker's counters since it started.
type Stats struct{ Sent, Retried, Failed int64 }

// Stats returns the counters.
func (w *Worker) Stats() Stats {
	return Stats{Sent: w.sent.Load(), Retried: w.retried.Load(), Failed: w.failed.Load()}
}

// lease is how long a claimed mail is this worker's before another may try it.
const lease = 2 * time.Minute

// backoff is the wait before attempt n+1: 30 s, doubling, at most an hour.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second << min(attempts-1, 7)
	return min(d, time.Hour)
}

// Run delivers mail until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Flush(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("mail: reading the outbox failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.Outbox.wake:
		}
	}
}

// Flush tries every mail that is due now, once; shutdown calls it after the last request.
func (w *Worker) Flush(ctx context.Context) error {
	maxAttempts := w.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 8
	}
	o := w.Outbox
	for {
		due, err := o.store.DueMail(ctx, o.now(), 50)
		if err != nil || len(due) == 0 {
			return err
		}
		progressed := false
		for i := range due {
			e := &due[i]
			ok, err := o.store.ClaimMail(ctx, e, o.now().Add(lease))
			if err != nil {
				return err
			}
			if !ok {
				continue // another instance has it
			}
			progressed = true
			w.deliver(ctx, e, maxAttempts)
		}
		if !progressed {
			return nil
		}
	}
}

func (w *Worker) deliver(ctx context.Context, e *models.OutboxEntry, maxAttempts int) {
	o := w.Outbox
	m, err := o.open(e)
	unreadable := err != nil // no retry can mend it
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = w.Sender.Send(sendCtx, m)
		cancel()
	}
	now := o.now()
	if err == nil {
		if err := o.store.MailSent(ctx, e.ID); err != nil {
			w.Logger.Error("mail: sent, but not removed from the outbox", "id", e.ID, "err", err)
		}
		w.sent.Add(1)
		return
	}
	attempts := e.Attempts + 1
	next := time.Time{}
	if attempts < maxAttempts && !unreadable {
		next = now.Add(backoff(attempts))
		w.retried.Add(1)
	} else {
		w.failed.Add(1)
	}
	w.Logger.Error("mail: sending failed", "id", e.ID, "attempt", attempts, "gave_up", next.IsZero(), "err", err)
	if err := o.store.MailFailed(ctx, e.ID, next, err.Error(), now); err != nil {
		w.Logger.Error("mail: recording the failure failed", "id", e.ID, "err", err)
	}
}
