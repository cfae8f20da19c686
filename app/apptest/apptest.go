// Package apptest builds every app use case on a fresh PostgreSQL database for tests: the
// real store, authorizer (the policies in policies/), key ring, webhook sender and River
// queue, a scripted social network (Network) instead of the real ones, and one settable
// Clock for all of them. It is test support: the one package under app that imports
// adapters (cmd/herald/architecture_test.go allows exactly it), and only tests import it.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/mail/templates"
	"github.com/heraldhq/herald/adapters/media"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/adapters/storage/filesystem"
	"github.com/heraldhq/herald/adapters/webhook"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Keys is the key ring apptest seals tokens and webhook secrets under.
const Keys = "k1:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// App is Herald's use cases on their own database, with what they run on exposed for tests
// to look at and to script.
type App struct {
	*app.Services // built by app.New, as cmd/herald builds them
	Ctx           context.Context
	URL           string // the database's connection URL
	DB            *postgres.DB
	Queue         *queue.Queue
	Authz         *authz.Enforcer
	KeyRing       *secret.KeyRing
	Clock         *Clock
	Net           *Network // the scripted network, also in Accounts' platforms
	// Storage keeps the media library's bytes: the file system under a test directory
	// unless WithStorage gave another.
	Storage ports.MediaStorage
	// SpoolDir is where the media library holds uploads while they are read, resumable
	// uploads' parts among them.
	SpoolDir string
}

// MediaFileURL is the address prefix of the signed media files apptest's app gives out.
const MediaFileURL = "http://herald.test/media/files/"

// config is what options set.
type config struct {
	workers    bool
	publishing app.PublishingConfig
	platform   domain.Platform
	platforms  []ports.Platform
	probe      ports.MediaProbe
	captions   ports.CaptionGenerator
	limits     app.Limits
	rateScale  float64
	clock      *Clock
	log        *slog.Logger
	pool       int32
	storage    ports.MediaStorage
	mailer     ports.Mailer
}

// Mailer sends the app's emails through m (default: none, so emails end "unsent" as
// without an SMTP server).
func Mailer(m ports.Mailer) Option { return func(c *config) { c.mailer = m } }

// AppURL is the address of the web app in apptest's emails' links.
const AppURL = "http://herald.test"

// WithStorage keeps the media library's bytes in s (an S3 bucket, say) instead of a test
// directory.
func WithStorage(s ports.MediaStorage) Option { return func(c *config) { c.storage = s } }

// Option changes what New builds.
type Option func(*config)

// Workers starts River: it works the jobs the use cases enqueue. Without it jobs are only
// stored, and tests run the use cases' job methods by hand.
func Workers() Option { return func(c *config) { c.workers = true } }

// Publishing tunes publishing's retries (default: 3 attempts, backoff 1s to 1m, calls time
// out after 5s).
func Publishing(cfg app.PublishingConfig) Option { return func(c *config) { c.publishing = cfg } }

// NetworkAs makes Net pretend to be platform (default: the sandbox).
func NetworkAs(platform domain.Platform) Option { return func(c *config) { c.platform = platform } }

// Platforms adds platforms beside Net.
func Platforms(p ...ports.Platform) Option {
	return func(c *config) { c.platforms = append(c.platforms, p...) }
}

// MediaProbe makes posts' media be looked at by probe (default: not at all).
func MediaProbe(p ports.MediaProbe) Option { return func(c *config) { c.probe = p } }

// Captions sets the AI's caption generator (default: none, as with no provider set up).
func Captions(g ports.CaptionGenerator) Option { return func(c *config) { c.captions = g } }

// Limits sets sign-in throttling (default: app.DefaultLimits).
func Limits(l app.Limits) Option { return func(c *config) { c.limits = l } }

// RateScale multiplies the API's rate limits (default: 1).
func RateScale(s float64) Option { return func(c *config) { c.rateScale = s } }

// WithClock gives the app clock instead of a new one.
func WithClock(clock *Clock) Option { return func(c *config) { c.clock = clock } }

// Pool sets how many connections the app's pool may open (default 8: PostgreSQL's
// connections are shared by every test binary running at once).
func Pool(n int32) Option { return func(c *config) { c.pool = n } }

// Log sends the app's logs to log (default: nowhere).
func Log(log *slog.Logger) Option { return func(c *config) { c.log = log } }

