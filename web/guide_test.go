package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

// The integration guide is executable. TestIntegrationGuide reads docs/integration-guide.md (the
// bytes the portal serves), and runs its fenced blocks in order against a live server:
//
//   - ```sh blocks hold commands, one per line (a trailing backslash continues a line):
//     `export NAME=value …` or `NAME=value` assignments; `curl` requests (with the few flags
//     curlRequest knows; any other flag fails the test); `open URL` or `xdg-open URL`, a person
//     opening the URL in the browser, played here by a signed-in browser that presses Allow; and
//     `devportal …` commands, which an operator runs and which are not HTTP, so they are skipped.
//     A block holds at most one request.
//   - the fenced block right after a block with a curl is ```http: the status line, headers that
//     must be present, a blank line, and the body. After an open, it is ```text: the URL the
//     browser is sent back to.
//   - in expected output, "…" inside a string matches anything; the string "…" matches any JSON
//     value; a "…" key lets an object have more keys than shown. Every other value must be equal,
//     and objects and arrays may not have more members than shown. http://localhost:8080 stands
//     for the server's issuer.
//   - ```json, ```go and ```js blocks are illustrations; any other language fails the test, so a
//     command cannot hide from it.
//
// Variables a reader gets from elsewhere are filled when the guide assigns them a placeholder;
// each guide's test names its own (fixtures). For this guide: ISSUER (the test server),
// CLIENT_ID and CLIENT_SECRET (the web application), NATIVE_CLIENT_ID, MACHINE_CLIENT_ID and
// MACHINE_CLIENT_SECRET (registered through the portal, as the guide says to), CODE (from the
// last redirect to the application), ACCESS_TOKEN and REFRESH_TOKEN (from the last response).
// Other assignments are evaluated; a command substitution ($(…)) runs in sh, so the guide's PKCE
// one-liners are checked too.
//
// An opened URL of the authorization endpoint is a request for consent, which the user allows;
// any other opened URL of the portal (the logout endpoint, say) must send the browser straight
// back to the application, and the ```text block shows where. docs/oidc.md runs the same way
// (TestOIDCGuide).

const guideRedirectURI = "http://127.0.0.1:9999/callback" // what the guide tells developers to register

func TestIntegrationGuide(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "payer@example.com", false)
	dev := newBrowser(t, env.URL)
	dev.mustLogin("dev@example.com")
	register := func(name, typ, redirect string, scopes ...string) (id, secret string) {
		t.Helper()
		dev.get("/apps/new")
		resp, body := dev.mustPostThenGet("/apps", url.Values{"name": {name}, "type": {typ}, "redirect_uris": {redirect}, "scopes": scopes}, "")
		id, secret = codeText(body, "client-id"), codeText(body, "client-secret")
		if resp.StatusCode != http.StatusOK || id == "" {
			t.Fatalf("registering %s: status %d\n%s", name, resp.StatusCode, body)
		}
		return id, secret
	}
	g := newGuideRun(t, env, "payer@example.com")
	webID, webSecret := register("Invoice app", "web", guideRedirectURI, "INVOICE.READ", "INVOICE.WRITE")
	nativeID, _ := register("Invoice app for phones", "native", guideRedirectURI, "INVOICE.READ", "INVOICE.WRITE")
	machineID, machineSecret := register("Invoice sync", "machine", "", "INVOICE.READ")
	g.fixtures = map[string]func() (string, error){
		"ISSUER":                func() (string, error) { return env.URL, nil },
		"CLIENT_ID":             func() (string, error) { return webID, nil },
		"CLIENT_SECRET":         func() (string, error) { return webSecret, nil },
		"NATIVE_CLIENT_ID":      func() (string, error) { return nativeID, nil },
		"MACHINE_CLIENT_ID":     func() (string, error) { return machineID, nil },
		"MACHINE_CLIENT_SECRET": func() (string, error) { return machineSecret, nil },
		"CODE":                  func() (string, error) { return g.fromRedirect("code") },
		"ACCESS_TOKEN":          func() (string, error) { return g.fromResponse("access_token") },
		"REFRESH_TOKEN":         func() (string, error) { return g.fromResponse("refresh_token") },
	}

	g.run(string(docs.IntegrationGuide))

	// The guide must keep walking the whole flow: losing a step is rot too.
	g.mustCover(
		"GET /auth", "POST /oauth/tokens authorization_code", "POST /oauth/tokens refresh_token", "POST /oauth/tokens client_credentials",
		"POST /api/v1/invoices", "GET /api/v1/invoices", "POST /oauth/revoke", "POST /oauth/token", "POST /oauth/introspect",
		"GET /.well-known/oauth-authorization-server", "PKCE",
	)
}

