package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Issue 13, "The newcomer's path": the README's five-minute tour must run as written. The test
// reads README.md, starts `devportal serve` on a fresh SQLite database, and plays each numbered
// step. What a step tells a person to do in the browser, a person does here, by the labels and
// button names a reader sees. Every command of the step's ```sh blocks runs in sh, unchanged,
// from the repository root, with the real curl and the real `go run ./cmd/devportal`. Only two
// things are replaced, as a reader would replace them: http://localhost:8080 by the test
// server's address, and an `export NAME=…` value showing "…" by what the step before produced
// (the credentials on the application's page, the code in the redirect, the tokens in the last
// JSON answer, the machine client in the CLI's output). A placeholder the test cannot fill fails
// it, so the README cannot ask for something the reader does not have.
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("the tour runs `go run` and curl")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("DEVPORTAL_REQUIRE_CURL") != "" {
			t.Fatal("the README tour needs curl, and DEVPORTAL_REQUIRE_CURL is set")
		}
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	admin, steps := tourSections(t, string(readme))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := &tourRun{t: t, base: "http://" + addr, db: filepath.Join(t.TempDir(), "devportal.db"),
		vars: map[string]string{}, fill: map[string]string{}}
	c := &cli{t: t, env: map[string]string{"DEVPORTAL_DATABASE_URL": r.db, "DEVPORTAL_ISSUER": r.base}}
	c.mustServe("--addr", addr)

	// "Start the portal and create the admin as above": the README's own command, with the
	// password on standard input (stty complains without a terminal; the line goes on).
	r.shell(admin, "a pass phrase for the admin\n")
	dev := r.person()

	var want []string
	for n := 1; n <= 8; n++ {
		want = append(want, fmt.Sprint(n))
	}
	if got := slices.Sorted(mapKeys(steps)); !slices.Equal(got, want) {
		t.Fatalf("the tour's steps are %v; this test plays %v", got, want)
	}
	outputs := map[string][]string{}
	for _, n := range want {
		step := steps[n]
		switch n {
		case "1":
			dev.mustSubmit("/signup", "Create account", map[string]string{
				"Email": mustFind(t, step.text, "create a developer account, say `([^`]+)`"), "Password": "a pass phrase for the developer"})
		case "2":
			page := dev.mustSubmit("/apps/new", "Create application", map[string]string{
				"Name":            mustFind(t, step.text, `named "([^"]+)"`),
				"Web application": "",
				"Redirect URIs":   mustFind(t, step.text, "redirect URI `([^`]+)`"),
				mustFind(t, step.text, "scope `([^`]+)`"): ""})
			r.fill["CLIENT_ID"] = strings.TrimSpace(page.Find("code#client-id").Text())
			r.fill["CLIENT_SECRET"] = strings.TrimSpace(page.Find("code#client-secret").Text())
			if r.fill["CLIENT_ID"] == "" || r.fill["CLIENT_SECRET"] == "" {
				t.Fatalf("step 2: the application's page at %s shows no client id or secret", dev.at)
			}
			if again := dev.mustGet(dev.at); again.Find("code#client-secret").Length() != 0 {
				t.Errorf("step 2 says a reload does not show the secret again; it does")
			}
		case "8":
			dev.mustGet("/account/apps")
			dev.mustSubmitHere("Revoke access", nil) // the row's button opens the confirmation
			dev.mustSubmitHere("Revoke access", nil)
		}
		for i, block := range step.blocks {
			outputs[n] = append(outputs[n], r.block(n, block)...)
			if n == "3" && i == 0 {
				// "Open that URL, log in if asked, and press Allow."
				r.fill["CODE"] = dev.mustAllow(strings.TrimSpace(outputs[n][0]))
			}
		}
	}

	check := func(step string, i int, want string) {
		t.Helper()
		if len(outputs[step]) <= i || !strings.Contains(outputs[step][i], want) {
			t.Errorf("step %s, command %d: the README promises %s; it printed %q", step, i+1, want, at(outputs[step], i))
		}
	}
	check("4", 0, `"refresh_token"`)
	check("4", 1, `"data"`) // the API, as the user
	check("5", 0, `"refresh_token"`)
	check("6", 1, `"access_token"`)
	check("6", 2, `"data"`) // the API, as the machine client's owner
	check("7", 0, `"token_endpoint"`)
	check("8", 0, `"error_code":"INVALID_TOKEN"`)
	check("8", 1, `"error":"invalid_grant"`)
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mustFind(t *testing.T, text, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the README's tour no longer says %s", pattern)
	}
	return m[1]
}

