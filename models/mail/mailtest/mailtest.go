// Package mailtest runs a real SMTP server in-process for tests (github.com/emersion/go-smtp as
// the receiving side), so the whole path (outbox, worker, go-mail, SMTP) is exercised and tests
// read what was actually delivered.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one delivered message, decoded.
type Mail struct {
	From, To, Subject string
	Text, HTML        string
	Raw               []byte
}

// Server is an SMTP server on a loopback port that keeps what it receives.
type Server struct {
	Addr string // host:port
	// User and Password, when set, are required (AUTH PLAIN).
	User, Password string
	// Roots trusts the server's self-signed certificate, for the sender's STARTTLS.
	Roots *x509.CertPool

	fail error // while set, every message is refused with it

	mu    sync.Mutex
	mails []Mail
}

// Start runs a server until the test ends.
func Start(t testing.TB, user, password string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), User: user, Password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	cert, pool := selfSigned(t)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} // offers STARTTLS
	s.Roots = pool
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the DEVPORTAL_SMTP_URL of the server.
func (s *Server) URL() string {
	if s.User != "" {
		return "smtp://" + s.User + ":" + s.Password + "@" + s.Addr
	}
	return "smtp://" + s.Addr
}

// SetFailing makes the server refuse mail (a temporary 451) until called with false.
func (s *Server) SetFailing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.fail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	} else {
		s.fail = nil
	}
}

// Mails returns what was delivered so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// To returns the mails delivered to addr.
func (s *Server) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

type session struct {
	s        *Server
	authed   bool
	from, to string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return errors.New("bad credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	fail := x.s.fail
	x.s.mu.Unlock()
	if fail != nil {
		return fail
	}
	m := Mail{From: x.from, To: x.to, Raw: raw}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		dec := new(mime.WordDecoder)
		m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
		m.Text, m.HTML = parts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }

// parts finds the text and HTML bodies of a (possibly multipart) message.
func parts(contentType, encoding string, body io.Reader) (text, html string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return text, html
			}
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			text, html = text+t, html+h
		}
	}
	b := decode(encoding, body)
	if mt == "text/html" {
		return "", b
	}
	return b, ""
}
