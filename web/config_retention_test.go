package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/web"
)

// Issue #12, item 8: the retention settings, their documented defaults, and their floor.
func TestConfigRetention(t *testing.T) {
	day := 24 * time.Hour
	load := func(env map[string]string) (web.Config, error) {
		env["DEVPORTAL_SECRET"] = strings.Repeat("s", 32)
		cfg, err := web.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			return cfg, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetainActivity != 90*day || cfg.RetainAudit != 365*day || cfg.RetainRevokedGrants != 30*day {
		t.Fatalf("defaults: activity %v, audit %v, revoked grants %v; want 2160h, 8760h, 720h", cfg.RetainActivity, cfg.RetainAudit, cfg.RetainRevokedGrants)
	}
	cfg, err = load(map[string]string{"DEVPORTAL_RETAIN_ACTIVITY": "48h", "DEVPORTAL_RETAIN_AUDIT": "17520h", "DEVPORTAL_RETAIN_REVOKED_GRANTS": "24h"})
	if err != nil || cfg.RetainActivity != 2*day || cfg.RetainAudit != 730*day || cfg.RetainRevokedGrants != day {
		t.Fatalf("set: %+v, %v", cfg, err)
	}
	for _, name := range []string{"DEVPORTAL_RETAIN_ACTIVITY", "DEVPORTAL_RETAIN_AUDIT", "DEVPORTAL_RETAIN_REVOKED_GRANTS"} {
		if _, err := load(map[string]string{name: "1h"}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=1h: %v, want an error naming it", name, err)
		}
		if _, err := load(map[string]string{name: "ninety days"}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=ninety days: %v, want an error naming it", name, err)
		}
	}
}
