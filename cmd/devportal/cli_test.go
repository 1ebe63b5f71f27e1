package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// Issue 12, the command line: asking for help is a success (it used to exit 1, so scripts and
// packagers checking `devportal --help` failed), prints to stdout, and names what exists.
func TestHelpExitsZero(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "keys rotate"},
		{[]string{"-h"}, "Commands:"},
		{[]string{"help"}, "version"},
		{[]string{"serve", "--help"}, "-addr"},
		{[]string{"migrate", "-h"}, "Usage of migrate"},
		{[]string{"users", "--help"}, "users create"},
		{[]string{"users", "create", "--help"}, "-password-stdin"},
		{[]string{"clients", "create", "--help"}, "-scope"},
		{[]string{"keys", "rotate", "--help"}, "Usage of keys rotate"},
		{[]string{"version", "--help"}, "Usage of version"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := newCLI(t).run("", tc.args...)
			if err != nil {
				t.Fatalf("exit non-zero: %v\n%s", err, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("output %q does not mention %q", out, tc.want)
			}
		})
	}
	if _, err := newCLI(t).run("", "frobnicate"); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

// Issue 12, the command line: `devportal version` prints the version set at build time
// (-ldflags "-X main.version=…"), and the server shows the same version in the page footer.
func TestVersionInCommandAndFooter(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.8.7-test"
	c := newCLI(t)
	out, err := c.run("", "version")
	if err != nil || strings.TrimSpace(out) != "devportal v9.8.7-test" {
		t.Fatalf("version: %q %v", out, err)
	}
	srv := c.mustServe()
	resp, err := http.Get("http://" + srv.addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "devportal v9.8.7-test") {
		t.Fatalf("the login page's footer does not show the version:\n%s", body)
	}
}

// Issue 12, the command line: the banner names the address the server really listens on (here
// a port the kernel chose) and the issuer, warns when a loopback issuer names another port (the
// links would lead nowhere), and the first-admin hint creates the admin in the database this
// server uses, not in the default one.
func TestServeBanner(t *testing.T) {
	c := newCLI(t)
	c.env["DEVPORTAL_ISSUER"] = "http://localhost:9"
	srv := c.mustServe()
	_, port, _ := strings.Cut(srv.addr, ":")
	if port == "" || port == "0" {
		t.Fatalf("banner names %q, not the port listened on", srv.addr)
	}
	// The banner ends with the mail notice (no DEVPORTAL_SMTP_URL in tests).
	var banner []string
	for line := ""; !strings.Contains(line, "No DEVPORTAL_SMTP_URL"); {
		line = srv.mustLine(t, "")
		banner = append(banner, line)
	}
	text := strings.Join(banner, "\n")
	if !strings.Contains(text, "WARNING: the issuer http://localhost:9 is on port 9 of this machine but the server listens on port "+port) {
		t.Errorf("no warning that the issuer's port differs:\n%s", text)
	}
	if want := "DEVPORTAL_DATABASE_URL=" + shellQuote(c.env["DEVPORTAL_DATABASE_URL"]) + " go run ./cmd/devportal users create"; !strings.Contains(text, want) {
		t.Errorf("the first-admin command does not carry %s:\n%s", want, text)
	}

	// The same port: no warning (checked directly, the banner is printed once per start).
	if w := issuerMismatch("http://127.0.0.1:"+port, mustTCPAddr(t, srv.addr)); w != "" {
		t.Fatalf("warning with matching ports: %q", w)
	}
	if w := issuerMismatch("https://auth.example.com", mustTCPAddr(t, srv.addr)); w != "" {
		t.Fatalf("warning for an issuer behind a proxy: %q", w)
	}
}

// The database setting in the hint reaches devportal intact through sh, and a password in it
// is not printed.
func TestFirstAdminHintDatabaseURL(t *testing.T) {
	path := t.TempDir() + "/it's here.db"
	hint := firstAdminHint("http://localhost:8080", path)
	_, assign, _ := strings.Cut(hint, "DEVPORTAL_DATABASE_URL=")
	assign, _, _ = strings.Cut(assign, " go run")
	got, err := exec.Command("sh", "-c", "printf %s "+assign).Output()
	if err != nil || string(got) != path {
		t.Fatalf("sh reads %q as %q (%v), want %q", assign, got, err, path)
	}
	hint = firstAdminHint("http://localhost:8080", "postgres://devportal:hunter2hunter2@db:5432/devportal")
	if strings.Contains(hint, "hunter2") || !strings.Contains(hint, "postgres://devportal:xxxxx@db:5432/devportal") {
		t.Fatalf("hint %q", hint)
	}
}
