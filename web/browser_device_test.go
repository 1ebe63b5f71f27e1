package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/devportal/devportal/models"
)

// Issue 15 (proof): golang.org/x/oauth2's own device flow (DeviceAuth, then DeviceAccessToken
// polling per RFC 8628 §3.4–3.5) completes against the real server while a person, in
// Chromium, logs in, types the code on /device, presses "Continue" and "Allow"; the token it
// gets works on the sample API.
func TestBrowserDeviceSignInWithOAuth2Library(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	browserCtx := newChromium(t, chromium)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "viewer@example.com", false)
	client, _ := env.mustDeviceClient(t, dev, models.ClientNative, "INVOICE.READ")

	cfg := &oauth2.Config{
		ClientID: client.ID,
		Scopes:   []string{"INVOICE.READ"},
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: env.URL + "/oauth/device_authorization",
			TokenURL:      env.URL + "/oauth/token",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Second)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.VerificationURI != env.URL+"/device" || da.UserCode == "" || da.Interval != 5 {
		t.Fatalf("device authorization response %+v", da)
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	polled := make(chan result, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		polled <- result{tok, err}
	}()

	mustDo(t, browserCtx, "log in, type the code on /device and allow",
		chromedp.Navigate(da.VerificationURI),
		chromedp.SendKeys(byLabel("Email"), "viewer@example.com"),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(button("Continue")),
		chromedp.SendKeys(byLabel("Code"), da.UserCode),
		chromedp.Click(button("Continue")),
		chromedp.WaitVisible(button("Allow")),
		chromedp.Click(button("Allow")),
		chromedp.WaitVisible(heading("You can return to your device")),
	)

	var r result
	select {
	case r = <-polled:
	case <-ctx.Done():
		t.Fatal("DeviceAccessToken did not return before the deadline")
	}
	if r.err != nil {
		t.Fatalf("DeviceAccessToken: %v", r.err)
	}
	resp, err := cfg.Client(ctx, r.tok).Get(env.URL + "/api/v1/invoices")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sample API with the device's token: %d", resp.StatusCode)
	}
}