// newGuideRun starts a run of a guide against env, with a browser signed in as the end user
// email (who must exist); the caller sets fixtures before run.
func newGuideRun(t *testing.T, env *testEnv, email string) *guideRun {
	t.Helper()
	g := &guideRun{t: t, env: env, vars: map[string]string{}, covered: map[string]bool{}}
	g.user = newBrowser(t, env.URL)
	g.user.mustLogin(email)
	return g
}

// mustCover fails the test for each step in want the guide no longer shows.
func (g *guideRun) mustCover(want ...string) {
	g.t.Helper()
	for _, w := range want {
		if !g.covered[w] {
			g.t.Errorf("the guide no longer shows %s", w)
		}
	}
}

// guideRun is the state of one run of the guide.
type guideRun struct {
	t        *testing.T
	env      *testEnv
	user     *browser // the end user, signed in
	vars     map[string]string
	fixtures map[string]func() (string, error)
	covered  map[string]bool

	lastBody     map[string]any // the last JSON response
	lastRedirect *url.URL       // where the browser was last sent back to
}

func (g *guideRun) fromResponse(field string) (string, error) {
	if s, _ := g.lastBody[field].(string); s != "" {
		return s, nil
	}
	return "", fmt.Errorf("the last response has no %s", field)
}

func (g *guideRun) fromRedirect(param string) (string, error) {
	if g.lastRedirect == nil || g.lastRedirect.Query().Get(param) == "" {
		return "", fmt.Errorf("no redirect with %s came before", param)
	}
	return g.lastRedirect.Query().Get(param), nil
}

// fence is one fenced code block of the guide.
type fence struct {
	lang string
	line int // of the opening fence, for messages
	body []string
}

func fences(md string) []fence {
	var out []fence
	var cur *fence
	for i, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: i + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, line)
		}
	}
	return out
}

func (g *guideRun) run(md string) {
	t := g.t
	blocks := fences(md)
	if len(blocks) < 10 {
		t.Fatalf("the guide has %d code blocks; it walks through the whole flow", len(blocks))
	}
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		switch b.lang {
		case "json", "go", "js":
			continue
		case "sh":
		default:
			t.Fatalf("line %d: a ```%s block here is neither a command (sh), an expected answer (http, text) right after one, nor an illustration (json)", b.line, b.lang)
		}
		stmts, err := g.parse(b.body)
		if err != nil {
			t.Fatalf("line %d: %v", b.line, err)
		}
		requests := 0
		for _, st := range stmts {
			if st.curl != nil || st.open != "" {
				requests++
			}
		}
		if requests > 1 {
			t.Fatalf("line %d: a block holds at most one request, so the answer after it is unambiguous", b.line)
		}
		for _, st := range stmts {
			switch {
			case st.assign != nil:
				if err := g.assign(st.assign); err != nil {
					t.Fatalf("line %d: %v", b.line, err)
				}
			case st.curl != nil || st.open != "":
				want := "http"
				if st.open != "" {
					want = "text"
				}
				if i+1 >= len(blocks) || blocks[i+1].lang != want {
					t.Fatalf("line %d: the request must be followed by a ```%s block showing the answer", b.line, want)
				}
				i++
				if st.curl != nil {
					g.do(b.line, st.curl, blocks[i])
				} else {
					g.browse(b.line, st.open, blocks[i])
				}
			}
		}
	}
}

