package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/app"
)

// startHerald runs a real Herald on a free port against this test binary's database and
// stops it when the test ends. Requests from 127.0.0.1 may name their client address in
// X-Forwarded-For, so throttling tests can act as distinct clients.
func startHerald(t testing.TB, limits app.Limits) *Main {
	t.Helper()
	return startHeraldWith(t, limits, nil)
}

// startHeraldWith is startHerald with more environment variables (a provider to use) and
// changes to Main before it runs.
func startHeraldWith(t testing.TB, limits app.Limits, extra map[string]string, opts ...func(*Main)) *Main {
	t.Helper()
	m, err := launchHerald(pgtest.FreshURL(t), t.TempDir(), testWriter{t}, limits, extra, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

// launchHerald runs a Herald on a free port against the database at dbURL, keeping its data
// under dataDir and its warnings in logs.
func launchHerald(dbURL, dataDir string, logs io.Writer, limits app.Limits, extra map[string]string, opts ...func(*Main)) (*Main, error) {
	env := map[string]string{"DATABASE_URL": dbURL, "HERALD_ADDR": "127.0.0.1:0", "HERALD_METRICS_ADDR": "127.0.0.1:0", "HERALD_SHUTDOWN_TIMEOUT": "10s",
		"HERALD_DATA_DIR": dataDir, "HERALD_SANDBOX_LATENCY": "20ms",
		// Many tests make hundreds of API calls from one token; api_ratelimit_test.go sets
		// small limits where it tests them.
		"HERALD_API_RATE_LIMIT": "1000"}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if limits == (app.Limits{}) {
		limits = app.Limits{Window: time.Minute, PerIP: 1_000_000, PerEmail: 1_000_000}
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})), Limits: limits,
		Passwords: testPasswords}
	for _, opt := range opts {
		opt(m)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		return nil, fmt.Errorf("Run: %w", err)
	}
	return m, nil
}

// shared is the Herald that tests needing nothing of their own share (sharedHerald).
var shared struct {
	once sync.Once
	m    *Main
	err  error
	logs lockedBuffer
	stop func() // closes m and drops its database
}

// sharedHerald returns a Herald as startHerald(t, app.Limits{}) does, but one shared by
// every test that asks for it, started on first use and stopped by TestMain after the
// tests: starting one costs a database and a second. Its tests act only through their own
// accounts and companies (register and registerUI make new ones), as the people of one
// Herald do, and never close it; a test that needs its own options, clock, database rows
// or shutdown uses startHerald. Its warnings show when the package fails.
func sharedHerald(t testing.TB) *Main {
	t.Helper()
	shared.once.Do(func() {
		dbURL, drop := pgtest.KeptURL(t)
		dir, err := os.MkdirTemp("", "herald-shared-")
		if err != nil {
			drop()
			shared.err = err
			return
		}
		// A smaller pool than a test's own Herald (20), so it adds little to what the
		// tests' own Heralds running beside it hold.
		shared.m, shared.err = launchHerald(dbURL, dir, &shared.logs, app.Limits{}, map[string]string{"HERALD_DB_MAX_CONNS": "10"})
		shared.stop = func() {
			if shared.m != nil {
				if err := shared.m.Close(); err != nil {
					fmt.Fprintf(os.Stderr, "closing the shared Herald: %v\n", err)
				}
			}
			drop()
			_ = os.RemoveAll(dir)
		}
	})
	if shared.err != nil || shared.m == nil {
		t.Fatalf("the shared Herald did not start: %v", shared.err)
	}
	return shared.m
}

// TestMain stops the shared Herald and Chromium after the tests, and shows its warnings when they failed.
func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.stop != nil {
		chromium.stop()
	}
	if shared.stop != nil {
		shared.stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "the shared Herald's warnings:\n%s", shared.logs.String())
		}
	}
	os.Exit(code)
}

// testPasswords hashes passwords with argon2id at its least cost: the tests make hundreds
// of accounts, and secret.DefaultArgon2id costs a race-detector build about half a second a
// hash. What is tested (hashing, verifying, refusing) is the same; adapters/secret tests
// the production parameters.
var testPasswords = secret.Argon2id{Memory: 8, Time: 1, Threads: 1}

// testWriter sends log lines to the test's log, so they show only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

var unique atomic.Int64

// uniqueEmail returns an address no other test uses.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", prefix, time.Now().UnixNano(), unique.Add(1))
}

// uniqueIP returns a documentation-range address (198.18.0.0/15) no other test or run uses,
// so throttling counters never carry over between tests sharing a database.
func uniqueIP() string {
	n := time.Now().UnixNano()/1000 + unique.Add(1)
	return fmt.Sprintf("198.%d.%d.%d", 18+n%2, (n/2)%256, (n/512)%254+1)
}

// client is an API caller with an optional bearer token and company.
type client struct {
	t       testing.TB
	base    string
	token   string
	company string
	ip      string
	http    *http.Client
	outage  bool // 503 answers are expected (the database outage test)
}

func newClient(t testing.TB, m *Main) *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	recordAnswers(t, hc) // every answer is checked against openapi.json when t ends (openapi_test.go)
	return &client{t: t, base: m.URL(), http: hc}
}

func (c *client) with(token, company string) *client {
	cp := *c
	cp.token, cp.company = token, company
	return &cp
}

// do sends body (a value to encode, a []byte sent as is, or nil) and decodes the answer.
func (c *client) do(method, path string, body any, headers ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.company != "" {
		req.Header.Set("X-Company-ID", c.company)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	if res.StatusCode >= 500 && !c.outage {
		c.t.Errorf("%s %s answered %d: %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, res.Header, out
}

// account is a registered person with their first company.
type account struct {
	token, userID, companyID, email string
}

func register(t testing.TB, c *client, name string) account {
	t.Helper()
	email := uniqueEmail(name)
	st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{
		"email": email, "password": "correct horse battery", "name": name, "company": name + " Inc"})
	if st != http.StatusCreated {
		t.Fatalf("register %s: %d %v", name, st, body)
	}
	return account{token: body["token"].(string), userID: body["user"].(map[string]any)["id"].(string),
		companyID: body["company"].(map[string]any)["id"].(string), email: email}
}

func field(body map[string]any, path ...string) any {
	var v any = body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// problemFields returns the field names of a 422 problem's errors.
func problemFields(body map[string]any) map[string]string {
	out := map[string]string{}
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}
