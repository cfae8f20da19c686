package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// wantRate checks an answer's RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers-10).
func wantRate(t *testing.T, what string, h http.Header, policy, state string) {
	t.Helper()
	if got := h.Get("RateLimit-Policy"); got != policy {
		t.Errorf("%s: RateLimit-Policy = %q, want %q", what, got, policy)
	}
	if got := h.Get("RateLimit"); got != state {
		t.Errorf("%s: RateLimit = %q, want %q", what, got, state)
	}
}

// want429 checks an answer is the rate-limit problem with Retry-After 45 (the frozen
// clock stands 15 seconds into its minute) naming who, and no quota left.
func want429(t *testing.T, what string, st int, h http.Header, body map[string]any, who string) {
	t.Helper()
	if st != http.StatusTooManyRequests || body["type"] != "urn:herald:problem:rate_limited" || body["status"] != float64(429) ||
		!strings.Contains(h.Get("Content-Type"), "application/problem+json") || !strings.Contains(body["detail"].(string), who) {
		t.Errorf("%s = %d %s %v, want a 429 problem naming %q", what, st, h.Get("Content-Type"), body, who)
	}
	if got := h.Get("Retry-After"); got != "45" {
		t.Errorf("%s: Retry-After = %q, want 45", what, got)
	}
	if !strings.Contains(h.Get("RateLimit"), ";r=0;t=45") {
		t.Errorf("%s: RateLimit = %q, want a quota with nothing left", what, h.Get("RateLimit"))
	}
}

