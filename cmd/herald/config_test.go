package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestLoadConfig_Defaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatalf("LoadConfig(empty) error: %v", err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.BaseURL.String() != "http://127.0.0.1:8080" ||
		c.DBMaxConns != 20 || c.ShutdownTimeout != 30*time.Second || c.DatabaseURL != "" || c.SecureCookies() ||
		len(c.MetricsSchedule) != len(domain.DefaultMetricsSchedule) || c.MetricsAddr != "127.0.0.1:9090" || c.MetricsToken != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfig_ReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig(env(map[string]string{
		"DATABASE_URL":            "mysql://x",
		"HERALD_ADDR":             "nonsense",
		"HERALD_BASE_URL":         "ftp://x",
		"HERALD_LOG_FORMAT":       "xml",
		"HERALD_LOG_LEVEL":        "loud",
		"HERALD_TRUSTED_PROXIES":  "10.0.0.0/8, banana",
		"HERALD_DB_MAX_CONNS":     "1",
		"HERALD_PUBLISH_WORKERS":  "0",
		"HERALD_SHUTDOWN_TIMEOUT": "-1s",
		"HERALD_METRICS_SCHEDULE": "6h:15m,1h:5m",
		"HERALD_METRICS_ADDR":     "9090",
		"HERALD_METRICS_TOKEN":    "short",
		"HERALD_API_RATE_LIMIT":   "-1",
	}))
	if err == nil {
		t.Fatal("LoadConfig(bad) = nil error")
	}
	for _, name := range []string{"DATABASE_URL", "HERALD_ADDR", "HERALD_BASE_URL", "HERALD_LOG_FORMAT", "HERALD_LOG_LEVEL",
		"HERALD_TRUSTED_PROXIES", "HERALD_DB_MAX_CONNS", "HERALD_PUBLISH_WORKERS", "HERALD_SHUTDOWN_TIMEOUT", "HERALD_METRICS_SCHEDULE", "HERALD_METRICS_ADDR", "HERALD_METRICS_TOKEN", "HERALD_API_RATE_LIMIT"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestLoadConfig_HTTPSBaseURLMakesCookiesSecure(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(env(map[string]string{"HERALD_BASE_URL": "https://herald.example.com/", "HERALD_ADDR": ":9000",
		"HERALD_TRUSTED_PROXIES": "10.0.0.0/8,192.168.1.10"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecureCookies() || c.BaseURL.String() != "https://herald.example.com" || len(c.TrustedProxies) != 2 {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadConfig_SMTP(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(env(nil))
	if err != nil || c.SMTP != nil {
		t.Fatalf("LoadConfig(no SMTP) = %+v, %v; want no SMTP", c.SMTP, err)
	}
	c, err = LoadConfig(env(map[string]string{"HERALD_SMTP_URL": "smtp://herald:s3cret@mail.example.com", "HERALD_SMTP_FROM": "Herald <herald@example.com>"}))
	if err != nil || c.SMTP == nil || c.SMTP.Host != "mail.example.com" || c.SMTP.Port != "587" || c.SMTP.From.Address != "herald@example.com" {
		t.Fatalf("LoadConfig(SMTP) = %+v, %v", c.SMTP, err)
	}
	_, err = LoadConfig(env(map[string]string{"HERALD_SMTP_URL": "smtp://herald:s3cret@127.0.0.1:1025?tls=none"}))
	if err == nil || !strings.Contains(err.Error(), "HERALD_SMTP_URL: tls=none would send the credentials in clear") ||
		!strings.Contains(err.Error(), "HERALD_SMTP_FROM: must be set") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("LoadConfig(bad SMTP) = %v; want both variables named and no password", err)
	}
}
