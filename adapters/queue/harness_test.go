package queue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/adapters/webhook"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// fakeNetwork is a scripted social network for the publishing pipeline's tests: it keeps
// what was published per reference (the evidence of exactly-once), and answers each
// publish through script, which a test sets to play errors and slowness.
type fakeNetwork struct {
	name      domain.Platform // which network it pretends to be (sandbox by default)
	mu        sync.Mutex
	posts     map[string]int // reference -> times published
	script    func(n int, ref string) error
	calls     atomic.Int64
	refreshes atomic.Int64
	lookup    bool // whether Lookup can answer
	// tokens: the valid access and refresh tokens; Refresh rotates both.
	access, refresh string
	refreshFn       func() error
	metricsFn       func(externalID string) (domain.Metrics, error)
	refreshDelay    time.Duration
	seq             atomic.Int64
	// hold, when set, makes Publish wait until it is closed or the call's context ends
	// (a platform call in flight); started is told when a call begins waiting.
	hold    chan struct{}
	started chan struct{}
	// identity is the external id of the account the next connect flow grants.
	identity string
	// omitRefresh makes exchanges and refreshes answer without a refresh token, as
	// platforms do that keep the one they gave; tokenLife is how long access tokens last
	// (zero: an hour).
	omitRefresh bool
	tokenLife   time.Duration
}

// answer is the tokens an exchange or refresh answers with.
func (f *fakeNetwork) answer() domain.Credentials {
	life := f.tokenLife
	if life == 0 {
		life = time.Hour
	}
	c := domain.Credentials{AccessToken: f.access, RefreshToken: f.refresh, Expiry: time.Now().Add(life)}
	if f.omitRefresh {
		c.RefreshToken = ""
	}
	return c
}

func newFakeNetwork() *fakeNetwork {
	return &fakeNetwork{name: domain.Sandbox, posts: map[string]int{}, lookup: true, access: "at-0", refresh: "rt-0", identity: "fake-user-1"}
}

func (f *fakeNetwork) Platform() domain.Platform { return f.name }

func (f *fakeNetwork) AuthCodeURL(state, verifier, redirect string) string {
	return "https://fake.example/authorize?" + url.Values{"state": {state}, "redirect_uri": {redirect}}.Encode()
}