// New builds the app on a fresh database; everything stops when the test ends.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	cfg := config{platform: domain.Sandbox, rateScale: 1, log: slog.New(slog.DiscardHandler), pool: 8}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = NewClock()
	}
	if cfg.publishing == (app.PublishingConfig{}) {
		cfg.publishing = app.PublishingConfig{MaxAttempts: 3, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}
	}
	if cfg.limits == (app.Limits{}) {
		cfg.limits = app.DefaultLimits
	}
	a, err := build(t, cfg)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return a
}

// build is the one place the app is put together (as cmd/herald does for Herald itself).
func build(t testing.TB, cfg config) (*App, error) {
	ctx := context.Background()
	a := &App{Ctx: ctx, URL: pgtest.FreshURL(t), Clock: cfg.clock}
	a.Net = NewNetwork(a.Clock.Now)
	a.Net.Name = cfg.platform
	now, log := a.Clock.Now, cfg.log
	pool, err := postgres.Connect(ctx, a.URL, cfg.pool)
	if err != nil {
		return nil, err
	}
	// The insert-only River client comes first and is handed to the store, as in cmd/herald.
	inserter, err := queue.NewInserter(pool, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	a.DB = postgres.New(pool, inserter.Jobs)
	t.Cleanup(a.DB.Close)
	if a.Authz, err = authz.New(ctx, a.DB.Pool(), log); err != nil {
		return nil, err
	}
	if a.KeyRing, err = secret.ParseKeyRing(Keys); err != nil {
		return nil, err
	}
	a.Storage, a.SpoolDir = cfg.storage, t.TempDir()
	if a.Storage == nil {
		if a.Storage, err = filesystem.New(t.TempDir()); err != nil {
			return nil, err
		}
	}
	if a.Services, err = app.New(app.Deps{
		MediaStorage:   a.Storage,
		MediaInspector: media.NewInspector(media.InspectorOptions{}),
		Media: app.MediaConfig{SigningKey: a.KeyRing.DerivedKey("media addresses"), SpoolDir: a.SpoolDir,
			FileURL: func(token string) string { return MediaFileURL + token }},
		Store: a.DB, Authz: a.Authz, Cipher: a.KeyRing,
		// A cheap but real argon2id: sign-ins are many in tests and the race detector is slow.
		Hasher:        secret.Argon2id{Memory: 1024, Time: 1, Threads: 1},
		Platforms:     append([]ports.Platform{a.Net}, cfg.platforms...),
		MediaProbe:    cfg.probe,
		Captions:      cfg.captions,
		WebhookSender: webhook.New(webhook.Options{AllowPrivate: true, Timeout: 5 * time.Second}),
		WebhookURLs:   domain.WebhookURLPolicy{AllowPrivate: true},
		APIRateScale:  cfg.rateScale,
		Now:           now,
		Limits:        cfg.limits,
		Publishing:    cfg.publishing,
		CallbackURL:   func(p domain.Platform) string { return "http://herald.test/api/v1/accounts/callback/" + string(p) },
		AcceptURL: func(token string) string {
			return "http://herald.test/invitations/accept?token=" + url.QueryEscape(token)
		},
		Mail: app.MailConfig{Mailer: cfg.mailer, Templates: templates.MustNew(), SigningKey: a.KeyRing.DerivedKey("mail links"),
			AppURL: func(path string) string { return AppURL + path }},
		Log: log,
	}); err != nil {
		return nil, err
	}

	lcfg, err := pgxpool.ParseConfig(a.URL)
	if err != nil {
		return nil, err
	}
	lcfg.MinConns, lcfg.MaxConns = 0, 3 // River's LISTEN connection, its presence lock, one to spare
	listener, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(listener.Close)
	// The workers run every use case's jobs but token renewal: its periodic job would
	// refresh tokens at start and blur tests that count refreshes (they call RenewExpiring).
	workers := *a.Services
	workers.Credentials = nil
	if a.Queue, err = queue.New(queue.Config{DB: a.DB.SQL(), Listener: listener, Log: log, App: &workers, SoftStop: time.Second,
		Cleanup: a.DB.DeleteExpired, Tuning: queue.Tuning{PublishWorkers: 50, FetchCooldown: 10 * time.Millisecond, PollInterval: 50 * time.Millisecond, TargetTimeout: time.Minute},
		Rescue: queue.RescueConfig{Interval: 200 * time.Millisecond, AbsentFor: time.Second}}); err != nil {
		return nil, err
	}
	if cfg.workers {
		if err := a.Queue.Start(ctx); err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Queue.Stop(stopCtx)
		})
	}
	return a, nil
}

// Quiet is a logger that writes nowhere.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
