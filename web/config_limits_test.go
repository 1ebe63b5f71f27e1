package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

// Issue 12, item 3: the pool bounds are read from the environment, checked, and default to
// models.Default*; each refusal names its variable.
func TestConfigPoolBounds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		errHas string
		want   models.Options
	}{
		{name: "defaults", want: models.Options{ConnMaxLifetime: 30 * time.Minute, ConnMaxIdleTime: 5 * time.Minute}},
		{name: "set", env: map[string]string{"DEVPORTAL_DB_MAX_CONNS": "25", "DEVPORTAL_DB_CONN_MAX_LIFETIME": "1h", "DEVPORTAL_DB_CONN_MAX_IDLE_TIME": "30s"},
			want: models.Options{MaxConns: 25, ConnMaxLifetime: time.Hour, ConnMaxIdleTime: 30 * time.Second}},
		{name: "max conns zero", env: map[string]string{"DEVPORTAL_DB_MAX_CONNS": "0"}, errHas: "DEVPORTAL_DB_MAX_CONNS"},
		{name: "max conns not a number", env: map[string]string{"DEVPORTAL_DB_MAX_CONNS": "ten"}, errHas: "DEVPORTAL_DB_MAX_CONNS"},
		{name: "max conns too many", env: map[string]string{"DEVPORTAL_DB_MAX_CONNS": "1001"}, errHas: "DEVPORTAL_DB_MAX_CONNS must be between 1 and 1000"},
		{name: "read timeout too short", env: map[string]string{"DEVPORTAL_READ_TIMEOUT": "10ms"}, errHas: "DEVPORTAL_READ_TIMEOUT must be between 100ms and 1h"},
		{name: "write timeout below read timeout", env: map[string]string{"DEVPORTAL_READ_TIMEOUT": "2m", "DEVPORTAL_WRITE_TIMEOUT": "1m"}, errHas: "DEVPORTAL_WRITE_TIMEOUT must be between DEVPORTAL_READ_TIMEOUT and 1h"},
		{name: "idle timeout not a duration", env: map[string]string{"DEVPORTAL_IDLE_TIMEOUT": "2"}, errHas: "DEVPORTAL_IDLE_TIMEOUT"},
		{name: "lifetime too short", env: map[string]string{"DEVPORTAL_DB_CONN_MAX_LIFETIME": "10s"}, errHas: "DEVPORTAL_DB_CONN_MAX_LIFETIME must be between 1m and 24h"},
		{name: "idle longer than lifetime", env: map[string]string{"DEVPORTAL_DB_CONN_MAX_LIFETIME": "10m", "DEVPORTAL_DB_CONN_MAX_IDLE_TIME": "11m"}, errHas: "DEVPORTAL_DB_CONN_MAX_IDLE_TIME must be between 1s and DEVPORTAL_DB_CONN_MAX_LIFETIME"},
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
			if cfg.DB != tc.want {
				t.Errorf("DB = %+v, want %+v", cfg.DB, tc.want)
			}
		})
	}
}