// statement is one command of a sh block.
type statement struct {
	assign [][2]string // name, value (unexpanded when it is a command substitution)
	curl   *http.Request
	open   string
}

var (
	assignWord  = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(.*)$`)
	cmdSubst    = regexp.MustCompile(`^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(\$\(.*\))$`)
	heredocMark = regexp.MustCompile(`\s<<(['"]?)([A-Za-z_]+)(['"]?)\s*$`)
)

func (g *guideRun) parse(lines []string) ([]statement, error) {
	var out []statement
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + lines[i]
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if m := cmdSubst.FindStringSubmatch(trimmed); m != nil {
			out = append(out, statement{assign: [][2]string{{m[1], m[2]}}})
			continue
		}
		var stdin *string
		if m := heredocMark.FindStringSubmatchIndex(line); m != nil {
			delim, quoted := line[m[4]:m[5]], m[3] > m[2]
			line = line[:m[0]]
			var body []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				body = append(body, lines[i])
			}
			if i == len(lines) {
				return nil, fmt.Errorf("the here-document has no closing %s", delim)
			}
			text := strings.Join(body, "\n") + "\n"
			if !quoted {
				expanded, err := g.expandHeredoc(text)
				if err != nil {
					return nil, err
				}
				text = expanded
			}
			stdin = &text
		}
		words, err := g.words(line)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", trimmed, err)
		}
		if stdin != nil && words[0] != "curl" {
			return nil, fmt.Errorf("%q: only curl reads a here-document", trimmed)
		}
		switch {
		case words[0] == "export" || assignWord.MatchString(words[0]):
			if words[0] == "export" {
				words = words[1:]
			}
			var st statement
			for _, w := range words {
				m := assignWord.FindStringSubmatch(w)
				if m == nil {
					return nil, fmt.Errorf("%q: %q is not NAME=value", trimmed, w)
				}
				st.assign = append(st.assign, [2]string{m[1], m[2]})
			}
			out = append(out, st)
		case words[0] == "curl":
			req, err := curlRequest(words[1:], stdin)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", trimmed, err)
			}
			out = append(out, statement{curl: req})
		case words[0] == "open" || words[0] == "xdg-open":
			if len(words) != 2 {
				return nil, fmt.Errorf("%q: open takes one URL", trimmed)
			}
			out = append(out, statement{open: words[1]})
		case words[0] == "devportal":
			// The operator's command line, not HTTP: not run here.
		default:
			return nil, fmt.Errorf("%q: the guide test does not know the command %s", trimmed, words[0])
		}
	}
	return out, nil
}

// assign runs an assignment: fixture variables take their value from the run (the guide shows
// a placeholder), command substitutions run in sh, and the rest is the literal value.
func (g *guideRun) assign(pairs [][2]string) error {
	for _, p := range pairs {
		name, value := p[0], p[1]
		if fixture, ok := g.fixtures[name]; ok {
			if name == "ISSUER" && value != "http://localhost:8080" {
				return fmt.Errorf("ISSUER should default to http://localhost:8080, not %q", value)
			}
			if name != "ISSUER" && !strings.Contains(value, "…") {
				return fmt.Errorf("%s=%q: the guide shows a placeholder (with …) for values the reader copies", name, value)
			}
			v, err := fixture()
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			g.vars[name] = v
			continue
		}
		if strings.HasPrefix(value, "$(") {
			v, err := g.shell(name, value)
			if err != nil {
				return err
			}
			value = v
		}
		g.vars[name] = value
	}
	// Checked when the challenge is computed: a guide making a second pair sets the verifier
	// first, while the first pair's challenge is still set.
	challenged := slices.ContainsFunc(pairs, func(p [2]string) bool { return p[0] == "CODE_CHALLENGE" })
	if v, c := g.vars["CODE_VERIFIER"], g.vars["CODE_CHALLENGE"]; challenged && v != "" && c != "" {
		if len(v) < 43 || len(v) > 128 || oauth.S256Challenge(v) != c {
			return fmt.Errorf("the guide's PKCE commands give verifier %q and challenge %q, which is not its S256", v, c)
		}
		g.covered["PKCE"] = true
	}
	return nil
}

