package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/web"
)

// Issue #8 findings 12 and 14: the new settings and their checks. Each row is an environment; a
// row with errHas must be refused with a message naming what to change.
func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		errHas string
		check  func(t *testing.T, cfg web.Config)
	}{
		{name: "defaults", check: func(t *testing.T, cfg web.Config) {
			if cfg.RefreshFamilyTTL != 90*24*time.Hour || cfg.SessionIdleTimeout != 24*time.Hour || cfg.AllowInsecureIssuer {
				t.Errorf("family %v, idle %v, insecure %v; want 2160h, 24h, false", cfg.RefreshFamilyTTL, cfg.SessionIdleTimeout, cfg.AllowInsecureIssuer)
			}
		}},

		// Finding 14: plain http only on loopback, or when the operator says so.
		{name: "http on localhost", env: map[string]string{"DEVPORTAL_ISSUER": "http://localhost:8080"}},
		{name: "http on LOCALHOST", env: map[string]string{"DEVPORTAL_ISSUER": "http://LOCALHOST:8080"}},
		{name: "http on 127.0.0.1", env: map[string]string{"DEVPORTAL_ISSUER": "http://127.0.0.1:9000"}},
		{name: "http on 127.8.9.10", env: map[string]string{"DEVPORTAL_ISSUER": "http://127.8.9.10"}},
		{name: "http on [::1]", env: map[string]string{"DEVPORTAL_ISSUER": "http://[::1]:8080"}},
		{name: "https anywhere", env: map[string]string{"DEVPORTAL_ISSUER": "https://auth.example.com"}},
		{name: "http on a public name", env: map[string]string{"DEVPORTAL_ISSUER": "http://auth.example.com"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "http on a private address", env: map[string]string{"DEVPORTAL_ISSUER": "http://192.168.1.10:8080"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "http on all interfaces", env: map[string]string{"DEVPORTAL_ISSUER": "http://0.0.0.0:8080"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "http on a name that starts like localhost", env: map[string]string{"DEVPORTAL_ISSUER": "http://localhost.attacker.example"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "http on a name that starts like 127.0.0.1", env: map[string]string{"DEVPORTAL_ISSUER": "http://127.0.0.1.nip.io"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "http on a public name, allowed", env: map[string]string{"DEVPORTAL_ISSUER": "http://auth.test.internal", "DEVPORTAL_ALLOW_INSECURE_ISSUER": "true"},
			check: func(t *testing.T, cfg web.Config) {
				if !cfg.AllowInsecureIssuer || cfg.SecureCookies() {
					t.Errorf("insecure %v, secure cookies %v", cfg.AllowInsecureIssuer, cfg.SecureCookies())
				}
			}},
		{name: "explicitly not allowed", env: map[string]string{"DEVPORTAL_ISSUER": "http://auth.example.com", "DEVPORTAL_ALLOW_INSECURE_ISSUER": "false"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
		{name: "allow takes only true or false", env: map[string]string{"DEVPORTAL_ALLOW_INSECURE_ISSUER": "yes"}, errHas: "DEVPORTAL_ALLOW_INSECURE_ISSUER"},

		// Finding 12: the refresh-family lifetime.
		{name: "family 1h", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "1h", "DEVPORTAL_REFRESH_TOKEN_TTL": "1h"}},
		{name: "family 8760h", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "8760h"}},
		{name: "family below 1h", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "30m"}, errHas: "DEVPORTAL_REFRESH_FAMILY_TTL must be between 1h and 8760h"},
		{name: "family above 8760h", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "8761h"}, errHas: "DEVPORTAL_REFRESH_FAMILY_TTL must be between 1h and 8760h"},
		{name: "family shorter than a refresh token", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "100h", "DEVPORTAL_REFRESH_TOKEN_TTL": "200h"}, errHas: "at least DEVPORTAL_REFRESH_TOKEN_TTL"},
		{name: "family unset follows a longer refresh token", env: map[string]string{"DEVPORTAL_REFRESH_TOKEN_TTL": "8760h"}, check: func(t *testing.T, cfg web.Config) {
			if cfg.RefreshFamilyTTL != 8760*time.Hour {
				t.Errorf("family %v, want 8760h", cfg.RefreshFamilyTTL)
			}
		}},
		{name: "family not a duration", env: map[string]string{"DEVPORTAL_REFRESH_FAMILY_TTL": "90d"}, errHas: "DEVPORTAL_REFRESH_FAMILY_TTL"},

		// Finding 12: the session idle timeout.
		{name: "idle 5m", env: map[string]string{"DEVPORTAL_SESSION_IDLE_TIMEOUT": "5m"}},
		{name: "idle equal to the session lifetime", env: map[string]string{"DEVPORTAL_SESSION_IDLE_TIMEOUT": "168h"}},
		{name: "idle below 5m", env: map[string]string{"DEVPORTAL_SESSION_IDLE_TIMEOUT": "4m"}, errHas: "DEVPORTAL_SESSION_IDLE_TIMEOUT must be between 5m and DEVPORTAL_SESSION_TTL"},
		{name: "idle longer than the session", env: map[string]string{"DEVPORTAL_SESSION_IDLE_TIMEOUT": "169h"}, errHas: "DEVPORTAL_SESSION_IDLE_TIMEOUT must be between 5m and DEVPORTAL_SESSION_TTL"},
		{name: "idle unset follows a shorter session", env: map[string]string{"DEVPORTAL_SESSION_TTL": "1h"}, check: func(t *testing.T, cfg web.Config) {
			if cfg.SessionIdleTimeout != time.Hour {
				t.Errorf("idle %v, want 1h", cfg.SessionIdleTimeout)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := web.ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, cfg)
			}
		})
	}
}