// tourStep is one numbered step of the tour: its prose and its sh blocks.
type tourStep struct {
	text   string
	blocks []string
}

// tourSections returns the first-admin command of "The two commands" and the tour's steps.
func tourSections(t *testing.T, readme string) (admin string, steps map[string]tourStep) {
	t.Helper()
	two := section(t, readme, "## The two commands")
	for _, b := range shBlocks(two) {
		if strings.Contains(b, "users create") && strings.Contains(b, "--admin") {
			admin = b
		}
	}
	if admin == "" {
		t.Fatal("the README no longer shows the command that creates the first admin")
	}
	steps = map[string]tourStep{}
	item := regexp.MustCompile(`(?m)^(\d+)\. `)
	tour := section(t, readme, "## A five-minute tour")
	idx := item.FindAllStringSubmatchIndex(tour, -1)
	for i, m := range idx {
		end := len(tour)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		text := tour[m[0]:end]
		steps[tour[m[2]:m[3]]] = tourStep{text: text, blocks: shBlocks(text)}
	}
	return admin, steps
}

// section is the README from heading to the next heading of the same level.
func section(t *testing.T, md, heading string) string {
	t.Helper()
	i := strings.Index(md, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("the README has no %q", heading)
	}
	rest := md[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// shBlocks are the bodies of the ```sh fences in md, unindented.
func shBlocks(md string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case !in && trim == "```sh":
			in, cur = true, nil
		case in && trim == "```":
			in = false
			out = append(out, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, trim)
		}
	}
	return out
}

// tourRun is the reader's terminal: the variables exported so far and what they can paste.
type tourRun struct {
	t    *testing.T
	base string // the test server, standing for http://localhost:8080
	db   string
	vars map[string]string // exported so far
	fill map[string]string // what the reader has at hand to paste for "…"
}

var exportLine = regexp.MustCompile(`^export\s+(.*)$`)

// block runs the commands of one sh block in order and returns what each command printed
// (exports print nothing and are not listed).
func (r *tourRun) block(step, body string) []string {
	r.t.Helper()
	var outs []string
	for _, cmd := range commands(body) {
		if m := exportLine.FindStringSubmatch(cmd); m != nil {
			for _, pair := range strings.Fields(m[1]) {
				name, value, ok := strings.Cut(pair, "=")
				if !ok || !strings.Contains(value, "…") {
					r.t.Fatalf("step %s: %q: the tour's exports show a placeholder to paste", step, cmd)
				}
				v, ok := r.fill[name]
				if !ok || v == "" {
					r.t.Fatalf("step %s: %q: the reader has nothing to paste for %s here", step, cmd, name)
				}
				if prefix, _, _ := strings.Cut(value, "…"); !strings.HasPrefix(v, prefix) {
					r.t.Fatalf("step %s: %s=%s, but what the reader has is %q", step, name, value, v)
				}
				r.vars[name] = v
			}
			continue
		}
		out := r.shell(cmd, "")
		outs = append(outs, out)
		var answer map[string]any
		if json.Unmarshal([]byte(out), &answer) == nil {
			for field, name := range map[string][]string{
				"access_token": {"ACCESS_TOKEN", "MACHINE_TOKEN"}, "refresh_token": {"REFRESH_TOKEN"},
				"client_id": {"MACHINE_ID"}, "client_secret": {"MACHINE_SECRET"},
			} {
				if s, _ := answer[field].(string); s != "" {
					for _, n := range name {
						r.fill[n] = s
					}
				}
			}
		}
	}
	return outs
}

// commands splits a block into commands, joining lines continued with a backslash.
func commands(body string) []string {
	var out []string
	cur := ""
	for _, line := range strings.Split(body, "\n") {
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		if strings.TrimSpace(cur) != "" {
			out = append(out, cur)
		}
		cur = ""
	}
	return out
}

