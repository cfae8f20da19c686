// Package sandbox is Herald's simulated social network: a ports.Platform whose consent page,
// users, tokens, posts and metrics live in Herald's own database (the sandbox_* tables of
// migration 000005), so connecting, publishing and analytics work offline. It behaves like a
// real platform: single-use authorization codes bound to a redirect address and a PKCE
// challenge, expiring access tokens, rotating refresh tokens, publish latency, injected
// failures, and metrics that grow as posts age.
//
// It imports domain and ports only; cmd/herald builds it and registers its pages.
package sandbox

import (
	"crypto/sha256"
	"database/sql"
	"html/template"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Sandbox is the simulated network. It is safe for concurrent use.
type Sandbox struct {
	db    *sqlx.DB
	cfg   Config
	base  *url.URL // cfg.BaseURL parsed; nil when it is not an absolute URL
	pages map[string]*template.Template

	tokens     tokenCache
	transients atomic.Uint64 // alternates the kind of transient failure
	stored     atomic.Int64  // posts this process stored (Stored)
	writer     postWriter    // stores published posts in groups
}

var _ ports.Platform = (*Sandbox)(nil)

// New returns the sandbox over db, which must have Herald's migrations applied. A zero
// cfg.TokenTTL means one hour and a nil cfg.Now means time.Now; a trailing slash on
// cfg.BaseURL is ignored.
func New(db *sql.DB, cfg Config) *Sandbox {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = defaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Sandbox{db: sqlx.NewDb(db, "pgx"), cfg: cfg, pages: parsePages()}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		s.base = u
	}
	s.tokens.entries = map[[sha256.Size]byte]cachedToken{}
	return s
}

// Stored returns how many posts this Sandbox value (one Herald process) has stored since it
// was made, lost answers included: with several instances on one database, each one's count
// says how much of a burst it published (the /metrics counter herald_sandbox_posts_stored_total).
func (s *Sandbox) Stored() int64 { return s.stored.Load() }

// Platform returns domain.Sandbox.
func (s *Sandbox) Platform() domain.Platform { return domain.Sandbox }

// now reads the clock at the precision PostgreSQL keeps, so a time read back compares equal.
func (s *Sandbox) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// postURL is a post's public permalink.
func (s *Sandbox) postURL(id string) string { return s.cfg.BaseURL + "/sandbox/posts/" + id }

// digest is what the sandbox stores of a code or token: its SHA-256.
func digest(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// cachedToken is a valid access token remembered for a short while, so thousands of
// publishes with one token do not each query it.
type cachedToken struct {
	userID  string
	expires time.Time // the token's own expiry, checked on every use
	until   time.Time // when to ask the database again
}

// tokenCache remembers valid access tokens by hash. It never remembers a refusal.
type tokenCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

const (
	tokenCacheTTL  = 30 * time.Second
	tokenCacheSize = 10_000
)

func (tc *tokenCache) get(h [sha256.Size]byte, now time.Time) (cachedToken, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e, ok := tc.entries[h]
	if !ok || !now.Before(e.until) {
		return cachedToken{}, false
	}
	return e, true
}

func (tc *tokenCache) put(h [sha256.Size]byte, e cachedToken) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= tokenCacheSize {
		clear(tc.entries) // crude, but a cache miss costs only one query
	}
	tc.entries[h] = e
}
