package sandbox_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/domain"
)

const (
	baseURL  = "http://herald.test"
	callback = baseURL + "/api/v1/accounts/callback/sandbox"
)

// clock is a test's own time, moved by hand; its timers fire when Add moves it past their
// time.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	c  chan time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// After returns a channel that receives the clock's time once Add has moved it d on.
func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.t.Add(d), c: ch})
	return ch
}

// Waiting returns how many timers have not fired yet.
func (c *clock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	left := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.t) {
			left = append(left, w)
			continue
		}
		w.c <- c.t
	}
	c.waiters = left
}

// eventually polls cond with a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
	}
}

// fixture is one test's sandbox on the test binary's database, with its pages on e.
type fixture struct {
	s     *sandbox.Sandbox
	e     *echo.Echo
	db    *sql.DB
	clock *clock
}

// allowAll is an operator middleware that lets everyone in.
func allowAll(next echo.HandlerFunc) echo.HandlerFunc { return next }

// setup returns a sandbox with cfg, no latency unless cfg says otherwise, base address
// baseURL and a clock of its own.
func setup(t *testing.T, cfg sandbox.Config) *fixture {
	t.Helper()
	db := openDB(t)
	clk := &clock{t: time.Now()}
	cfg.BaseURL, cfg.Now, cfg.After = baseURL, clk.Now, clk.After
	f := &fixture{s: sandbox.New(db, cfg), e: echo.New(), db: db, clock: clk}
	f.s.Register(f.e, allowAll)
	return f
}

// do sends a request to the fixture's pages; a non-nil form is posted as the body.
func (f *fixture) do(t *testing.T, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// authorize consents as handle to a request made with verifier and returns the code.
func (f *fixture) authorize(t *testing.T, handle, verifier string) string {
	t.Helper()
	u, err := url.Parse(f.s.AuthCodeURL("state-1", verifier, callback))
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	rec := f.do(t, http.MethodPost, u.RequestURI(), url.Values{"decision": {"allow"}, "handle": {handle}})
	if rec.Code != http.StatusFound {
		t.Fatalf("POST allow = %d, want 302; body:\n%s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("Location %q has no code", loc)
	}
	return code
}

// connect runs the whole connect flow as a new sandbox user and returns its credentials
// and the account Herald would store.
func (f *fixture) connect(t *testing.T) (domain.Credentials, domain.Account) {
	t.Helper()
	verifier := newVerifier()
	handle := uniqueHandle()
	ids, err := f.s.Exchange(context.Background(), f.authorize(t, handle, verifier), verifier, callback)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if len(ids) != 1 {
		t.Fatalf("Exchange returned %d identities, want 1", len(ids))
	}
	return ids[0].Credentials, domain.Account{
		Platform: domain.Sandbox, ExternalID: ids[0].ExternalID, DisplayName: ids[0].DisplayName, Status: domain.AccountActive,
	}
}

// postsWithReference counts the sandbox's posts with ref: the evidence of how often Herald published.
func (f *fixture) postsWithReference(t *testing.T, ref string) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM sandbox_posts WHERE reference = $1`, ref).Scan(&n); err != nil {
		t.Fatalf("count posts: %v", err)
	}
	return n
}

// newVerifier is a PKCE verifier as oauth2.GenerateVerifier makes them.
func newVerifier() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// uniqueHandle keeps parallel tests' sandbox users apart.
func uniqueHandle() string { return "t-" + strings.ToLower(rand.Text()[:12]) }

// uniqueReference keeps parallel tests' posts apart.
func uniqueReference() string { return "ref-" + rand.Text() }

func wantCode(t *testing.T, what string, err error, want domain.Code) {
	t.Helper()
	if got := domain.CodeOf(err); got != want {
		t.Fatalf("CodeOf(%s) = %q, want %q; err = %v", what, got, want, err)
	}
}