// Issue #8 finding 14: on PostgreSQL, which several instances share, the server secret must come
// from DEVPORTAL_SECRET; an instance generating its own would reject the others' CSRF tokens and
// could not unseal their signing keys. SQLite still generates one on first start.
func TestLoadSecret(t *testing.T) {
	const pg = "postgres://devportal@db.example/devportal"
	load := func(t *testing.T, env map[string]string, secretFile string) (web.Config, bool, error) {
		t.Helper()
		cfg, err := web.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if secretFile != "" {
			cfg.SecretFile = secretFile
		}
		generated, err := cfg.LoadSecret()
		return cfg, generated, err
	}
	t.Run("PostgreSQL without DEVPORTAL_SECRET", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "secret")
		_, _, err := load(t, map[string]string{"DEVPORTAL_DATABASE_URL": pg}, file)
		if err == nil || !strings.Contains(err.Error(), "DEVPORTAL_SECRET must be set") || !strings.Contains(err.Error(), "every instance") {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(file); err == nil {
			t.Error("a secret file was generated anyway")
		}
	})
	t.Run("PostgreSQL after an instance generated a secret file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(file, []byte(strings.Repeat("f", 43)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := load(t, map[string]string{"DEVPORTAL_DATABASE_URL": "postgresql://devportal@db.example/devportal"}, file)
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Fatalf("err = %v, want it to point at %s", err, file)
		}
	})
	t.Run("PostgreSQL with DEVPORTAL_SECRET", func(t *testing.T) {
		cfg, generated, err := load(t, map[string]string{"DEVPORTAL_DATABASE_URL": pg, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}, "")
		if err != nil || generated || string(cfg.Secret) != strings.Repeat("s", 32) {
			t.Fatalf("secret %q, generated %v, err %v", cfg.Secret, generated, err)
		}
	})
	t.Run("SQLite generates one", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "devportal.db")
		cfg, generated, err := load(t, map[string]string{"DEVPORTAL_DATABASE_URL": db}, "")
		if err != nil || !generated || len(cfg.Secret) < 32 {
			t.Fatalf("secret %d bytes, generated %v, err %v", len(cfg.Secret), generated, err)
		}
	})
}