func (f *fakeNetwork) Exchange(_ context.Context, code, verifier, _ string) ([]domain.Identity, error) {
	if code != "good-code" || len(verifier) < 43 {
		return nil, domain.Errorf(domain.CodeInvalid, "The fake network did not accept that code.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return []domain.Identity{{ExternalID: f.identity, DisplayName: "Fake " + f.identity, Credentials: f.answer()}}, nil
}

func (f *fakeNetwork) Refresh(_ context.Context, c domain.Credentials) (domain.Credentials, error) {
	f.refreshes.Add(1)
	time.Sleep(f.refreshDelay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refreshFn != nil {
		if err := f.refreshFn(); err != nil {
			return domain.Credentials{}, err
		}
	}
	if c.RefreshToken != f.refresh {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "invalid_grant: refresh token already used")
	}
	n := f.seq.Add(1)
	f.access = fmt.Sprintf("at-%d", n)
	if !f.omitRefresh {
		f.refresh = fmt.Sprintf("rt-%d", n)
	}
	return f.answer(), nil
}

func (f *fakeNetwork) Publish(ctx context.Context, c domain.Credentials, _ domain.Account, p ports.Publication) (ports.Published, error) {
	n := int(f.calls.Add(1))
	f.mu.Lock()
	valid := c.AccessToken == f.access
	script, hold, started := f.script, f.hold, f.started
	f.mu.Unlock()
	if !valid {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "The access token expired.")
	}
	if hold != nil {
		if started != nil {
			started <- struct{}{}
		}
		select {
		case <-hold:
		case <-ctx.Done():
			return ports.Published{}, ctx.Err()
		}
	}
	if script != nil {
		if err := script(n, p.Reference); err != nil {
			return ports.Published{}, err
		}
	}
	return f.record(p.Reference), ctx.Err()
}

func (f *fakeNetwork) record(ref string) ports.Published {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts[ref]++
	return ports.Published{ExternalID: "ext-" + ref, URL: "https://fake.example/p/" + ref, At: time.Now()}
}

func (f *fakeNetwork) Lookup(_ context.Context, _ domain.Credentials, _ domain.Account, p ports.Publication) (ports.Published, bool, error) {
	if !f.lookup {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.posts[p.Reference] > 0 {
		return ports.Published{ExternalID: "ext-" + p.Reference, URL: "https://fake.example/p/" + p.Reference}, true, nil
	}
	return ports.Published{}, false, nil
}

func (f *fakeNetwork) Metrics(_ context.Context, c domain.Credentials, _ domain.Account, externalID string) (domain.Metrics, error) {
	f.mu.Lock()
	fn, valid := f.metricsFn, c.AccessToken == f.access
	f.mu.Unlock()
	if !valid {
		return domain.Metrics{}, domain.Errorf(domain.CodeUnauthenticated, "The access token expired.")
	}
	if fn != nil {
		return fn(externalID)
	}
	return domain.Metrics{}, nil
}

func (f *fakeNetwork) published(ref string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts[ref]
}

func (f *fakeNetwork) total() (refs, posts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.posts {
		refs++
		posts += n
	}
	return refs, posts
}

// harness is Herald's publishing side on a fresh database: store, River, authorizer, the
// use cases, one company with an owner, and a fake network.
type harness struct {
	t        *testing.T
	ctx      context.Context
	db       *postgres.DB
	q        *queue.Queue
	authz    *authz.Enforcer
	ring     *secret.KeyRing
	fake     *fakeNetwork
	app      *app.Services // built by app.New, as cmd/herald does
	creds    *app.Credentials
	accounts *app.Accounts
	posts    *app.Posts
	pub      *app.Publishing
	analytic *app.Analytics
	hooks    *app.Webhooks
	// skew moves the webhook use cases' clock ahead of the wall clock (nanoseconds).
	skew atomic.Int64
	// postSkew moves the post use cases' clock ahead of the wall clock (nanoseconds).
	postSkew atomic.Int64
	owner    domain.Actor
	account  domain.Account
}

var testKeys = "k1:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHarness builds the harness; with start, River works the publish queue.
func newHarness(t *testing.T, cfg app.PublishingConfig, start bool) *harness {
	t.Helper()
	return newHarnessFor(t, cfg, start, domain.Sandbox, nil)
}

// newHarnessFor is newHarness with the fake network pretending to be platform, and posts
// whose media is looked at by probe (nil: not at all).
func newHarnessFor(t *testing.T, cfg app.PublishingConfig, start bool, platform domain.Platform, probe ports.MediaProbe) *harness {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.FreshURL(t)
	h := &harness{t: t, ctx: ctx, fake: newFakeNetwork()}
	h.fake.name = platform
	var err error
	pool, err := postgres.Connect(ctx, dbURL, 20)
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := queue.NewInserter(pool, quiet())
	if err != nil {
		t.Fatal(err)
	}
	h.db = postgres.New(pool, inserter.Jobs)
	t.Cleanup(h.db.Close)
	if h.authz, err = authz.New(ctx, h.db.Pool(), quiet()); err != nil {
		t.Fatal(err)
	}
	if h.ring, err = secret.ParseKeyRing(testKeys); err != nil {
		t.Fatal(err)
	}
	if cfg == (app.PublishingConfig{}) {
		cfg = app.PublishingConfig{MaxAttempts: 3, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}
	}
	if h.app, err = app.New(app.Deps{Store: h.db, Authz: h.authz, Hasher: secret.DefaultArgon2id, Cipher: h.ring,
		Platforms: []ports.Platform{h.fake}, MediaProbe: probe, WebhookSender: webhook.New(webhook.Options{AllowPrivate: true, Timeout: 5 * time.Second}),
		WebhookURLs: domain.WebhookURLPolicy{AllowPrivate: true}, Publishing: cfg, Log: quiet(),
		CallbackURL: func(p domain.Platform) string { return "http://herald.test/api/v1/accounts/callback/" + string(p) }}); err != nil {
		t.Fatal(err)
	}
	// Posts and webhooks run on clocks the tests move ahead of the wall clock (River's
	// schedule follows the wall clock, so the rest must too).
	h.app.Posts = app.NewPosts(h.db, h.authz, probe, func() time.Time { return time.Now().Add(time.Duration(h.postSkew.Load())) }, quiet())
	h.app.Webhooks = app.NewWebhooks(h.db, h.authz, h.ring, webhook.New(webhook.Options{AllowPrivate: true, Timeout: 5 * time.Second}),
		domain.WebhookURLPolicy{AllowPrivate: true}, func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) }, quiet())
	h.creds, h.accounts, h.posts, h.pub, h.analytic, h.hooks = h.app.Credentials, h.app.Accounts, h.app.Posts, h.app.Publishing, h.app.Analytics, h.app.Webhooks
	listener, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(listener.Close)
	// Without the token renewal job: its run at start would refresh the fake's tokens
	// behind the tests' counts (they call RenewExpiring themselves).
	workers := *h.app
	workers.Credentials = nil
	h.q, err = queue.New(queue.Config{DB: h.db.SQL(), Listener: listener, Log: quiet(), App: &workers, SoftStop: time.Second,
		Cleanup: h.db.DeleteExpired, Tuning: queue.Tuning{PublishWorkers: 50, FetchCooldown: 10 * time.Millisecond, PollInterval: 50 * time.Millisecond, TargetTimeout: time.Minute},
		Rescue: queue.RescueConfig{Interval: 200 * time.Millisecond, AbsentFor: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if start {
		if err := h.q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = h.q.Stop(stopCtx)
		})
	}
	h.owner = h.newCompany("Acme", domain.RoleOwner)
	h.account = h.connect(h.owner)
	return h
}

var seq atomic.Int64

// newCompany stores a company with one member of role, and returns that member as actor.
func (h *harness) newCompany(name string, role domain.Role) domain.Actor {
	h.t.Helper()
	var actor domain.Actor
	err := h.db.InTx(h.ctx, func(tx ports.Tx) error {
		c, err := domain.NewCompany(name, time.Now())
		if err != nil {
			return err
		}
		c.Plan = domain.PlanBusiness // no monthly limit on scheduled posts
		if err := tx.Companies().Create(h.ctx, &c); err != nil {
			return err
		}
		u := domain.User{Email: fmt.Sprintf("u%d-%d@example.com", time.Now().UnixNano(), seq.Add(1)), Name: "Person", CreatedAt: time.Now()}
		if err := tx.Users().Create(h.ctx, &u, "not-a-real-hash"); err != nil {
			return err
		}
		actor = domain.Actor{UserID: u.ID, CompanyID: c.ID, Role: role}
		return tx.Memberships().Add(h.ctx, domain.Membership{CompanyID: c.ID, UserID: u.ID, Role: role, JoinedAt: time.Now()})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.authz.Reload(h.ctx, actor.CompanyID); err != nil {
		h.t.Fatal(err)
	}
	return actor
}

// addViewer adds a viewer to the harness company and returns them as actor.
func (h *harness) addViewer() domain.Actor {
	h.t.Helper()
	var actor domain.Actor
	err := h.db.InTx(h.ctx, func(tx ports.Tx) error {
		u := domain.User{Email: fmt.Sprintf("v%d-%d@example.com", time.Now().UnixNano(), seq.Add(1)), Name: "Viewer", CreatedAt: time.Now()}
		if err := tx.Users().Create(h.ctx, &u, "not-a-real-hash"); err != nil {
			return err
		}
		actor = domain.Actor{UserID: u.ID, CompanyID: h.owner.CompanyID, Role: domain.RoleViewer}
		return tx.Memberships().Add(h.ctx, domain.Membership{CompanyID: h.owner.CompanyID, UserID: u.ID, Role: domain.RoleViewer, JoinedAt: time.Now()})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.authz.Reload(h.ctx, h.owner.CompanyID); err != nil {
		h.t.Fatal(err)
	}
	return actor
}

// connect runs the whole connect flow for actor and returns the account.
func (h *harness) connect(actor domain.Actor) domain.Account {
	h.t.Helper()
	u, err := h.accounts.Connect(h.ctx, actor, string(h.fake.name), "/posts/new")
	if err != nil {
		h.t.Fatalf("Connect: %v", err)
	}
	parsed, _ := url.Parse(u)
	done, err := h.accounts.Callback(h.ctx, actor.UserID, string(h.fake.name), parsed.Query().Get("state"), "good-code", "", "")
	if err != nil {
		h.t.Fatalf("Callback: %v", err)
	}
	if len(done.Accounts) != 1 || done.ReturnTo != "/posts/new" {
		h.t.Fatalf("Callback = %+v", done)
	}
	return done.Accounts[0]
}

// connectAs connects a second account, external id external, to the harness company.
func (h *harness) connectAs(external string) domain.Account {
	h.t.Helper()
	h.fake.mu.Lock()
	h.fake.identity = external
	h.fake.mu.Unlock()
	defer func() {
		h.fake.mu.Lock()
		h.fake.identity = "fake-user-1"
		h.fake.mu.Unlock()
	}()
	return h.connect(h.owner)
}

// draft creates a post on the harness account.
func (h *harness) draft(content string) domain.Post {
	h.t.Helper()
	p, err := h.posts.Create(h.ctx, h.owner, domain.PostInput{Content: content, AccountIDs: []domain.AccountID{h.account.ID}})
	if err != nil {
		h.t.Fatalf("Create: %v", err)
	}
	return p
}

func (h *harness) get(id domain.PostID) domain.Post {
	h.t.Helper()
	p, err := h.posts.Get(h.ctx, h.owner, id)
	if err != nil {
		h.t.Fatalf("Get: %v", err)
	}
	return p
}

// claim schedules the post now and runs publish_post by hand (River not started).
func (h *harness) claim(content string) (domain.Post, app.TargetJob) {
	h.t.Helper()
	p := h.draft(content)
	p, err := h.posts.Schedule(h.ctx, h.owner, p.ID, time.Time{}, 0)
	if err != nil {
		h.t.Fatalf("Schedule: %v", err)
	}
	if err := h.pub.PublishPost(h.ctx, p.CompanyID, p.ID, p.Version()); err != nil {
		h.t.Fatalf("PublishPost: %v", err)
	}
	return p, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: h.account.ID, Version: p.Version()}
}

func ref(j app.TargetJob) string { return string(j.Post) + "/" + string(j.Account) }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jobCount(h *harness, kind, postID string) int {
	h.t.Helper()
	var n int
	if err := h.db.SQL().QueryRowContext(h.ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'post_id' = $2`, kind, postID).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

var errNetwork = errors.New("read tcp: connection reset by peer")

// errLost is what an adapter answers when the connection broke after its request was sent:
// the platform may have the post (the contract platformtest checks).
var errLost = domain.MaybePublished("The platform did not answer; the post may have been published.", errNetwork)

// crashed claims a post for content and leaves it as a worker that died after recording
// its attempt would: the attempt open, and the platform holding the post when
// platformGotIt.
func (h *harness) crashed(t *testing.T, content string, platformGotIt bool) app.TargetJob {
	t.Helper()
	_, j := h.claim(content)
	err := h.db.InTx(h.ctx, func(tx ports.Tx) error {
		p, err := tx.Posts().Lock(h.ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		tg, _ := p.Target(j.Account)
		if err := tg.StartAttempt(); err != nil {
			return err
		}
		return tx.Posts().SaveTarget(h.ctx, j.Company, j.Post, *tg)
	})
	if err != nil {
		t.Fatal(err)
	}
	if platformGotIt {
		h.fake.record(ref(j))
	}
	return j
}
