package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// docCommands is the command lines of the ```sh blocks in docs/deployment.md's section heading,
// exactly as an operator would paste them.
func docCommands(t *testing.T, heading string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "docs", "deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("docs/deployment.md has no heading %q", heading)
	}
	text = text[i+len(heading)+2:]
	if j := strings.Index(text, "\n#"); j >= 0 {
		text = text[:j]
	}
	var lines []string
	for _, block := range strings.Split(text, "```sh\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		t.Fatalf("no ```sh commands under %q", heading)
	}
	return lines
}

// shellWords splits a command line as sh would for the lines the doc uses: words separated by
// spaces, double quotes grouping, $NAME expanded from vars.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range line + " " {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, os.Expand(w.String(), func(k string) string {
					v, ok := vars[k]
					if !ok {
						t.Fatalf("%q uses $%s, which the drill does not set", line, k)
					}
					return v
				}))
			}
			w.Reset()
			inWord = false
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	return words
}

// drill runs the doc's commands in order in the current directory: devportal commands through
// run (serve in the background, returned), others as processes.
func (c *cli) drill(lines []string, vars map[string]string) (restored *server) {
	c.t.Helper()
	for _, line := range lines {
		words := shellWords(c.t, line, vars)
		env := map[string]string{}
		for k, v := range c.env {
			env[k] = v
		}
		for len(words) > 0 && strings.Contains(words[0], "=") && strings.HasPrefix(words[0], "DEVPORTAL_") {
			k, v, _ := strings.Cut(words[0], "=")
			env[k], words = v, words[1:]
		}
		switch {
		case words[0] == "devportal" && len(words) > 1 && words[1] == "serve":
			if restored != nil {
				c.t.Fatalf("%q: a second serve", line)
			}
			restored = (&cli{t: c.t, env: env}).mustServe(words[2:]...)
		case words[0] == "devportal":
			if out, err := (&cli{t: c.t, env: env}).run("", words[1:]...); err != nil {
				c.t.Fatalf("%s: %v\n%s", line, err, out)
			}
		default:
			cmd := exec.Command(words[0], words[1:]...)
			if out, err := cmd.CombinedOutput(); err != nil {
				c.t.Fatalf("%s: %v\n%s", line, err, out)
			}
		}
	}
	if restored == nil {
		c.t.Fatal("the doc's commands never start a server on the restored database")
	}
	return restored
}

type machineClient struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func (c *cli) mustMachineClient() machineClient {
	c.t.Helper()
	out, err := c.run("", "clients", "create", "--name", "Drill", "--type", "machine", "--scope", "INVOICE.READ")
	if err != nil {
		c.t.Fatalf("clients create: %v\n%s", err, out)
	}
	var mc machineClient
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &mc); err != nil {
		c.t.Fatalf("clients create output %q: %v", out, err)
	}
	return mc
}

// post sends a form to srv as the client and decodes the JSON answer.
func (mc machineClient) post(t *testing.T, srv *server, path string, form url.Values) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+srv.addr+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(mc.ClientID), url.QueryEscape(mc.ClientSecret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v %v", path, res.StatusCode, body, err)
	}
	return body
}

func (mc machineClient) mustToken(t *testing.T, srv *server) string {
	t.Helper()
	tok, _ := mc.post(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}})["access_token"].(string)
	if tok == "" {
		t.Fatal("no access_token")
	}
	return tok
}

// restoreDrill is docs/deployment.md's restore drill on c's database: a live server, a
// machine client and its token, the doc's backup and restore commands (lines) run while the
// server serves, then on the restored server the client still gets tokens and the old token is active.
func restoreDrill(t *testing.T, c *cli, lines []string, vars map[string]string) {
	mc := c.mustMachineClient()
	live := c.mustServe()
	old := mc.mustToken(t, live)

	restored := c.drill(lines, vars)
	if restored.addr == live.addr {
		t.Fatal("the restored server is the live one")
	}
	mc.mustToken(t, restored)
	if got := mc.post(t, restored, "/oauth/introspect", url.Values{"token": {old}}); got["active"] != true {
		t.Errorf("the token issued before the backup introspects %v on the restored server", got)
	}
	if got := mc.post(t, live, "/oauth/introspect", url.Values{"token": {old}}); got["active"] != true {
		t.Errorf("the live server stopped knowing its token after the backup: %v", got)
	}
}

// Issue 12 (docs/deployment.md, backups): the SQLite backup and restore commands the doc shows
// work on a live server, and the restored database carries its clients and tokens.
func TestBackupRestoreDrillSQLite(t *testing.T) {
	lines := docCommands(t, "### SQLite")
	t.Chdir(t.TempDir()) // the doc's relative file names
	c := newCLI(t)
	restoreDrill(t, c, lines, map[string]string{})
}

// Issue 12 (docs/deployment.md, backups): pg_dump of a live server and pg_restore into a new
// database, as the doc shows them; the restored database carries its clients and tokens.
func TestBackupRestoreDrillPostgres(t *testing.T) {
	base := storetest.PostgresURL(t)
	lines := docCommands(t, "### PostgreSQL")
	t.Chdir(t.TempDir())
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := admin.DB()
	t.Cleanup(func() { sqlDB.Close() })
	dbURL := func(name string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	id := strings.ToLower(models.NewID(6))
	live, restore := "drill_live_"+id, "drill_restore_"+id
	if err := admin.Exec("CREATE DATABASE " + live).Error; err != nil {
		t.Fatal(err)
	}
	// Registered before any server starts, so it runs after they have stopped.
	t.Cleanup(func() {
		for _, db := range []string{live, restore} {
			admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)")
		}
	})
	c := newCLI(t)
	c.env["DEVPORTAL_DATABASE_URL"] = dbURL(live)
	restoreDrill(t, c, lines, map[string]string{
		"DATABASE_URL": dbURL(live), "RESTORE_DB": restore, "RESTORE_URL": dbURL(restore),
	})
}
