package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
)

// TestMetrics_OnlyOnItsOwnListenerOrWithTheToken: /metrics is served on HERALD_METRICS_ADDR;
// the main listener does not serve it to anyone (it was public), unless HERALD_METRICS_TOKEN
// is set, and then only to that bearer token.
func TestMetrics_OnlyOnItsOwnListenerOrWithTheToken(t *testing.T) {
	t.Parallel()
	get := func(url, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(raw)
	}
	const token = "0123456789abcdef0123456789abcdef-metrics"
	m := startHerald(t, app.Limits{})
	owner := register(t, newClient(t, m), "metrics")
	if st, body := get(m.MetricsURL()+"/metrics", ""); st != http.StatusOK || !strings.Contains(body, "herald_http_requests_total") {
		t.Errorf("the metrics listener = %d, want 200 with Herald's metrics", st)
	}
	for _, auth := range []string{"", "Bearer " + owner.token, "Bearer " + token} {
		if st, body := get(m.URL()+"/metrics", auth); st != http.StatusNotFound || strings.Contains(body, "herald_") {
			t.Errorf("the main listener's /metrics with %q = %d, want 404 without metrics", auth, st)
		}
	}

	tm := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_METRICS_TOKEN": token, "HERALD_METRICS_ADDR": "off"})
	if tm.MetricsURL() != "" {
		t.Errorf("HERALD_METRICS_ADDR=off still listens on %s", tm.MetricsURL())
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + token + "x", token} {
		if st, body := get(tm.URL()+"/metrics", auth); st != http.StatusNotFound || strings.Contains(body, "herald_") {
			t.Errorf("/metrics with the token set and %q = %d, want 404", auth, st)
		}
	}
	if st, body := get(tm.URL()+"/metrics", "Bearer "+token); st != http.StatusOK || !strings.Contains(body, "herald_http_requests_total") {
		t.Errorf("/metrics with the token = %d, want 200 with Herald's metrics", st)
	}
}

// TestMetrics_ABusyDefaultAddressOnlyWarns: the default metrics address may be another
// program's (Prometheus uses 9090), so the command that runs Herald with no setup still
// starts, without the metrics listener; an address the operator chose must be free.
func TestMetrics_ABusyDefaultAddressOnlyWarns(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	m := startHeraldWith(t, app.Limits{}, nil, func(m *Main) { m.Config.MetricsAddr, m.Config.MetricsAddrSet = busy.Addr().String(), false })
	if got := m.MetricsURL(); got != "" {
		t.Errorf("metrics listener on a busy default address = %q, want none", got)
	}
	if res, err := http.Get(m.URL() + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("Herald with a busy default metrics address: healthz %v %v", res, err)
	} else {
		res.Body.Close()
	}

	env := map[string]string{"DATABASE_URL": pgtest.FreshURL(t), "HERALD_ADDR": "127.0.0.1:0", "HERALD_METRICS_ADDR": busy.Addr().String(), "HERALD_DATA_DIR": t.TempDir()}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	chosen := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err = chosen.Run(context.Background())
	chosen.Close()
	if err == nil || !strings.Contains(err.Error(), "HERALD_METRICS_ADDR") {
		t.Errorf("Run with a busy chosen metrics address = %v, want an error naming HERALD_METRICS_ADDR", err)
	}
}