// shell evaluates NAME=$(…) in sh with the run's variables in the environment.
func (g *guideRun) shell(name, value string) (string, error) {
	if _, err := exec.LookPath("openssl"); err != nil && strings.Contains(value, "openssl") {
		g.t.Logf("openssl is not installed: %s is made in Go instead of by the guide's command", name)
		switch name {
		case "NONCE", "STATE":
			return randomString(g.t), nil
		case "CODE_VERIFIER":
			b := make([]byte, 48)
			rand.Read(b)
			return base64.RawURLEncoding.EncodeToString(b), nil
		case "CODE_CHALLENGE":
			return oauth.S256Challenge(g.vars["CODE_VERIFIER"]), nil
		}
	}
	cmd := exec.Command("sh", "-c", name+"="+value+"\nprintf '%s' \"$"+name+"\"")
	cmd.Env = os.Environ()
	for k, v := range g.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		return "", fmt.Errorf("%s=%s: %v (output %q)", name, value, err, out)
	}
	return string(out), nil
}

// words splits a command line into words as sh does, for the subset the guide may use:
// whitespace, 'single' and "double" quotes, backslash escapes, $NAME and ${NAME}, and # comments.
// Pipes, redirections, command substitution, globbing characters and unknown variables fail.
func (g *guideRun) words(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			i = len(line)
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) && strings.IndexByte("$`\"\\", line[j+1]) >= 0 {
					j++
				}
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated double quote")
			}
			s, err := g.expand(line[i+1 : j])
			if err != nil {
				return nil, err
			}
			cur.WriteString(s)
			i = j
			inWord = true
		case c == '$':
			n, v, err := g.variable(line[i:])
			if err != nil {
				return nil, err
			}
			cur.WriteString(v) // unquoted: the guide quotes values that could split
			i += n - 1
			inWord = true
		case c == '\\' && i+1 < len(line):
			cur.WriteByte(line[i+1])
			i++
			inWord = true
		case strings.IndexByte("|&;<>()`*?[]{}", c) >= 0:
			return nil, fmt.Errorf("%q outside quotes is shell syntax the guide test does not run", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return words, nil
}