// TestAPI_RateLimits runs Herald with the plans' API limits scaled by 1/20: a free
// company's token may make 3 requests a minute, the company 6, and a caller outside any
// company 3 (per token, or per address without one).
func TestAPI_RateLimits(t *testing.T) {
	t.Parallel()
	clock, advance := frozenAuthClock()
	advance(15 * time.Second)
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_API_RATE_LIMIT": "0.05"}, clock)
	const (
		callerPolicy  = `"caller";q=3;w=60`
		tokenPolicy   = `"token";q=3;w=60`
		companyPolicy = `"token";q=3;w=60, "company";q=6;w=60`
	)

	c := newClient(t, m)
	c.ip = uniqueIP()
	st, h, body := c.do("POST", "/api/v1/auth/register", map[string]string{
		"email": uniqueEmail("rl"), "password": "correct horse battery", "name": "rl", "company": "Rate Inc"})
	if st != http.StatusCreated {
		t.Fatalf("register: %d %v", st, body)
	}
	wantRate(t, "register (by address)", h, callerPolicy, `"caller";r=2;t=45`)
	session, company := body["token"].(string), body["company"].(map[string]any)["id"].(string)

	// Refused credentials count against the address too, and say so.
	st, h, _ = c.with("hrld_not-a-token", "").do("GET", "/api/v1/auth/me", nil)
	if st != http.StatusUnauthorized {
		t.Fatalf("a bad token = %d, want 401", st)
	}
	wantRate(t, "a bad token", h, callerPolicy, `"caller";r=1;t=45`)
	c.do("GET", "/api/v1/auth/me", nil) // no credentials: 401, the address's third
	st, h, body = c.do("GET", "/api/v1/auth/me", nil)
	want429(t, "a fourth request from the address", st, h, body, "this address may make 3 requests a minute")

	// Outside a company a token has its own quota; the session makes two personal tokens.
	s := c.with(session, "")
	s.ip = uniqueIP()
	var personal []string
	for i, want := range []string{`"token";r=2;t=45`, `"token";r=1;t=45`} {
		st, h, body := s.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "script"})
		if st != http.StatusCreated {
			t.Fatalf("token %d: %d %v", i, st, body)
		}
		wantRate(t, "creating a token", h, tokenPolicy, want)
		personal = append(personal, body["token"].(string))
	}

	// In the company both quotas count: the session's third request is its last.
	st, h, _ = s.with(session, company).do("GET", "/api/v1/members", nil)
	if st != http.StatusOK {
		t.Fatalf("members = %d", st)
	}
	wantRate(t, "members with the session", h, companyPolicy, `"token";r=0;t=45, "company";r=5;t=45`)
	st, h, body = s.with(session, company).do("GET", "/api/v1/members", nil)
	want429(t, "the session's fourth request", st, h, body, "this token may make 3 requests a minute")

	// The first personal token is not the session: its own 3 requests, which the company
	// counts too (the session's refused request counted for the company as well: 2 of 6).
	p1 := s.with(personal[0], company)
	for i := range 3 {
		if st, _, body := p1.do("GET", "/api/v1/posts", nil); st != http.StatusOK {
			t.Fatalf("personal token 1, request %d: %d %v", i+1, st, body)
		}
	}
	st, h, body = p1.do("GET", "/api/v1/posts", nil)
	want429(t, "personal token 1's fourth request", st, h, body, "this token")

	// Another company's traffic has its own counter.
	other := newClient(t, m)
	other.ip = uniqueIP()
	theirs := register(t, other, "rival")
	for range 2 {
		if st, _, _ := other.with(theirs.token, theirs.companyID).do("GET", "/api/v1/posts", nil); st != http.StatusOK {
			t.Fatalf("the rival company = %d", st)
		}
	}

	// The second personal token has requests left, but the company has 6 counted: its
	// first request is the seventh.
	p2 := s.with(personal[1], company)
	st, h, body = p2.do("GET", "/api/v1/posts", nil)
	want429(t, "a fresh token of a company past its limit", st, h, body, "this company may make 6 requests a minute")
	wantRate(t, "the company past its limit", h, companyPolicy, `"token";r=2;t=45, "company";r=0;t=45`)

	// The rival company is still within its own limit.
	st, h, _ = other.with(theirs.token, theirs.companyID).do("GET", "/api/v1/posts", nil)
	if st != http.StatusOK {
		t.Errorf("the rival company after this one's limit = %d, want 200", st)
	}
	wantRate(t, "the rival company", h, companyPolicy, `"token";r=0;t=45, "company";r=3;t=45`)

	// Unknown addresses and refused memberships are answered with the fields as well.
	st, h, _ = other.with(theirs.token, company).do("GET", "/api/v1/posts", nil)
	if st != http.StatusNotFound || h.Get("RateLimit-Policy") == "" || h.Get("RateLimit") == "" {
		t.Errorf("another company's id = %d with %q / %q, want 404 with the RateLimit fields", st, h.Get("RateLimit-Policy"), h.Get("RateLimit"))
	}

	// The operator sees the plan's limits.
	root := superadmin(t, m, other)
	if st, _, body := root.do("GET", "/api/v1/admin/companies/"+company, nil); st != http.StatusOK ||
		field(body, "limits", "api_requests_per_minute") != float64(120) || field(body, "limits", "api_token_requests_per_minute") != float64(60) {
		t.Errorf("the operator's view of the company = %d %v, want the free plan's API limits", st, body["limits"])
	}

	// A new minute starts every count again.
	advance(45 * time.Second)
	st, h, _ = s.with(session, company).do("GET", "/api/v1/members", nil)
	if st != http.StatusOK {
		t.Fatalf("the session in the next minute = %d, want 200", st)
	}
	wantRate(t, "the next minute", h, companyPolicy, `"token";r=2;t=60, "company";r=5;t=60`)
}

// TestAPI_RateLimitsOff checks HERALD_API_RATE_LIMIT=0 turns limiting and its fields off.
func TestAPI_RateLimitsOff(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_API_RATE_LIMIT": "0"})
	c := newClient(t, m)
	a := register(t, c, "unlimited")
	for i := range 70 { // more than any plan's per-minute quota for one caller outside a company
		st, h, _ := c.with(a.token, "").do("GET", "/api/v1/auth/me", nil)
		if st != http.StatusOK || h.Get("RateLimit") != "" || h.Get("RateLimit-Policy") != "" {
			t.Fatalf("request %d without limits = %d with %q, want 200 without RateLimit fields", i+1, st, h.Get("RateLimit"))
		}
	}
}
