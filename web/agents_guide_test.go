package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// TestAgentsGuide runs docs/agents.md against a live server as TestOAuthGuide runs docs/oauth.md,
// with client ID metadata documents and open dynamic registration on: the MCP server registered
// as an API under the issuer, its RFC 9728 document (§3) and the 401 that names one (§5.1), the
// RFC 8414 metadata advertising both registration methods, a client identified by its metadata
// document (draft-ietf-oauth-client-id-metadata-document §3) and one registered by RFC 7591
// §3.1, each completing code + PKCE with resource = the MCP server (RFC 8707 §2), the token
// refused by another API, and invalid_target.
//
// The metadata document the page shows is the one served (from loopback, with its client_id
// replaced by the loopback URL), so the illustration is checked too. Fixtures: CLIENT_ID (first that URL, then the client_id of the last
// response), CODE, ACCESS_TOKEN and REFRESH_TOKEN.
func TestAgentsGuide(t *testing.T) {
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{
		"DEVPORTAL_CIMD": "on", "DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH": "true", "DEVPORTAL_DCR": "open"}})
	ctx := context.Background()
	env.mustUser(t, "payer@example.com", false)
	api := &models.API{Name: "Notes MCP server", Identifier: models.IssuerMarker + "/mcp", Description: "Notes as MCP tools"}
	if err := env.Store.CreateAPI(ctx, api); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.CreateScopeIn(ctx, api.ID, "NOTES.READ", "Read your notes", false); err != nil {
		t.Fatal(err)
	}

	md := string(docs.AgentsGuide)
	shown := illustratedJSON(t, md, `"client_id": "https://notes-agent.example/oauth/client.json"`)
	var docURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{}
		for k, v := range shown {
			doc[k] = v
		}
		doc["client_id"] = docURL
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=600")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	docURL = srv.URL + "/oauth/client.json"

	g := newGuideRun(t, env, "payer@example.com")
	clientIDs := 0
	g.fixtures = map[string]func() (string, error){
		"ISSUER": func() (string, error) { return env.URL, nil },
		"CLIENT_ID": func() (string, error) {
			clientIDs++
			if clientIDs == 1 {
				return docURL, nil
			}
			return g.fromResponse("client_id")
		},
		"CODE":          func() (string, error) { return g.fromRedirect("code") },
		"ACCESS_TOKEN":  func() (string, error) { return g.fromResponse("access_token") },
		"REFRESH_TOKEN": func() (string, error) { return g.fromResponse("refresh_token") },
	}
	g.run(md)
	g.mustCover("GET /.well-known/oauth-authorization-server", "GET /oauth/authorize",
		"POST /oauth/token authorization_code", "POST /oauth/token refresh_token", "POST /oauth/register", "GET /api/v1/invoices")

	// Both clients' tokens are for the MCP server: the access token the run ended with says so.
	if aud := jwtClaims(t, g.vars["ACCESS_TOKEN"])["aud"]; !strings.Contains(strings.Join(audList(aud), " "), env.URL+"/mcp") {
		t.Errorf("the access token's aud is %v, want %s/mcp", aud, env.URL)
	}
	if clientIDs != 2 {
		t.Errorf("the page set CLIENT_ID %d times, want 2 (the metadata document's URL, then the registered client)", clientIDs)
	}
}

// audList reads an aud claim, a string or an array of them (RFC 7519 §4.1.3).
func audList(aud any) []string {
	switch a := aud.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			s, _ := v.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