// expand expands the inside of double quotes (or an unquoted here-document): $NAME, ${NAME} and
// the backslash escapes of $ ` " \.
func (g *guideRun) expand(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		case c == '`':
			return "", fmt.Errorf("command substitution is not run by the guide test")
		case c == '$':
			n, v, err := g.variable(s[i:])
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func (g *guideRun) expandHeredoc(s string) (string, error) {
	// In a here-document a double quote is an ordinary character.
	return g.expand(strings.ReplaceAll(s, `\"`, `\\"`))
}

var varRef = regexp.MustCompile(`^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})`)

// variable reads the $NAME or ${NAME} at the start of s and returns its length and value.
func (g *guideRun) variable(s string) (int, string, error) {
	m := varRef.FindStringSubmatch(s)
	if m == nil {
		return 0, "", fmt.Errorf("%q: only $NAME and ${NAME} are expanded", s)
	}
	name := m[1] + m[2]
	v, ok := g.vars[name]
	if !ok {
		return 0, "", fmt.Errorf("$%s is used before the guide sets it", name)
	}
	return len(m[0]), v, nil
}

// curlRequest turns curl's arguments into the request curl would send. Only the flags the guide
// needs are known; any other fails, so the guide cannot drift into commands this test misreads.
func curlRequest(args []string, stdin *string) (*http.Request, error) {
	var method, target, user string
	var data []string
	header := http.Header{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch {
		case a == "-X" || a == "--request":
			method, err = value()
		case a == "-H" || a == "--header":
			if v, err = value(); err == nil {
				k, hv, ok := strings.Cut(v, ":")
				if !ok {
					return nil, fmt.Errorf("header %q has no colon", v)
				}
				header.Add(strings.TrimSpace(k), strings.TrimSpace(hv))
			}
		case a == "-d" || a == "--data":
			if v, err = value(); err == nil {
				if strings.HasPrefix(v, "@") {
					if v != "@-" || stdin == nil {
						return nil, fmt.Errorf("-d %s: only @- with a here-document is supported", v)
					}
					v = strings.NewReplacer("\r", "", "\n", "").Replace(*stdin) // as curl -d @file does
				}
				data = append(data, v)
			}
		case a == "--data-urlencode":
			if v, err = value(); err == nil {
				name, val, ok := strings.Cut(v, "=")
				if !ok {
					return nil, fmt.Errorf("--data-urlencode %q: only name=value is supported", v)
				}
				data = append(data, name+"="+url.QueryEscape(val))
			}
		case a == "-u" || a == "--user":
			user, err = value()
		case a == "-i" || a == "--include" || a == "-s" || a == "--silent" || a == "-S" || a == "--show-error" || a == "-si" || a == "-is" || a == "-sS":
			// Output only.
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("the guide test does not know the curl flag %s", a)
		case target != "":
			return nil, fmt.Errorf("two URLs: %s and %s", target, a)
		default:
			target = a
		}
		if err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return nil, fmt.Errorf("no absolute URL")
	}
	if stdin != nil && !slices.Contains(data, strings.NewReplacer("\r", "", "\n", "").Replace(*stdin)) {
		return nil, fmt.Errorf("a here-document that curl does not read")
	}
	var body io.Reader
	if data != nil {
		body = strings.NewReader(strings.Join(data, "&"))
		if method == "" {
			method = http.MethodPost
		}
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header = header
	if user != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user)))
	}
	return req, nil
}

// do sends a request of the guide and checks the answer against the ```http block after it.
func (g *guideRun) do(line int, req *http.Request, want fence) {
	t := g.t
	t.Helper()
	what := fmt.Sprintf("line %d: %s %s", line, req.Method, req.URL.Path)
	g.cover(req)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	g.lastBody = nil
	json.Unmarshal(body, &g.lastBody)

	expected := strings.Split(g.localize(strings.Join(want.body, "\n")), "\n")
	status := strings.Fields(expected[0])
	if len(status) < 2 || !strings.HasPrefix(status[0], "HTTP/") {
		t.Fatalf("line %d: the answer starts with a status line such as HTTP/1.1 200 OK, not %q", want.line, expected[0])
	}
	if fmt.Sprint(resp.StatusCode) != status[1] {
		t.Fatalf("%s: status %d, the guide shows %s\n%s", what, resp.StatusCode, status[1], body)
	}
	rest := expected[1:]
	for len(rest) > 0 && rest[0] != "" {
		k, v, ok := strings.Cut(rest[0], ":")
		if !ok {
			t.Fatalf("line %d: header line %q", want.line, rest[0])
		}
		got := resp.Header.Get(k)
		if !globMatch(strings.TrimSpace(v), got) {
			t.Errorf("%s: header %s is %q, the guide shows %q", what, k, got, strings.TrimSpace(v))
		}
		rest = rest[1:]
	}
	wantBody := strings.TrimSpace(strings.Join(rest, "\n"))
	gotBody := strings.TrimSpace(string(body))
	switch {
	case wantBody == "":
		if gotBody != "" {
			t.Errorf("%s: the guide shows no body, the server sent %s", what, gotBody)
		}
	case json.Valid([]byte(wantBody)):
		var w, got any
		json.Unmarshal([]byte(wantBody), &w)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: the guide shows JSON, the server sent %s", what, body)
		}
		if err := matchJSON("body", w, got); err != nil {
			t.Errorf("%s: %v\nthe server sent %s", what, err, body)
		}
	default:
		if !globMatch(wantBody, gotBody) {
			t.Errorf("%s: body %q, the guide shows %q", what, gotBody, wantBody)
		}
	}
}