// shell runs one command line as the reader's shell would, in the repository root, with the
// database the server uses and the variables exported so far.
func (r *tourRun) shell(cmd, stdin string) string {
	r.t.Helper()
	cmd = strings.ReplaceAll(cmd, "http://localhost:8080", r.base)
	c := exec.Command("sh", "-c", cmd)
	c.Dir = "../.."
	c.Env = append(os.Environ(), "DEVPORTAL_DATABASE_URL="+r.db)
	for k, v := range r.vars {
		c.Env = append(c.Env, k+"="+v)
	}
	c.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		r.t.Fatalf("%s\nfailed: %v\n%s%s", cmd, err, out, stderr.String())
	}
	return string(out)
}

// person is someone in a browser: cookies, the page they are on, forms by button name.
type person struct {
	t    *testing.T
	base string
	http *http.Client
	at   string // the URL of the page shown
	page *goquery.Document
}

func (r *tourRun) person() *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: r.t, base: r.base, http: &http.Client{Jar: jar}}
}

func (p *person) load(resp *http.Response, err error) *goquery.Document {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		p.t.Fatalf("%s %s: %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		p.t.Fatal(err)
	}
	p.at, p.page = resp.Request.URL.String(), doc
	return doc
}

func (p *person) mustGet(path string) *goquery.Document {
	p.t.Helper()
	u, _ := url.Parse(p.base)
	return p.load(p.http.Get(u.ResolveReference(mustURL(p.t, path)).String()))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustSubmit opens path and presses the button named button, after filling fields (by label
// text; "" ticks a checkbox or chooses a radio).
func (p *person) mustSubmit(path, button string, fields map[string]string) *goquery.Document {
	p.t.Helper()
	p.mustGet(path)
	return p.mustSubmitHere(button, fields)
}

// mustSubmitHere presses button on the page shown.
func (p *person) mustSubmitHere(button string, fields map[string]string) *goquery.Document {
	p.t.Helper()
	req := p.request(button, fields)
	return p.load(p.http.Do(req))
}

func (p *person) request(button string, fields map[string]string) *http.Request {
	p.t.Helper()
	btn := p.page.Find("button").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return norm(s.Text()) == button
	}).First()
	if btn.Length() == 0 {
		p.t.Fatalf("%s has no button %q", p.at, button)
	}
	form := btn.Closest("form")
	values := url.Values{}
	form.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		switch {
		case name == "":
		case goquery.NodeName(s) == "textarea":
			values.Add(name, s.Text())
		case goquery.NodeName(s) == "select":
			values.Add(name, s.Find("option[selected]").AttrOr("value", s.Find("option").First().AttrOr("value", "")))
		case typ == "checkbox" || typ == "radio":
			if _, on := s.Attr("checked"); on {
				values.Add(name, s.AttrOr("value", "on"))
			}
		case typ == "submit":
		default:
			values.Add(name, s.AttrOr("value", ""))
		}
	})
	for label, value := range fields {
		l := p.page.Find("label").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return norm(s.Text()) == label || strings.HasPrefix(norm(s.Text()), label+" ")
		}).First()
		id, ok := l.Attr("for")
		if !ok {
			p.t.Fatalf("%s has no field labelled %q", p.at, label)
		}
		in := form.Find(`[id="` + id + `"]`)
		name, typ := in.AttrOr("name", ""), in.AttrOr("type", "")
		switch typ {
		case "radio":
			values.Set(name, in.AttrOr("value", ""))
		case "checkbox":
			values.Add(name, in.AttrOr("value", "on"))
		default:
			values.Set(name, value)
		}
	}
	if name, ok := btn.Attr("name"); ok {
		values.Set(name, btn.AttrOr("value", ""))
	}
	action := mustURL(p.t, p.at).ResolveReference(mustURL(p.t, form.AttrOr("action", p.at)))
	if strings.EqualFold(form.AttrOr("method", "get"), "post") {
		req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.base)
		return req
	}
	action.RawQuery = values.Encode()
	req, _ := http.NewRequest(http.MethodGet, action.String(), nil)
	return req
}

// mustAllow opens an authorization URL, presses Allow, and returns the code the browser is
// sent back to the application with (the redirect is not followed: nothing listens there).
func (p *person) mustAllow(target string) string {
	p.t.Helper()
	u, err := url.Parse(target)
	if err != nil || !strings.HasPrefix(target, p.base+"/") {
		p.t.Fatalf("step 3 printed %q, not an authorization URL of the portal", target)
	}
	p.load(p.http.Get(u.String()))
	req := p.request("Allow", nil)
	noFollow := *p.http
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		p.t.Fatalf("Allow answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.Query().Get("code")
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
