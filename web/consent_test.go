package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/devportal/devportal/models"
)

// mustConsentPage opens authURL and parses the consent page it shows.
func mustConsentPage(t *testing.T, b *browser, authURL string) *goquery.Document {
	t.Helper()
	resp, body := b.get(authURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Allow</button>") {
		t.Fatalf("consent page: status %d location %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// Issue 13 (the consent page, worthy of trust): when an application the user allowed asks for
// more, the page says it wants additional access, asks only about the new scopes, and lists
// what the user already allowed apart; it names the redirect host and where to revoke access.
func TestConsentAsksOnlyForAdditionalAccess(t *testing.T) {
	env := newTestEnv(t)
	client, _, redirect, user := env.mustShopAndUser(t)
	env.mustClient(t, nil, models.ClientWeb, []string{redirect}, "INVOICE.READ") // another app, allowed nothing
	mustUpdateClient(t, env, client.ID, func(p *models.ClientProfile) { p.Scopes = []string{"INVOICE.READ", "INVOICE.WRITE"} })
	authURL := func(scope string) string {
		return "/oauth/authorize?" + url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope}, "state": {"s"}}.Encode()
	}

	first := mustConsentPage(t, user, authURL("INVOICE.READ"))
	if got := squash(first.Find("h1").Text()); got != client.Name+" wants to access your account" {
		t.Errorf("first request: heading %q", got)
	}
	if first.Find(".consent-granted").Length() != 0 || first.Find(".badge-new").Length() != 0 {
		t.Error("a first request lists something as already allowed or new")
	}
	if got := squash(first.Find(".redirect-note").Text()); got != "You will be redirected to shop.example" {
		t.Errorf("redirect note %q", got)
	}
	if first.Find(`.revoke-note a[href="/account/apps"]`).Length() != 1 {
		t.Error("no link to Account → Authorized applications")
	}
	if got := squash(first.Find(".consent-publisher").Text()); got != "by dev@example.com Unverified publisher" {
		t.Errorf("publisher %q", got)
	}
	authorizeInBrowser(t, user, authURL("INVOICE.READ"), "allow")

	more := mustConsentPage(t, user, authURL("INVOICE.READ INVOICE.WRITE"))
	if got := squash(more.Find("h1").Text()); got != client.Name+" wants additional access to your account" {
		t.Errorf("additional request: heading %q", got)
	}
	var asked []string
	more.Find(".scope-list .scope-name").Each(func(_ int, s *goquery.Selection) { asked = append(asked, s.Text()) })
	if strings.Join(asked, " ") != "INVOICE.WRITE" || more.Find(".scope-list .badge-new").Length() != 1 {
		t.Errorf("the question lists %v, want only the new INVOICE.WRITE", asked)
	}
	granted := more.Find(".consent-granted")
	if !strings.HasPrefix(squash(granted.Text()), "You already allowed:") || granted.Find("li").Length() != 1 ||
		!strings.Contains(granted.Text(), "INVOICE.READ") || !strings.Contains(granted.Text(), "See your invoices") {
		t.Errorf("already allowed: %q", squash(granted.Text()))
	}
	// Both scopes still travel with the decision: allowing gives the application both.
	if v, _ := more.Find(`input[name="scope"]`).Attr("value"); v != "INVOICE.READ INVOICE.WRITE" {
		t.Errorf("the form carries scope %q", v)
	}

	// prompt=consent with nothing new: a confidential client is not told it "cannot prove" itself.
	again := mustConsentPage(t, user, authURL("INVOICE.READ")+"&prompt=consent")
	if text := squash(again.Find("main").Text()); !strings.Contains(text, "You allowed this app before. It asks you to confirm again.") || strings.Contains(text, "cannot prove") {
		t.Errorf("prompt=consent, nothing new: %q", text)
	}
	if again.Find(".consent-granted").Length() != 0 || strings.Contains(again.Find("h1").Text(), "additional") {
		t.Error("prompt=consent with nothing new reads as additional access")
	}
}

// mustUpdateClient changes a client's settings through the store, keeping the rest.
func mustUpdateClient(t *testing.T, env *testEnv, clientID string, change func(*models.ClientProfile)) {
	t.Helper()
	ctx := t.Context()
	c, err := env.Store.ClientByID(ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	p := models.ClientProfile{Name: c.Name, LogoURL: c.LogoURL, HomepageURL: c.HomepageURL, PrivacyURL: c.PrivacyURL, TermsURL: c.TermsURL,
		RedirectURIs: c.RedirectURIs, AllowedOrigins: c.AllowedOrigins, Scopes: c.Scopes,
		AccessTTLSeconds: c.AccessTTLSeconds, RefreshTTLSeconds: c.RefreshTTLSeconds,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg}
	change(&p)
	if err := env.Store.UpdateClient(ctx, clientID, p); err != nil {
		t.Fatal(err)
	}
}