// cover records what a request exercises.
func (g *guideRun) cover(req *http.Request) {
	key := req.Method + " " + req.URL.Path
	g.covered[key] = true
	if (req.URL.Path == "/oauth/tokens" || req.URL.Path == "/oauth/token") && req.GetBody != nil {
		rc, _ := req.GetBody()
		raw, _ := io.ReadAll(rc)
		var b struct {
			GrantType string `json:"grant_type"`
		}
		if json.Unmarshal(raw, &b) != nil {
			v, _ := url.ParseQuery(string(raw))
			b.GrantType = v.Get("grant_type")
		}
		g.covered[key+" "+b.GrantType] = true
	}
}

// browse plays a person opening target: at the authorization endpoint the signed-in user
// allows; any other page must send the browser straight back to the application. Where it goes
// must be what the ```text block shows.
func (g *guideRun) browse(line int, target string, want fence) {
	t := g.t
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || !strings.HasPrefix(target, g.env.URL+"/") {
		t.Fatalf("line %d: %q is not a URL of the portal", line, target)
	}
	g.covered["GET "+u.Path] = true
	if u.Path == web.Paths["authorization"] || u.Path == "/auth" {
		g.lastRedirect = authorizeInBrowser(t, g.user, target, "allow")
	} else {
		resp, body := g.user.get(target)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("line %d: opening %s: status %d, not a redirect back to the application\n%s", line, u.Path, resp.StatusCode, body)
		}
		if g.lastRedirect, err = url.Parse(resp.Header.Get("Location")); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
	}
	expected := strings.TrimSpace(g.localize(strings.Join(want.body, "\n")))
	if !globMatch(expected, g.lastRedirect.String()) {
		t.Fatalf("line %d: the browser went back to %s, the guide shows %s", line, g.lastRedirect, expected)
	}
}

// localize makes expected output name the test server instead of the guide's default issuer.
func (g *guideRun) localize(s string) string {
	const def = "http://localhost:8080"
	return strings.NewReplacer(def, g.env.URL, url.QueryEscape(def), url.QueryEscape(g.env.URL)).Replace(s)
}

// globMatch matches s against pattern, in which … stands for any text.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)^` + strings.Join(parts, ".*") + `$`).MatchString(s)
}

// matchJSON compares a response with what the guide shows (see the rules at the top).
func matchJSON(path string, want, got any) error {
	switch w := want.(type) {
	case string:
		if w == "…" {
			return nil
		}
		if s, ok := got.(string); !ok || !globMatch(w, s) {
			return fmt.Errorf("%s is %#v, the guide shows %q", path, got, w)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is %#v, the guide shows an object", path, got)
		}
		for k, wv := range w {
			if k == "…" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s is missing", path, k)
			}
			if err := matchJSON(path+"."+k, wv, gv); err != nil {
				return err
			}
		}
		if _, more := w["…"]; !more {
			for k := range g {
				if _, ok := w[k]; !ok {
					return fmt.Errorf("%s.%s is not in the guide", path, k)
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s is %#v, the guide shows an array", path, got)
		}
		if len(g) != len(w) {
			return fmt.Errorf("%s has %d elements, the guide shows %d", path, len(g), len(w))
		}
		for i := range w {
			if err := matchJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); err != nil {
				return err
			}
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return fmt.Errorf("%s is %#v, the guide shows %#v", path, got, want)
		}
	}
	return nil
}

