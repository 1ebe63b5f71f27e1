package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// Fixtures are the known credentials and names of a seeded database: what run and growth need to
// sign in, authenticate and look things up. seed writes them; the file holds secrets of a test
// database only.
type Fixtures struct {
	Scale int `json:"scale"`
	// Admin signs in to the admin pages; Developer owns Web, Machine and Deletable; User has
	// consented to Web (and to a few other applications, for /account/apps).
	Admin     Account `json:"admin"`
	Developer Account `json:"developer"`
	User      Account `json:"user"`
	// Web is the popular application: confidential, consented by User, with most of the grants
	// and all of the activity events.
	Web App `json:"web"`
	// Machine is a machine-to-machine client allowed to introspect.
	Machine App `json:"machine"`
	// Deletable are small applications of Developer, each with a few grants, for the delete row.
	Deletable []string `json:"deletable"`
	// Search terms and filters that each match a few rows, at any scale.
	ClientQuery string `json:"client_query"`
	UserQuery   string `json:"user_query"`
	AuditActor  string `json:"audit_actor"`
	AuditType   string `json:"audit_type"`
}

// Account is a person who can log in.
type Account struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// App is a client with its secret.
type App struct {
	ID          string `json:"client_id"`
	Secret      string `json:"client_secret"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	Scope       string `json:"scope"`
}

func loadFixtures(path string) (*Fixtures, error) {
	if path == "" {
		return nil, fmt.Errorf("-fixtures is required (written by loadtest seed)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

func (f *Fixtures) save(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
