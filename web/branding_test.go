package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// Issue 13, "Operator branding": DEVPORTAL_BRAND_* are checked at start-up, each refusal naming
// its variable and what to change.
func TestConfigBrand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		errHas string
		want   web.Brand
	}{
		{name: "defaults", want: web.Brand{Name: "devportal"}},
		{name: "all set", env: map[string]string{"DEVPORTAL_BRAND_NAME": " Acme Developers ", "DEVPORTAL_BRAND_LOGO_URL": "https://cdn.acme.example/logo.svg", "DEVPORTAL_BRAND_COLOR": "#0B5CAD"},
			want: web.Brand{Name: "Acme Developers", LogoURL: "https://cdn.acme.example/logo.svg", Color: "#0b5cad"}},
		{name: "logo from static", env: map[string]string{"DEVPORTAL_BRAND_LOGO_URL": "/static/img/logo.svg"}, want: web.Brand{Name: "devportal", LogoURL: "/static/img/logo.svg"}},
		{name: "logo over http", env: map[string]string{"DEVPORTAL_BRAND_LOGO_URL": "http://cdn.acme.example/logo.svg"}, errHas: "DEVPORTAL_BRAND_LOGO_URL must be an absolute https URL"},
		{name: "logo relative", env: map[string]string{"DEVPORTAL_BRAND_LOGO_URL": "logo.svg"}, errHas: "DEVPORTAL_BRAND_LOGO_URL"},
		{name: "logo outside static", env: map[string]string{"DEVPORTAL_BRAND_LOGO_URL": "/static/../secret"}, errHas: "DEVPORTAL_BRAND_LOGO_URL"},
		{name: "colour by name", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "red"}, errHas: `DEVPORTAL_BRAND_COLOR: "red" is not a colour written #rrggbb`},
		{name: "colour short", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "#abc"}, errHas: "is not a colour written #rrggbb"},
		{name: "colour not hex", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "#12345g"}, errHas: "is not a colour written #rrggbb"},
		// WCAG 2 AA (1.4.3): yellow on white is 1.07:1, #767676 the lightest grey at 4.54:1.
		{name: "colour too light", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "#ffff00"}, errHas: "DEVPORTAL_BRAND_COLOR: #ffff00 has a contrast of 1.07:1 with white; links and button text need at least 4.5:1"},
		{name: "colour just too light", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "#777777"}, errHas: "4.48:1"},
		{name: "colour just dark enough", env: map[string]string{"DEVPORTAL_BRAND_COLOR": "#767676"}, want: web.Brand{Name: "devportal", Color: "#767676"}},
		{name: "name too long", env: map[string]string{"DEVPORTAL_BRAND_NAME": strings.Repeat("a", 41)}, errHas: "DEVPORTAL_BRAND_NAME must be 1 to 40 characters"},
		{name: "name on two lines", env: map[string]string{"DEVPORTAL_BRAND_NAME": "Acme\nPortal"}, errHas: "DEVPORTAL_BRAND_NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := web.ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error = %v; want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Brand != tc.want {
				t.Errorf("brand = %+v; want %+v", cfg.Brand, tc.want)
			}
		})
	}
}

// Issue 13, "Operator branding": the name is in the top bar, the standalone frame (log in,
// consent) and every <title>; the logo beside it; the accent reaches app.css's custom
// properties through a stylesheet of our own (the CSP's style-src 'self' stays as it is); the
// footer shows the running version; the mails open with the name and colour their button.
func TestBrandingShownEverywhere(t *testing.T) {
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{
		"DEVPORTAL_BRAND_NAME": "Acme Developers", "DEVPORTAL_BRAND_LOGO_URL": "https://cdn.acme.example/logo.svg", "DEVPORTAL_BRAND_COLOR": "#0b5cad",
	}})
	env.mustUser(t, "dev@example.com", false)
	b := newBrowser(t, env.URL)

	resp, login := b.get("/login")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self';") {
		t.Errorf("CSP = %q; want style-src 'self' kept", csp)
	}
	b.mustLogin("dev@example.com")
	_, apps := b.get("/apps")
	cssLink := regexp.MustCompile(`<link rel="stylesheet" href="(/static/brand\.css\?v=[0-9a-f]+)">`)
	for name, page := range map[string]string{"log in (standalone)": login, "applications (portal)": apps} {
		for _, want := range []string{
			"· Acme Developers</title>",
			`<img class="brand-logo" src="https://cdn.acme.example/logo.svg" alt=""`,
			"Acme Developers</a>",
			"Acme Developers · devportal test",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q", name, want)
			}
		}
		if strings.Contains(page, "· devportal</title>") || strings.Contains(page, ` style="`) {
			t.Errorf("%s page names devportal in its title or has an inline style", name)
		}
		if !cssLink.MatchString(page) {
			t.Errorf("%s page links no brand stylesheet", name)
		}
	}
	m := cssLink.FindStringSubmatch(apps)
	if m == nil {
		t.FailNow()
	}
	cssResp, err := http.Get(env.URL + m[1])
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(cssResp.Body)
	cssResp.Body.Close()
	if cssResp.StatusCode != http.StatusOK || !strings.HasPrefix(cssResp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(string(css), "--accent: #0b5cad;") || !strings.Contains(string(css), "--accent-bg: #0b5cad;") {
		t.Errorf("GET %s: %d %s\n%s", m[1], cssResp.StatusCode, cssResp.Header.Get("Content-Type"), css)
	}

	// Mail: a password reset opens with the brand and colours its button.
	anon := newBrowser(t, env.URL)
	anon.get("/forgot-password")
	anon.post("/forgot-password", url.Values{"email": {"dev@example.com"}})
	mails := env.mustMail(t, "dev@example.com")
	if len(mails) == 0 {
		t.Fatal("no reset mail")
	}
	html := mails[len(mails)-1].HTML
	if !strings.Contains(html, ">Acme Developers</p>") || !strings.Contains(html, "background: #0b5cad;") || strings.Contains(html, "devportal") {
		t.Errorf("reset mail is not branded:\n%s", html)
	}
}

// Issue 13: without DEVPORTAL_BRAND_* the portal is devportal, in indigo, with no extra
// stylesheet to fetch.
func TestBrandingDefaults(t *testing.T) {
	env := newTestEnv(t)
	_, page := newBrowser(t, env.URL).get("/login")
	for _, want := range []string{"· devportal</title>", ">devportal</a>", "devportal test"} {
		if !strings.Contains(page, want) {
			t.Errorf("log-in page lacks %q", want)
		}
	}
	if strings.Contains(page, "brand.css") || strings.Contains(page, "brand-logo") {
		t.Error("an unbranded page links a brand stylesheet or logo")
	}
}

// Issue 13: the footer shows the real version. A version set at build time is reported as it
// is; a plain "dev" build reports what Go recorded (never an empty string).
func TestResolveVersion(t *testing.T) {
	if got := web.ResolveVersion("v1.4.0"); got != "v1.4.0" {
		t.Errorf("ResolveVersion(v1.4.0) = %q", got)
	}
	if got := web.ResolveVersion("dev"); got != "dev" && !strings.HasPrefix(got, "dev-") && !strings.HasPrefix(got, "v") {
		t.Errorf("ResolveVersion(dev) = %q; want dev, dev-<commit> or a module version", got)
	}
}
