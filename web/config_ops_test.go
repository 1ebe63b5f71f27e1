package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

// Issue 12 items 1 and 9: the drain timeout and the refresh-reuse grace have working defaults
// (the grace used to default to 0s, so a retry after a crash mid-refresh revoked the grant),
// an operator can still choose a grace of 0s, and out-of-range values are refused by name.
func TestConfigOpsDefaults(t *testing.T) {
	cfg, err := web.ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RefreshGrace != oauth.DefaultRefreshGrace || cfg.RefreshGrace <= 0 {
		t.Errorf("default refresh grace %v, want oauth.DefaultRefreshGrace (%v), more than 0", cfg.RefreshGrace, oauth.DefaultRefreshGrace)
	}
	if cfg.DrainTimeout != 25*time.Second {
		t.Errorf("default drain timeout %v, want 25s", cfg.DrainTimeout)
	}
	env := map[string]string{"DEVPORTAL_REFRESH_REUSE_GRACE": "0s", "DEVPORTAL_DRAIN_TIMEOUT": "2m"}
	cfg, err = web.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.RefreshGrace != 0 || cfg.DrainTimeout != 2*time.Minute {
		t.Fatalf("explicit settings: grace %v, drain %v, %v", cfg.RefreshGrace, cfg.DrainTimeout, err)
	}
	for _, v := range []string{"0s", "11m", "-1s"} {
		_, err := web.ConfigFromEnv(func(k string) string { return map[string]string{"DEVPORTAL_DRAIN_TIMEOUT": v}[k] })
		if err == nil || !strings.Contains(err.Error(), "DEVPORTAL_DRAIN_TIMEOUT") {
			t.Errorf("DEVPORTAL_DRAIN_TIMEOUT=%s: %v, want it refused", v, err)
		}
	}
}
