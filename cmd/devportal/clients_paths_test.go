package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/devportal/devportal/web"
)

// Issue 9, item 4: the token endpoint `clients create` prints comes from the route table
// (web.Paths), not from a copy of its spelling. Moving the route moves the printed URL.
func TestClientsCreatePrintsTheRoutedTokenEndpoint(t *testing.T) {
	old := web.Paths["token"]
	web.Paths["token"] = "/moved/token"
	t.Cleanup(func() { web.Paths["token"] = old })
	c := newCLI(t)
	out, err := c.run("", "clients", "create", "--name", "Billing", "--type", "web",
		"--redirect-uri", "https://app.example.com/callback", "--scope", "INVOICE.READ")
	if err != nil {
		t.Fatalf("clients create: %v\n%s", err, out)
	}
	var got struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if !strings.HasSuffix(got.TokenEndpoint, "/moved/token") {
		t.Errorf("token_endpoint = %q, want the routed path /moved/token", got.TokenEndpoint)
	}
}
