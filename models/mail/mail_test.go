package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/mail/mailtest"
	"github.com/devportal/devportal/models/storetest"
)

var key = bytes.Repeat([]byte{7}, 32)

func mustOutbox(t *testing.T, store *models.Store, limit int) *mail.Outbox {
	t.Helper()
	o, err := mail.NewOutbox(store, key, limit)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustSMTP(t *testing.T, srv *mailtest.Server) mail.Sender {
	t.Helper()
	s, err := mail.NewSMTP(srv.URL(), "devportal@example.test", srv.Roots)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Issue 11, Mail: a queued mail reaches a real SMTP server (with AUTH) with a text part and an
// HTML alternative; nothing of it stays in the database, and while queued its link is sealed.
func TestOutboxDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		srv := mailtest.Start(t, "mailer", "s3cret")
		o := mustOutbox(t, store, 0)
		link := "https://portal.example/verify?token=dpv_secret-link"
		if err := o.Enqueue(ctx, nil, mail.Message{To: "ada@example.test", Subject: "Verify your email", Text: "Open " + link, HTML: "<p><a href=\"" + link + "\">Verify</a></p>"}); err != nil {
			t.Fatal(err)
		}
		due, err := store.DueMail(ctx, time.Now().Add(time.Second), 10)
		if err != nil || len(due) != 1 || bytes.Contains(due[0].Payload, []byte("secret-link")) || bytes.Contains(due[0].Payload, []byte("ada@")) {
			t.Fatalf("queued row %v, %v: want one, sealed", due, err)
		}
		w := &mail.Worker{Outbox: o, Sender: mustSMTP(t, srv), Logger: quiet}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got := srv.To("ada@example.test")
		if len(got) != 1 || got[0].Subject != "Verify your email" || !strings.Contains(got[0].Text, link) || !strings.Contains(got[0].HTML, `href="`+link+`"`) || got[0].From != "devportal@example.test" {
			t.Fatalf("delivered %+v", got)
		}
		if waiting, failed, err := store.MailCounts(ctx); err != nil || waiting != 0 || failed != 0 || w.Stats().Sent != 1 {
			t.Fatalf("after sending: %d waiting, %d failed, %v, stats %+v", waiting, failed, err, w.Stats())
		}
	})
}

// A failing SMTP server delays mail, never loses it: the attempt is retried later, by any
// worker, even one started after a restart.
func TestOutboxRetriesAcrossRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		srv := mailtest.Start(t, "", "")
		srv.SetFailing(true)
		o := mustOutbox(t, store, 0)
		if err := o.Enqueue(ctx, nil, mail.Message{To: "bob@example.test", Subject: "Reset your password", Text: "link"}); err != nil {
			t.Fatal(err)
		}
		w := &mail.Worker{Outbox: o, Sender: mustSMTP(t, srv), Logger: quiet}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(srv.Mails()) != 0 || w.Stats().Retried != 1 {
			t.Fatalf("stats %+v, mails %d", w.Stats(), len(srv.Mails()))
		}
		if waiting, _, _ := store.MailCounts(ctx); waiting != 1 {
			t.Fatalf("%d waiting after a failed attempt, want 1", waiting)
		}
		// A new process (new outbox, new worker) after the backoff: delivered once.
		srv.SetFailing(false)
		later := mustOutbox(t, store, 0)
		mail.SetClock(later, func() time.Time { return time.Now().UTC().Add(time.Hour) })
		w2 := &mail.Worker{Outbox: later, Sender: mustSMTP(t, srv), Logger: quiet}
		if err := w2.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := srv.To("bob@example.test"); len(got) != 1 {
			t.Fatalf("delivered %d times after recovery, want once", len(got))
		}
	})
}

// After MaxAttempts a mail is given up and counted as failed, and no longer retried.
func TestOutboxGivesUp(t *testing.T) {
	store := storetest.SQLite(t)
	ctx := context.Background()
	o := mustOutbox(t, store, 0)
	if err := o.Enqueue(ctx, nil, mail.Message{To: "c@example.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	clock := time.Now().UTC()
	mail.SetClock(o, func() time.Time { return clock })
	w := &mail.Worker{Outbox: o, Sender: senderFunc(func(context.Context, mail.Message) error { return errors.New("connection refused") }), Logger: quiet, MaxAttempts: 3}
	for range 5 {
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(2 * time.Hour)
	}
	if s := w.Stats(); s.Retried != 2 || s.Failed != 1 {
		t.Fatalf("stats %+v, want 2 retries then given up", s)
	}
	if waiting, failed, _ := store.MailCounts(ctx); waiting != 0 || failed != 1 {
		t.Fatalf("%d waiting, %d failed", waiting, failed)
	}
}

// Two workers (two instances) flushing the same outbox at once send each mail once.
func TestOutboxSendsOnceAcrossWorkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		o := mustOutbox(t, store, 0)
		const n = 20
		for i := range n {
			if err := o.Enqueue(ctx, nil, mail.Message{To: "d@example.test", Subject: string(rune('a' + i)), Text: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		count := senderFunc(func(_ context.Context, m mail.Message) error {
			mu.Lock()
			seen[m.Subject]++
			mu.Unlock()
			return nil
		})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				w := &mail.Worker{Outbox: mustOutbox(t, store, 0), Sender: count, Logger: quiet}
				if err := w.Flush(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("%d distinct mails sent, want %d", len(seen), n)
		}
		for s, k := range seen {
			if k != 1 {
				t.Errorf("mail %q sent %d times", s, k)
			}
		}
	})
}

// The queue is bounded: when full, Enqueue refuses with ErrBusy instead of growing.
func TestOutboxIsBounded(t *testing.T) {
	store := storetest.SQLite(t)
	ctx := context.Background()
	o := mustOutbox(t, store, 2)
	for i := range 3 {
		err := o.Enqueue(ctx, nil, mail.Message{To: "e@example.test", Subject: "s", Text: "t"})
		if want := i == 2; errors.Is(err, models.ErrBusy) != want {
			t.Fatalf("mail %d: %v", i, err)
		}
	}
}

// Without DEVPORTAL_SMTP_URL the mail, link included, is written to the server log, marked.
func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	err := mail.Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}.Send(context.Background(), mail.Message{To: "f@example.test", Subject: "Reset your password", Text: "Open https://x/reset?t=1"})
	if err != nil || !strings.Contains(buf.String(), "MAIL NOT SENT") || !strings.Contains(buf.String(), "https://x/reset?t=1") || !strings.Contains(buf.String(), "f@example.test") {
		t.Fatalf("%v: %s", err, buf.String())
	}
}

// Bad SMTP configuration is refused at start with a message naming the variable.
func TestNewSMTPRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct{ url, from, want string }{
		{"http://mail.example", "a@example.test", "scheme"},
		{"smtp://", "a@example.test", "DEVPORTAL_SMTP_URL"},
		{"smtp://mail.example:x", "a@example.test", "port"},
		{"smtp://mail.example:99999999999", "a@example.test", "port"},
		{"smtp://mail.example", "", "DEVPORTAL_MAIL_FROM"},
		{"smtp://mail.example", "not an address", "DEVPORTAL_MAIL_FROM"},
	} {
		if _, err := mail.NewSMTP(tc.url, tc.from); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSMTP(%q, %q) = %v, want an error about %s", tc.url, tc.from, err, tc.want)
		}
	}
}

type senderFunc func(context.Context, mail.Message) error

func (f senderFunc) Send(ctx context.Context, m mail.Message) error { return f(ctx, m) }
