package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

// cli runs the command line as main does, with the environment given, in a fresh database.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{
		"DEVPORTAL_DATABASE_URL": filepath.Join(t.TempDir(), "devportal.db"),
		"DEVPORTAL_SECRET":       strings.Repeat("s", 32),
	}}
}

func (c *cli) run(stdin string, args ...string) (string, error) {
	c.t.Helper()
	return c.runCtx(context.Background(), stdin, args...)
}

func (c *cli) runCtx(ctx context.Context, stdin string, args ...string) (string, error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

// mustAuthenticate checks that email signs in with password.
func (c *cli) mustAuthenticate(email, password string) *models.User {
	c.t.Helper()
	s, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		c.t.Fatal(err)
	}
	defer s.Close()
	u, err := s.Authenticate(context.Background(), email, password)
	if err != nil {
		c.t.Fatalf("log in as %s with %q: %v", email, password, err)
	}
	return u
}

// Issue #8 finding 14: `users create --password-stdin` reads the password from the first line of
// standard input, so it never has to sit in the shell history or the process list; --password
// still works, and giving both or neither is a clear error.
func TestUsersCreatePassword(t *testing.T) {
	const pass = "a long enough pass phrase"
	for _, tc := range []struct {
		name     string
		stdin    string
		args     []string
		password string // "" : the command must fail
		errHas   string
	}{
		{"stdin, newline stripped", pass + "\n", []string{"--password-stdin"}, pass, ""},
		{"stdin, CRLF stripped", pass + "\r\n", []string{"--password-stdin"}, pass, ""},
		{"stdin without a final newline", pass, []string{"--password-stdin"}, pass, ""},
		{"stdin, only the first line", pass + "\nsomething else\n", []string{"--password-stdin"}, pass, ""},
		{"stdin keeps spaces inside and around", "  " + pass + " \n", []string{"--password-stdin"}, "  " + pass + " ", ""},
		{"--password still works", "", []string{"--password", pass}, pass, ""},
		{"both", pass + "\n", []string{"--password-stdin", "--password", pass}, "", "not both"},
		{"neither", pass + "\n", nil, "", "--password-stdin"},
		{"empty stdin", "", []string{"--password-stdin"}, "", "standard input is empty"},
		{"empty first line", "\n" + pass + "\n", []string{"--password-stdin"}, "", "first line of standard input is empty"},
		{"too short", "short\n", []string{"--password-stdin"}, "", "at least 12 characters"},
		{"a line longer than any password", strings.Repeat("p", 70000) + "\n", []string{"--password-stdin"}, "", "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			out, err := c.run(tc.stdin, append([]string{"users", "create", "--email", "new@example.com"}, tc.args...)...)
			if tc.password == "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one mentioning %q (output %q)", err, tc.errHas, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("users create: %v\n%s", err, out)
			}
			if !strings.Contains(out, "created user new@example.com") {
				t.Errorf("output %q", out)
			}
			c.mustAuthenticate("new@example.com", tc.password)
		})
	}
}

// Issue #8 finding 14: the first-run hint uses --password-stdin, and its command creates an
// admin who can log in with the password piped to it.
func TestFirstAdminHint(t *testing.T) {
	hint := firstAdminHint("https://auth.example.test", web.DefaultDatabaseURL)
	if !strings.Contains(hint, "https://auth.example.test/login") || strings.Contains(hint, "--password ") {
		t.Fatalf("hint %q", hint)
	}
	// The part the shell hands to devportal: after "go run ./cmd/devportal", up to the next ";".
	_, cmd, ok := strings.Cut(hint, `| go run ./cmd/devportal `)
	if !ok || !strings.Contains(hint, `printf '%s\n' "$pw" |`) {
		t.Fatalf("hint does not pipe the password into go run ./cmd/devportal: %q", hint)
	}
	cmd, _, _ = strings.Cut(cmd, ";")
	args := strings.Fields(cmd)
	if !strings.Contains(cmd, "--password-stdin") {
		t.Fatalf("hint command %q does not use --password-stdin", cmd)
	}
	c := newCLI(t)
	const pass = "choose a long passphrase"
	if out, err := c.run(pass+"\n", args...); err != nil {
		t.Fatalf("the hint's command %q: %v\n%s", args, err, out)
	}
	if u := c.mustAuthenticate("admin@example.com", pass); !u.IsAdmin {
		t.Fatal("the hint's command did not make an admin")
	}
}
