package sandbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestConformance runs the platform contract against the sandbox, driven through its
// Faults hook and clock.
func TestConformance(t *testing.T) {
	t.Parallel()
	platformtest.Run(t, newConformanceFake)
}

const conformanceBase = "http://herald.test"

// conformanceFake is the sandbox with its consent pages on an Echo, a clock of its own
// and a queue of faults.
type conformanceFake struct {
	t  *testing.T
	s  *Sandbox
	e  *echo.Echo
	mu sync.Mutex
	at time.Time
	// next holds the next fault of each operation.
	next map[string]Fault
}

func newConformanceFake(t *testing.T) platformtest.Fake {
	f := &conformanceFake{t: t, e: echo.New(), at: time.Now(), next: map[string]Fault{}}
	f.s = New(pgtest.DB(t).SQL(), Config{BaseURL: conformanceBase, Now: f.now, Faults: f.fault, TokenTTL: 24 * time.Hour})
	f.s.Register(f.e, func(next echo.HandlerFunc) echo.HandlerFunc { return next })
	return f
}

func (f *conformanceFake) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

func (f *conformanceFake) fault(op string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := f.next[op]
	delete(f.next, op)
	return ft
}

func (f *conformanceFake) Adapter() ports.Platform { return f.s }

func (f *conformanceFake) Caps() platformtest.Caps {
	return platformtest.Caps{PKCE: true, Refresh: true, RotatesRefresh: true, RetryAfter: true, Lookup: true, Metrics: true, AltText: true,
		Kinds: []platformtest.Kind{platformtest.Text, platformtest.Image, platformtest.Images, platformtest.Video}}
}

func (f *conformanceFake) RedirectURL() string {
	return conformanceBase + "/api/v1/accounts/callback/sandbox"
}

// Consent allows the request at authURL as a new sandbox user, on the consent page.
func (f *conformanceFake) Consent(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	handle := "c-" + strings.ToLower(rand.Text()[:12])
	form := url.Values{"decision": {"allow"}, "handle": {handle}}
	req := httptest.NewRequest(http.MethodPost, u.RequestURI(), strings.NewReader(form.Encode()))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusFound {
		return "", fmt.Errorf("consent answered %d: %s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		return "", err
	}
	return loc.Query().Get("code"), nil
}

func (f *conformanceFake) Media(kind domain.MediaKind, n int) string {
	if kind == domain.MediaVideo {
		return fmt.Sprintf("https://media.example.com/clip-%d.mp4", n)
	}
	return fmt.Sprintf("https://media.example.com/photo-%d.jpg", n)
}

func (f *conformanceFake) FailNextPublish(kind platformtest.Failure, wait time.Duration) {
	ft := map[platformtest.Failure]Fault{
		platformtest.RateLimited: {Kind: FaultRateLimited, RetryAfter: wait},
		platformtest.Unavailable: {Kind: FaultUnavailable},
	}[kind]
	if ft.Kind == "" {
		f.t.Fatalf("the sandbox gives no %s answer", kind)
	}
	f.mu.Lock()
	f.next["publish"] = ft
	f.mu.Unlock()
}

var _ platformtest.CommentFake = (*conformanceFake)(nil)

func (f *conformanceFake) FailNextComment(kind platformtest.Failure, wait time.Duration) {
	ft := map[platformtest.Failure]Fault{
		platformtest.RateLimited: {Kind: FaultRateLimited, RetryAfter: wait},
		platformtest.Unavailable: {Kind: FaultUnavailable},
	}[kind]
	if ft.Kind == "" {
		f.t.Fatalf("the sandbox gives no %s answer", kind)
	}
	f.mu.Lock()
	f.next["comment"] = ft
	f.mu.Unlock()
}

func (f *conformanceFake) LoseNextCommentAnswer() {
	f.mu.Lock()
	f.next["comment"] = Fault{Kind: FaultLostAnswer}
	f.mu.Unlock()
}

func (f *conformanceFake) Comments(account domain.Account, parent string) []string {
	var texts []string
	if err := f.s.db.Select(&texts, `SELECT text FROM sandbox_posts WHERE user_id = $1 AND starts_with(reference, $2) ORDER BY published_at, id`,
		account.ExternalID, commentPrefix+parent+"/"); err != nil {
		f.t.Fatal(err)
	}
	return texts
}

func (f *conformanceFake) LoseNextPublishAnswer() {
	f.mu.Lock()
	f.next["publish"] = Fault{Kind: FaultLostAnswer}
	f.mu.Unlock()
}

// ExpireAccess moves the sandbox's clock past every access token's lifetime.
func (f *conformanceFake) ExpireAccess(string) {
	f.mu.Lock()
	f.at = f.at.Add(f.s.cfg.TokenTTL + time.Minute)
	f.mu.Unlock()
}

// RevokeRefresh uses the refresh token up, as a reconnection elsewhere would.
func (f *conformanceFake) RevokeRefresh(refresh string) {
	h := digest(refresh)
	if _, err := f.s.db.Exec(`UPDATE sandbox_tokens SET used_at = now() WHERE hash = $1 AND kind = 'refresh'`, h[:]); err != nil {
		f.t.Fatal(err)
	}
}

func (f *conformanceFake) FailNextRefresh() {
	f.mu.Lock()
	f.next["refresh"] = Fault{Kind: FaultUnavailable}
	f.mu.Unlock()
}

func (f *conformanceFake) Posts(account domain.Account) []string {
	var texts []string
	if err := f.s.db.Select(&texts, `SELECT text FROM sandbox_posts WHERE user_id = $1 AND NOT starts_with(reference, $2) ORDER BY published_at, id`,
		account.ExternalID, commentPrefix); err != nil {
		f.t.Fatal(err)
	}
	return texts
}

// SetMetrics lets two hours pass: the sandbox's numbers follow from the post's age.
func (f *conformanceFake) SetMetrics(_ domain.Account, externalID string) domain.Metrics {
	var published time.Time
	if err := f.s.db.GetContext(context.Background(), &published, `SELECT published_at FROM sandbox_posts WHERE id = $1`, externalID); err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.at = f.at.Add(2 * time.Hour)
	at := f.at
	f.mu.Unlock()
	m := metricsAt(externalID, published, at.UTC().Truncate(time.Microsecond))
	if m == (domain.Metrics{}) {
		f.t.Fatal("two hours on, the sandbox still reports no numbers")
	}
	return m
}

func (f *conformanceFake) Secrets() []string { return nil }

// Received reads what the sandbox recorded: it digests library files as it receives them
// and, like a platform that pulls, fetches media given by address.
func (f *conformanceFake) Received(_ domain.Account, externalID string) []platformtest.Received {
	media, err := f.s.Received(context.Background(), externalID)
	if err != nil {
		f.t.Fatalf("Received: %v", err)
	}
	out := make([]platformtest.Received, len(media))
	for i, m := range media {
		out[i] = platformtest.Received{SHA256: m.SHA256, Alt: m.Alt}
		if m.SHA256 == "" {
			if out[i].SHA256, err = platformtest.DigestOf(m.URL); err != nil {
				f.t.Fatalf("Received: %v", err)
			}
		}
	}
	return out
}
