package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
)

// pgProxy forwards TCP connections to PostgreSQL until it is cut: then it drops every
// connection and refuses new ones, as an unreachable database server does.
type pgProxy struct {
	t            *testing.T
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	p := &pgProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
}

// cut drops every connection and stops listening.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *pgProxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// lockedBuffer collects log lines from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDatabaseOutage_AnswersServiceUnavailableAndRecovers: while the database is
// unreachable, the API answers 503 with Retry-After and a problem body (never 500),
// /metrics keeps serving, the outage is logged once and its end once, and Herald
// recovers by itself (issue 11.5).
func TestDatabaseOutage_AnswersServiceUnavailableAndRecovers(t *testing.T) {
	t.Parallel()
	dbURL, err := url.Parse(pgtest.FreshURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, dbURL.Host)
	dbURL.Host = proxy.addr
	logs := &lockedBuffer{}
	m := startHeraldWith(t, app.Limits{}, map[string]string{"DATABASE_URL": dbURL.String()}, func(m *Main) {
		m.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	c := newClient(t, m)
	me := register(t, c, "outage")
	authed := c.with(me.token, me.companyID)
	authed.outage = true
	if st, _, _ := authed.do(http.MethodGet, "/api/v1/posts", nil); st != http.StatusOK {
		t.Fatalf("before the outage: %d", st)
	}

	proxy.cut()
	for i := range 12 {
		for _, probe := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/posts"},
			{http.MethodGet, "/api/v1/auth/me"},
			{http.MethodPost, "/api/v1/posts"},
		} {
			var body any
			if probe.method == http.MethodPost {
				body = map[string]any{"content": "during the outage", "account_ids": []string{}}
			}
			st, h, problem := authed.do(probe.method, probe.path, body)
			if st != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(problem["detail"].(string), "database") {
				t.Errorf("probe %d %s %s during the outage: %d, Retry-After %q, %s, %v", i, probe.method, probe.path, st, h.Get("Retry-After"), h.Get("Content-Type"), problem)
			}
		}
		res, err := http.Get(m.MetricsURL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(metrics), "herald_database_up 0") ||
			!strings.Contains(string(metrics), "herald_http_requests_total") {
			t.Errorf("/metrics during the outage: %d\n%s", res.StatusCode, metrics)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if res, err := http.Get(m.URL() + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %v %v", res.StatusCode, err)
	}
	during := logs.String()
	if n := strings.Count(during, "level=ERROR"); n != 1 || !strings.Contains(during, "database is unreachable") {
		t.Errorf("%d error lines during the outage, want the one saying so:\n%s", n, during)
	}
	if n := strings.Count(during, "level=WARN"); n > 2 { // the development key's warning, at start
		t.Errorf("%d warnings during the outage:\n%s", n, during)
	}

	proxy.restore()
	deadline := time.Now().Add(time.Minute)
	for {
		st, _, _ := authed.do(http.MethodGet, "/api/v1/posts", nil)
		if st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered a minute after the database came back: %d", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitUntil := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "database is reachable again") && time.Now().Before(waitUntil) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "database is reachable again"); n != 1 {
		t.Errorf("the outage's end was logged %d times:\n%s", n, logs.String())
	}
}