// The guide's Errors section lists exactly the error codes the OpenAPI description declares.
func TestIntegrationGuideListsEveryErrorCode(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["CompatError"]
	if schema == nil || schema.Value.Properties["error_code"] == nil {
		t.Fatal("openapi.yaml has no CompatError schema with error_code")
	}
	var declared []string
	for _, v := range schema.Value.Properties["error_code"].Value.Enum {
		declared = append(declared, v.(string))
	}
	_, section, ok := strings.Cut(string(docs.IntegrationGuide), "\n## Errors\n")
	if !ok {
		t.Fatal(`the guide has no "## Errors" section, which error responses link to`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) || len(listed) == 0 {
		t.Errorf("the guide's error table lists %v; openapi.yaml declares %v", listed, declared)
	}
}

// The portal serves the guide and the API reference as pages.
func TestDocumentationPages(t *testing.T) {
	env := newTestEnv(t)
	b := newBrowser(t, env.URL)

	resp, body := b.get("/docs/integration-guide")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("guide: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<h2 id="errors">Errors</h2>`, `<h1 id="integration-guide">Integration guide</h1>`, `<code class="language-sh">`, `aria-current="page">Docs</a>`, `<table class="table">`, env.URL} {
		if !strings.Contains(body, want) {
			t.Errorf("guide page lacks %s", want)
		}
	}
	if !strings.Contains(string(docs.IntegrationGuide), "(#errors)") {
		t.Error("the guide no longer links to its own Errors section")
	}

	resp, body = b.get("/docs/api")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API reference: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="post-oauth-tokens"`, "/oauth/tokens", "/api/v1/invoices", "INVALID_SCOPE_ERROR", "expires_at", `href="/docs/openapi.yaml"`, `aria-current="page">Docs</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("API reference lacks %s", want)
		}
	}

	resp, body = b.get("/docs/oidc")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("OpenID Connect guide: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<h1 id="sign-in-with-devportal">Sign in with devportal</h1>`, `<code class="language-sh">`, `aria-current="page">Docs</a>`, env.URL} {
		if !strings.Contains(body, want) {
			t.Errorf("OpenID Connect guide page lacks %s", want)
		}
	}
	if _, body = b.get("/docs"); !strings.Contains(body, `<a href="/docs/oidc">Sign in with devportal</a>`) {
		t.Error("the docs index does not link the OpenID Connect guide")
	}
	// Issue 13: the docs lead with the standard flow, then the compatibility dialect.
	if std, compat := strings.Index(body, `href="/docs/oauth"`), strings.Index(body, `href="/docs/integration-guide"`); std < 0 || compat < std {
		t.Errorf("the docs index links the standard endpoints at %d and the compatibility guide at %d: standard first", std, compat)
	}

	// Issue 13: the commands show the live issuer, so a reader pastes them as they are. The
	// docs are written with the default issuer; this server's is another.
	for _, page := range []string{"/docs/integration-guide", "/docs/oidc", "/docs/oauth"} {
		_, body := b.get(page)
		if strings.Contains(body, "localhost:8080") || strings.Contains(body, "localhost%3A8080") {
			t.Errorf("%s still shows the default issuer http://localhost:8080 instead of %s", page, env.URL)
		}
		if !strings.Contains(body, "ISSUER="+env.URL) && !strings.Contains(body, "ISSUER:-"+env.URL) {
			t.Errorf("%s does not set ISSUER to this portal's %s", page, env.URL)
		}
	}

	for _, page := range []string{"/docs/integration-guide", "/docs/oidc", "/docs/api"} {
		_, body := b.get(page)
		// The CSP allows no inline style or script: nothing rendered may carry one.
		if regexp.MustCompile(`(?i)<[^>]+\sstyle=|<script>|<script [^>]*>[^<]`).MatchString(body) {
			t.Errorf("%s has an inline style or script", page)
		}
		// Every link within the page lands on something.
		for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `id="`+m[1]+`"`) {
				t.Errorf("%s links to #%s, which is not on the page", page, m[1])
			}
		}
	}

	resp, body = b.get("/docs/openapi.yaml")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" || !bytes.Equal([]byte(body), docs.OpenAPI) {
		t.Errorf("openapi.yaml: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}
