// Command herald runs Herald: the web app, the JSON API and the background workers in one
// process (serve), its database migrations (migrate) and operator tasks (admin). It is the
// only package that knows every adapter.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones for people's settings, also in a distroless image

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/httpapi"
	"github.com/heraldhq/herald/adapters/mail/smtp"
	"github.com/heraldhq/herald/adapters/mail/templates"
	"github.com/heraldhq/herald/adapters/media"
	"github.com/heraldhq/herald/adapters/passkey"
	"github.com/heraldhq/herald/adapters/platforms/facebook"
	"github.com/heraldhq/herald/adapters/platforms/instagram"
	"github.com/heraldhq/herald/adapters/platforms/linkedin"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/adapters/platforms/tiktok"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/cluster"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/adapters/totp"
	"github.com/heraldhq/herald/adapters/webhook"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
	"github.com/heraldhq/herald/ui"
)

const usage = `Herald publishes a company's social-media posts on time.

Usage:
  herald serve                                  run the web app, the API and the workers
  herald migrate up|down|down-all|version       change or show the database schema
  herald admin create-superadmin --email EMAIL [--name NAME] [--password-stdin]
  herald keys generate|rotate                   print a new encryption key; re-encrypt tokens under the first key
  herald healthcheck                            exit 0 when the local server answers /healthz

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return migrateCmd(ctx, cfg, log, args[1:], stdout)
	case "admin":
		return adminCmd(ctx, cfg, log, args[1:], stdin, stdout)
	case "keys":
		return keysCmd(ctx, cfg, log, args[1:], stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	m := &Main{Config: cfg, Log: log}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	log.Info("Herald is running", "url", m.URL(), "embedded_database", m.cluster != nil)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-m.serveErr:
		log.Error("server stopped", "err", err)
	}
	return m.Close()
}

// Main is a running Herald: its database, queue, authorizer and HTTP server. Tests start one
// on 127.0.0.1:0.
type Main struct {
	Config Config
	Log    *slog.Logger
	// Limits throttle sign-in; zero means app.DefaultLimits.
	Limits app.Limits
	// AuthClock is the clock of signing in, sessions and their throttling windows (the API's
	// rate limits too); nil means time.Now. Tests set one so throttling windows never end
	// mid-test.
	AuthClock func() time.Time

	cluster  *cluster.Cluster
	db       *postgres.DB
	listener *pgxpool.Pool
	queue    *queue.Queue
	authz    *authz.Enforcer
	// metricsLn and metricsSrv serve /metrics on HERALD_METRICS_ADDR; nil when it is off.
	metricsLn  net.Listener
	metricsSrv *http.Server
	echo       *echo.Echo
	ln         net.Listener
	stop       context.CancelFunc
	stopJobs   context.CancelFunc // stops the job dashboard's background work
	serveErr   chan error
	done       chan struct{}

	// Publishing tunes retries; zero means app.DefaultPublishing.
	Publishing app.PublishingConfig
	// Tuning sets how hard the publish queue works; zero means queue.DefaultTuning.
	Tuning queue.Tuning
	// Platforms replaces the configured platforms when not nil (tests).
	Platforms []ports.Platform
	// AIProvider replaces the configured AI provider when not nil (tests).
	AIProvider ports.CaptionGenerator
	// Mailer replaces the configured SMTP server when not nil (tests).
	Mailer ports.Mailer
	// Now replaces the clock of the use cases and pages when not nil (tests); River's
	// own schedule still follows the wall clock.
	Now func() time.Time
	// MediaStorage replaces the configured media storage when not nil (tests).
	MediaStorage ports.MediaStorage
	// Passwords hashes passwords when not nil; nil means secret.DefaultArgon2id. Tests set
	// cheap argon2id parameters: the production ones cost a race-detector build about half
	// a second a hash. Hashes carry their parameters, so either verifies the other's.
	Passwords ports.PasswordHasher

	// App is every use case, built once by app.New; tests call them directly.
	App *app.Services
	// KeyRing seals tokens and webhook secrets (HERALD_ENCRYPTION_KEYS).
	KeyRing *secret.KeyRing

	sandbox *sandbox.Sandbox
	health  *dbHealth
}

// Run starts everything and returns once Herald accepts requests; the HTTP server then runs
// in the background. It returns an error when any part cannot start.
func (m *Main) Run(ctx context.Context) error {
	m.serveErr, m.done = make(chan error, 1), make(chan struct{})
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	var err error
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	if m.Config.BaseURL.Port() == "0" { // a port chosen by the system: use the one we got
		base := *m.Config.BaseURL
		_, port, _ := net.SplitHostPort(m.ln.Addr().String())
		base.Host = net.JoinHostPort(base.Hostname(), port)
		m.Config.BaseURL = &base
	}
	url, err := m.database(ctx)
	if err != nil {
		return err
	}
	if _, err := postgres.Migrate(ctx, url, postgres.Up, m.Log); err != nil {
		return err
	}
	// The insert-only River client comes first and is handed to the store, so every change
	// enqueues its jobs in its own transaction; the working client comes after the services.
	pool, err := postgres.Connect(ctx, url, m.Config.DBMaxConns)
	if err != nil {
		return err
	}
	m.health = newDBHealth(bg, pool.Ping, m.Log)
	quiet := slog.New(m.health.quiet(m.Log.Handler()))
	inserter, err := queue.NewInserter(pool, quiet)
	if err != nil {
		pool.Close()
		return err
	}
	m.db = postgres.New(pool, inserter.Jobs)
	lcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("listener pool: %w", err)
	}
	// River's LISTEN connection, this process's presence lock (queue/rescue.go) and the live
	// pages' LISTEN connection (postgres.ListenPostChanges: hijacked, so it stops counting
	// once taken, but it needs a free one to take at every reconnection).
	lcfg.MinConns, lcfg.MaxConns = 0, 4
	if m.listener, err = pgxpool.NewWithConfig(ctx, lcfg); err != nil {
		return fmt.Errorf("listener pool: %w", err)
	}
	if m.authz, err = authz.New(ctx, m.db.Pool(), quiet); err != nil {
		return err
	}
	go func() {
		if err := m.authz.Listen(bg); err != nil && bg.Err() == nil {
			m.Log.Error("role sync stopped", "err", err)
		}
	}()
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	deps, err := m.deps(now, quiet)
	if err != nil {
		return err
	}
	if m.App, err = app.New(deps); err != nil {
		return err
	}
	m.warnAPIVersions()
	tuning := m.Tuning
	if tuning == (queue.Tuning{}) {
		tuning = queue.DefaultTuning
		tuning.PublishWorkers = m.Config.PublishWorkers
	}
	if m.queue, err = queue.New(queue.Config{DB: m.db.SQL(), Listener: m.listener, Log: quiet,
		Cleanup: m.db.DeleteExpired, SoftStop: m.Config.ShutdownTimeout / 2, App: m.App, Tuning: tuning}); err != nil {
		return err
	}
	if err := m.queue.Start(bg); err != nil {
		return err
	}

	web, err := ui.New(m.App, ui.Config{Log: m.Log, SecureCookies: m.Config.SecureCookies(), Now: now})
	if err != nil {
		return err
	}
	go func() { // the live pages' event streams wake on these notifications, and only then look
		err := postgres.ListenChanges(bg, m.listener, quiet, postgres.LiveChanges{Posts: web.PostsChanged,
			Notifications: web.NotificationsChanged, Missed: web.RecheckStreams})
		if err != nil && bg.Err() == nil {
			m.Log.Error("live pages stopped following changes", "err", err)
		}
	}()
	met := newMetrics(m.db.Pool(), func(ctx context.Context) (map[string]int, error) {
		d, err := m.queue.Depth(ctx)
		if postgres.Unreachable(err) {
			m.health.failed()
		}
		return d, err
	}, m.App.Platforms.APIVersions)
	if m.sandbox != nil {
		met.sandboxStored(m.sandbox.Stored)
	}
	if m.Config.MetricsAddr != "" {
		m.metricsLn, err = net.Listen("tcp", m.Config.MetricsAddr)
		switch {
		case err == nil:
			m.metricsSrv = serveMetrics(m.metricsLn, met)
		case m.Config.MetricsAddrSet:
			return fmt.Errorf("listen on %s (HERALD_METRICS_ADDR): %w", m.Config.MetricsAddr, err)
		default:
			// The default port may be another program's (Prometheus itself uses 9090):
			// Herald still starts, without its metrics listener, and says how to choose.
			m.metricsLn = nil
			m.Log.Warn("metrics are not served: the default address is taken; set HERALD_METRICS_ADDR to a free host:port, or off", "addr", m.Config.MetricsAddr, "err", err)
		}
	}
	jobs, startJobs, err := m.queue.Dashboard(jobsPrefix, m.Log)
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(bg)
	m.stopJobs = stopJobs
	if err := startJobs(jobsCtx); err != nil {
		return fmt.Errorf("job dashboard: %w", err)
	}
	m.echo = newServer(m.Config, m.Log, httpapi.New(m.App, m.Log), web, jobs, met, m.ready, m.health)
	m.echo.Server.ReadHeaderTimeout = 10 * time.Second
	m.echo.Server.ReadTimeout = 60 * time.Second
	m.echo.Server.IdleTimeout = 120 * time.Second
	m.echo.Server.RegisterOnShutdown(web.StopStreams) // event streams never go idle by themselves

	if m.sandbox != nil {
		m.sandbox.Register(m.echo, web.OperatorOnly("sandbox")) // the one operator guard, as for the job dashboard
	}
	m.echo.Listener = m.ln
	go func() {
		defer close(m.done)
		if err := m.echo.Start(""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
	}()
	return nil
}

// deps gathers the adapters and configuration app.New builds the services from: the key
// ring, the platforms, the media probe, the AI provider, the webhook sender and the URLs
// Herald gives out. quiet logs what fails while the database is away.
func (m *Main) deps(now func() time.Time, quiet *slog.Logger) (app.Deps, error) {
	ring, generated, err := secret.LoadKeyRing(m.Config.EncryptionKeys, m.Config.DataDir, m.Config.Production)
	if err != nil {
		return app.Deps{}, err
	}
	if generated != "" {
		m.Log.Warn("HERALD_ENCRYPTION_KEYS is not set: generated a development key; keep this file, or set the variable in production",
			"file", generated)
	}
	m.KeyRing = ring
	platforms := m.Platforms
	if platforms == nil {
		platforms = m.configuredPlatforms(now)
	}
	var probe ports.MediaProbe
	if m.Config.MediaCheck {
		probe = media.New(media.Options{AllowPrivate: m.Config.MediaPrivate})
	}
	gen := m.AIProvider
	if gen == nil {
		gen = m.Config.CaptionGenerator()
	}
	var passwords ports.PasswordHasher = secret.DefaultArgon2id
	if m.Passwords != nil {
		passwords = m.Passwords
	}
	base := strings.TrimSuffix(m.Config.BaseURL.String(), "/")
	storage := m.MediaStorage
	if storage == nil {
		if storage, err = mediaStorage(m.Config); err != nil {
			return app.Deps{}, err
		}
	}
	spool := filepath.Join(m.Config.DataDir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return app.Deps{}, fmt.Errorf("media spool: %w", err)
	}
	// Passkeys are bound to the host people open Herald at (HERALD_BASE_URL; a loopback
	// address becomes localhost, which browsers accept as a relying party).
	// An address browsers refuse as a relying party (another IP address) turns them off.
	var ceremonies ports.PasskeyCeremonies
	if pk, err := passkey.New(passkey.ConfigFor(m.Config.BaseURL)); err != nil {
		m.Log.Warn("passkeys are off: HERALD_BASE_URL must name a host, such as https://herald.example.com", "base_url", m.Config.BaseURL.String(), "err", err)
	} else {
		ceremonies = pk
	}
	mailTemplates, err := templates.New()
	if err != nil {
		return app.Deps{}, err
	}
	mailer := m.Mailer
	switch {
	case mailer != nil:
	case m.Config.SMTP != nil:
		mailer = smtp.New(*m.Config.SMTP, smtp.Options{Hello: m.Config.BaseURL.Hostname()})
		// String leaves the password out.
		m.Log.Info("emails go through SMTP", "server", m.Config.SMTP.String(), "from", m.Config.SMTP.From.String())
	default:
		m.Log.Warn("HERALD_SMTP_URL is not set: no email is sent; Settings > Emails lists the ones that would have gone out")
	}
	inspector := media.NewInspector(media.InspectorOptions{})
	if !inspector.Posters() {
		m.Log.Warn("ffmpeg is not installed: uploaded videos get no poster frame (apt-get install ffmpeg)")
	}
	return app.Deps{
		MediaStorage:   storage,
		MediaInspector: inspector,
		Media: app.MediaConfig{SigningKey: ring.DerivedKey("media addresses"), SpoolDir: spool,
			DirectURLs: m.Config.S3 != nil && m.Config.S3Presigned,
			FileURL:    func(token string) string { return base + ui.MediaFilePath(token) }},
		Passkeys:      ceremonies,
		Store:         m.db,
		Authz:         m.authz,
		Hasher:        passwords,
		Cipher:        ring,
		OTP:           totp.Generator{},
		Platforms:     platforms,
		MediaProbe:    probe,
		Captions:      gen,
		WebhookSender: webhook.New(webhook.Options{AllowPrivate: m.Config.WebhookPrivate}),
		WebhookURLs:   domain.WebhookURLPolicy{RequireHTTPS: m.Config.Production, AllowPrivate: m.Config.WebhookPrivate},
		APIRateScale:  m.Config.APIRateScale,
		Now:           now,
		AuthNow:       m.AuthClock,
		Limits:        m.Limits,
		Publishing:    m.Publishing,
		// A Config not read from the environment (tests) has none: app.New's default.
		MetricsSchedule: m.Config.MetricsSchedule,
		CallbackURL: func(p domain.Platform) string {
			return m.Config.BaseURL.String() + "/api/v1/accounts/callback/" + string(p)
		},
		AcceptURL: func(token string) string {
			return base + "/invitations/accept?token=" + neturl.QueryEscape(token)
		},
		Mail: app.MailConfig{Mailer: mailer, Templates: mailTemplates, SigningKey: ring.DerivedKey("mail links"),
			AppURL: func(path string) string { return base + path }},
		ReviewURL: func(token string) string { return base + app.ReviewPath(token) },
		Log:       m.Log,
		QuietLog:  quiet,
	}, nil
}

// warnAPIVersions logs a warning for every configured platform whose API version retires
// within app.APIVersionWarningAhead, has retired, or is unknown to its adapter.
func (m *Main) warnAPIVersions() {
	for _, v := range m.App.Platforms.APIVersions() {
		if !v.Warn {
			continue
		}
		args := []any{"platform", v.Platform, "version", v.Version, "doc", v.Doc, "detail", v.Message}
		if !v.Retires.IsZero() {
			args = append(args, "retires", v.Retires.Format(time.DateOnly), "days_left", v.DaysLeft())
		}
		m.Log.Warn("a platform API version Herald calls retires soon, has retired or is unknown", args...)
	}
}

// configuredPlatforms returns the platforms whose credentials are configured, and the
// sandbox (see Config.SandboxEnabled).
func (m *Main) configuredPlatforms(now func() time.Time) []ports.Platform {
	var out []ports.Platform
	if c := m.Config.LinkedIn; c != nil {
		cfg := *c
		cfg.Now = now
		out = append(out, linkedin.New(cfg))
	}
	if c := m.Config.Facebook; c != nil {
		cfg := *c
		cfg.Now = now
		out = append(out, facebook.New(cfg))
	}
	if c := m.Config.Instagram; c != nil {
		cfg := *c
		cfg.Now = now
		out = append(out, instagram.New(cfg))
	}
	if c := m.Config.TikTok; c != nil {
		cfg := *c
		cfg.Now = now
		out = append(out, tiktok.New(cfg))
	}
	if m.Config.SandboxEnabled(len(out)) {
		cfg := m.Config.SandboxConfig
		cfg.BaseURL, cfg.Now = m.Config.BaseURL.String(), now
		m.sandbox = sandbox.New(m.db.SQL(), cfg)
		out = append(out, m.sandbox)
	}
	return out
}

// database returns DATABASE_URL, or starts the embedded cluster under the data folder.
func (m *Main) database(ctx context.Context) (string, error) {
	if m.Config.DatabaseURL != "" {
		return m.Config.DatabaseURL, nil
	}
	c, err := cluster.Start(ctx, cluster.Options{DataDir: m.Config.DataDir, Logger: m.Log})
	if err != nil {
		return "", err
	}
	m.cluster = c
	return c.URL(), nil
}

// ready reports whether the database and the queue answer.
func (m *Main) ready(ctx context.Context) error {
	if err := m.db.Pool().Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if _, err := m.queue.Depth(ctx); err != nil {
		return err
	}
	return nil
}

// URL returns the address Herald serves on, such as http://127.0.0.1:8080.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String()
}

// MetricsURL returns the address /metrics is served on (HERALD_METRICS_ADDR), such as
// http://127.0.0.1:9090, or "" when that listener is off.
func (m *Main) MetricsURL() string {
	if m.metricsLn == nil {
		return ""
	}
	return "http://" + m.metricsLn.Addr().String()
}

// Close shuts down in order: stop taking requests and finish running ones, let running
// jobs finish, stop role sync, close the pools, stop the embedded cluster. It returns the
// first error met, after trying every step.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.echo == nil && m.ln != nil {
		_ = m.ln.Close() // Run failed before serving
	}
	if m.echo != nil && m.ln != nil {
		if err := m.echo.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		<-m.done
	}
	if m.metricsSrv != nil {
		if err := m.metricsSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("metrics shutdown: %w", err))
		}
	} else if m.metricsLn != nil {
		_ = m.metricsLn.Close()
	}
	if m.stopJobs != nil {
		m.stopJobs()
	}
	if m.queue != nil {
		if err := m.queue.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.stop != nil {
		m.stop()
	}
	if m.health != nil {
		m.health.wg.Wait()
	}
	if m.listener != nil {
		m.listener.Close()
	}
	if m.db != nil {
		m.db.Close()
	}
	if m.cluster != nil {
		if err := m.cluster.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// healthcheck asks the local server for /healthz: the container's health probe, which has
// no shell or curl to run.
func healthcheck(ctx context.Context, cfg Config) error {
	_, port, _ := net.SplitHostPort(cfg.Addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", res.Status)
	}
	return nil
}
