package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/cluster"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/adapters/webhook"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// publishOptions are the flags of `herald-bench publish`.
type publishOptions struct {
	Posts, Companies, Idle, Setup int
	Latency                       time.Duration
	Tuning                        queue.Tuning
	DBConns                       int
	CPUProfile                    string
	DueAfter                      time.Duration // 0: 3 s plus 4 ms per post
	BareWorkers                   []int
	BareCooldowns                 []time.Duration
}

// publishCmd runs `herald-bench publish`: see BENCHMARKS.md.
func publishCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(out)
	var o publishOptions
	fs.IntVar(&o.Posts, "posts", 10_000, "posts due at the same instant")
	fs.IntVar(&o.Companies, "companies", 100, "companies the posts are spread over, one sandbox account each")
	fs.DurationVar(&o.Latency, "latency", 50*time.Millisecond, "the sandbox platform's answer time")
	fs.IntVar(&o.Tuning.PublishWorkers, "workers", queue.DefaultTuning.PublishWorkers, "publish queue workers")
	fs.DurationVar(&o.Tuning.FetchCooldown, "fetch-cooldown", queue.DefaultTuning.FetchCooldown, "least time between fetches")
	fs.DurationVar(&o.Tuning.PollInterval, "poll", queue.DefaultTuning.PollInterval, "fetch poll interval")
	fs.IntVar(&o.Idle, "idle", 100, "posts due one by one on an idle system, for the start lag of a single post")
	fs.IntVar(&o.Setup, "setup-workers", 8, "goroutines creating and scheduling posts")
	fs.IntVar(&o.DBConns, "db-conns", cfg.DBMaxConns, "database connections")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the burst to this file")
	fs.DurationVar(&o.Tuning.Batch.Window, "batch-window", queue.DefaultTuning.Batch.Window, "how long a publish batch gathers posts")
	fs.IntVar(&o.Tuning.Batch.MaxPosts, "batch-max", queue.DefaultTuning.Batch.MaxPosts, "posts per publish batch at most")
	fs.IntVar(&o.Tuning.Batch.PerAccount, "per-account", queue.DefaultTuning.Batch.PerAccount, "platform calls in flight per account")
	fs.DurationVar(&o.DueAfter, "due-after", 0, "the burst is due this long after scheduling starts (0: 3s plus 4ms per post)")
	bareWorkers := fs.String("bare-workers", "200,500,1000,2000", "bare River's worker counts to try (riverpgxv5)")
	bareCooldowns := fs.String("bare-cooldowns", "5ms,20ms", "bare River's fetch cooldowns to try")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, w := range strings.Split(*bareWorkers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return fmt.Errorf("publish: bad --bare-workers %q", *bareWorkers)
		}
		o.BareWorkers = append(o.BareWorkers, n)
	}
	for _, c := range strings.Split(*bareCooldowns, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(c))
		if err != nil || d <= 0 {
			return fmt.Errorf("publish: bad --bare-cooldowns %q", *bareCooldowns)
		}
		o.BareCooldowns = append(o.BareCooldowns, d)
	}
	if o.Posts < 1 || o.Companies < 1 || o.Companies > o.Posts || o.Tuning.PublishWorkers < 1 || o.DBConns < 2 {
		return errors.New("publish: need posts >= companies >= 1, workers >= 1 and db-conns >= 2")
	}
	o.Tuning.TargetTimeout = queue.DefaultTuning.TargetTimeout
	fmt.Fprintf(out, "herald-bench publish --posts %d --companies %d --latency %s --workers %d --fetch-cooldown %s --poll %s --idle %d --db-conns %d --batch-window %s --batch-max %d --per-account %d --bare-workers %s --bare-cooldowns %s\n",
		o.Posts, o.Companies, o.Latency, o.Tuning.PublishWorkers, o.Tuning.FetchCooldown, o.Tuning.PollInterval, o.Idle, o.DBConns,
		o.Tuning.Batch.Window, o.Tuning.Batch.MaxPosts, o.Tuning.Batch.PerAccount, *bareWorkers, *bareCooldowns)
	fmt.Fprintf(out, "machine: %d CPUs, %s, %s/%s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return scratchDatabase(ctx, cfg, log, func(dbURL string) error { return benchPublish(ctx, dbURL, o, log, out) })
}

// herald is the publishing side of Herald, wired as cmd/herald wires it (the same store,
// queue, authorizer, sandbox platform and use cases) but without the HTTP server, which
// the benchmark does not call.
type herald struct {
	db       *postgres.DB
	listener *pgxpool.Pool
	queue    *queue.Queue
	authz    *authz.Enforcer
	sandbox  *sandbox.Sandbox
	App      *app.Services
	stop     context.CancelFunc
}

// startHerald migrates the database at dbURL and starts the queue and use cases on it; on
// failure it returns an error after closing what it opened.
func startHerald(ctx context.Context, dbURL string, o publishOptions, log *slog.Logger) (h *herald, err error) {
	dir, err := os.MkdirTemp("", "herald-bench-data-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // the development key is read once, below
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	h = &herald{stop: stop}
	defer func() {
		if err != nil {
			h.close(ctx) //nolint:errcheck // the first error matters more
		}
	}()
	if _, err := postgres.Migrate(ctx, dbURL, postgres.Up, log); err != nil {
		return h, err
	}
	// As cmd/herald does: the insert-only River client first, handed to the store.
	if h.db, err = openStore(ctx, dbURL, o.DBConns, log); err != nil {
		return h, err
	}
	lcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return h, fmt.Errorf("listener pool: %w", err)
	}
	lcfg.MinConns, lcfg.MaxConns = 0, 4
	if h.listener, err = pgxpool.NewWithConfig(ctx, lcfg); err != nil {
		return h, fmt.Errorf("listener pool: %w", err)
	}
	if h.authz, err = authz.New(ctx, h.db.Pool(), log); err != nil {
		return h, err
	}
	go func() {
		if err := h.authz.Listen(bg); err != nil && bg.Err() == nil {
			log.Error("role sync stopped", "err", err)
		}
	}()
	ring, _, err := secret.LoadKeyRing("", dir, false)
	if err != nil {
		return h, err
	}
	const base = "http://127.0.0.1"
	h.sandbox = sandbox.New(h.db.SQL(), sandbox.Config{BaseURL: base, Latency: o.Latency})
	callback := func(p domain.Platform) string { return base + "/api/v1/accounts/callback/" + string(p) }
	h.App, err = app.New(app.Deps{Store: h.db, Authz: h.authz, Hasher: secret.DefaultArgon2id, Cipher: ring,
		Platforms: []ports.Platform{h.sandbox}, WebhookSender: webhook.New(webhook.Options{}), CallbackURL: callback, Log: log})
	if err != nil {
		return h, err
	}
	if h.queue, err = queue.New(queue.Config{DB: h.db.SQL(), Listener: h.listener, Log: log, Cleanup: h.db.DeleteExpired,
		SoftStop: 15 * time.Second, App: h.App, Tuning: o.Tuning}); err != nil {
		return h, err
	}
	if err := h.queue.Start(bg); err != nil {
		return h, err
	}
	return h, nil
}

// close stops the queue, letting running jobs finish, and closes the pools. It returns the
// queue's error.
func (h *herald) close(ctx context.Context) error {
	var err error
	if h.queue != nil {
		err = h.queue.Stop(ctx)
	}
	h.stop()
	if h.listener != nil {
		h.listener.Close()
	}
	if h.db != nil {
		h.db.Close()
	}
	return err
}

// scratchDatabase runs fn on a new database that is dropped afterwards: on the server of
// DATABASE_URL, or in an embedded cluster in a temporary folder.
func scratchDatabase(ctx context.Context, cfg config, log *slog.Logger, fn func(url string) error) error {
	server := cfg.DatabaseURL
	if server == "" {
		dir, err := os.MkdirTemp("", "herald-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c, err := cluster.Start(ctx, cluster.Options{DataDir: dir, Logger: log, NoSync: true})
		if err != nil {
			return err
		}
		defer c.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // the measurement matters more
		server = c.URL()
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("bench: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	name := fmt.Sprintf("herald_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("bench: create database: %w", err)
	}
	if os.Getenv("HERALD_BENCH_KEEP_DATABASE") == "" {
		defer conn.Exec(context.WithoutCancel(ctx), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`) //nolint:errcheck
	} else {
		// To look at what the run left (plans, timings) on the server of DATABASE_URL.
		log.Info("keeping the scratch database", "name", name)
	}
	if os.Getenv("HERALD_BENCH_LOG_STATEMENTS") != "" {
		// Every statement of the scratch database in the server's log, to count them per
		// post (there is no pg_stat_statements on the benchmark machine).
		if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` SET log_statement = 'all'`); err != nil {
			return fmt.Errorf("bench: log statements: %w", err)
		}
	}
	u, err := url.Parse(server)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	return fn(u.String())
}

func benchPublish(ctx context.Context, dbURL string, o publishOptions, log *slog.Logger, out io.Writer) error {
	m, err := startHerald(ctx, dbURL, o, log)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			m.close(ctx) //nolint:errcheck // the first error matters more
		}
	}()

	start := time.Now()
	actors, err := benchCompanies(ctx, m, o.Companies)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "setup: %d companies with a sandbox account each in %s\n", len(actors), time.Since(start).Round(time.Millisecond))

	// 1. A single post on an idle system: Idle posts due 300 ms apart, one at a time.
	if o.Idle > 0 {
		ids, err := benchDrafts(ctx, m, actors[:1], o.Idle, o.Setup)
		if err != nil {
			return err
		}
		first := time.Now().Add(2 * time.Second)
		for i, id := range ids {
			if _, err := m.App.Posts.Schedule(ctx, actors[0].actor, id, first.Add(time.Duration(i)*300*time.Millisecond), 0); err != nil {
				return err
			}
		}
		if err := waitPublished(ctx, m, len(ids)); err != nil {
			return err
		}
		p50, p99, worst, err := startLag(ctx, m, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nidle: %d posts due one at a time\n  start lag p50 %s  p99 %s  max %s  (target: p99 <= 500ms)\n", len(ids), p50, p99, worst)
		if p50, p99, worst, err = publishedLag(ctx, m); err != nil {
			return err
		}
		fmt.Fprintf(out, "  on the platform (published_at - due, the %s latency included)  p50 %s  p99 %s  max %s\n", o.Latency, p50, p99, worst)
		if err := benchReset(ctx, m); err != nil {
			return err
		}
	}

	// 2. The burst: Posts posts across every company, due at the same instant, created and
	// scheduled through the bulk path (POST /posts/bulk's use case).
	ahead := o.DueAfter
	if ahead <= 0 {
		ahead = 3*time.Second + time.Duration(o.Posts)*4*time.Millisecond
	}
	due := time.Now().Add(ahead).Truncate(time.Millisecond)
	start = time.Now()
	if err := benchBulk(ctx, m, actors, o.Posts, due, o.Setup, out); err != nil {
		return err
	}
	if time.Now().After(due) {
		// The numbers below then include the scheduling's overrun; exactly-once is still
		// checked. A busy machine (the smoke test under load) gets here.
		fmt.Fprintf(out, "\nwarning: scheduling %d posts took %s, past their due time: the burst's lags include the overrun; run with fewer posts or on a quieter machine\n",
			o.Posts, time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintf(out, "\nburst: %d posts created and scheduled in %s, all due at %s\n", o.Posts, time.Since(start).Round(time.Millisecond),
		due.Format("15:04:05.000"))
	// Measure from the due time: before it, the queue only polls.
	overran := time.Now().After(due)
	time.Sleep(time.Until(due))
	cpuBefore := sampleCPU(ctx, m.db.SQL())
	var xactBefore int64
	if err := m.db.SQL().QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&xactBefore); err != nil {
		return err
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	if err := waitPublished(ctx, m, o.Posts); err != nil {
		return err
	}
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	cpuSelf, cpuPG, cpuBackends := cpuUsed(cpuBefore, sampleCPU(ctx, m.db.SQL()))
	var xactAfter int64
	if err := m.db.SQL().QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&xactAfter); err != nil {
		return err
	}
	p50, p99, worst, err := startLag(ctx, m, "")
	if err != nil {
		return err
	}
	var drainSec float64
	var targets, refs, sent, notPublished int
	if err := m.db.SQL().QueryRowContext(ctx, `SELECT count(*), extract(epoch FROM max(published_at) - $1::timestamptz) FROM post_targets`, due).Scan(&targets, &drainSec); err != nil {
		return err
	}
	if err := m.db.SQL().QueryRowContext(ctx, `SELECT count(DISTINCT reference), count(*) FROM sandbox_posts`).Scan(&refs, &sent); err != nil {
		return err
	}
	if err := m.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE status <> 'published'`).Scan(&notPublished); err != nil {
		return err
	}
	drain := time.Duration(drainSec * float64(time.Second))
	rate := float64(o.Posts) / drain.Seconds()
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)/float64(o.Posts))
	}
	fmt.Fprintf(out, "  start lag (publish_post job start - due)  p50 %s  p99 %s  max %s  (target: p99 <= 3s)\n", p50, p99, worst)
	// A started job may still wait in its batch or for a place among its account's calls:
	// when the post reached the platform is what its company sees.
	if p50, p99, worst, err = publishedLag(ctx, m); err != nil {
		return err
	}
	fmt.Fprintf(out, "  on the platform (published_at - due)      p50 %s  p99 %s  max %s  (the %s latency included)\n", p50, p99, worst, o.Latency)
	fmt.Fprintf(out, "  drain (last target published - due)       %s  (target: <= 4s)\n", drain.Round(time.Millisecond))
	fmt.Fprintf(out, "  throughput                                %.0f posts/s\n", rate)
	fmt.Fprintf(out, "  CPU per published post, from the due time until every post was final (target: Herald + PostgreSQL < 0.6 ms):\n")
	if overran {
		fmt.Fprintf(out, "    NOT MEANINGFUL: the scheduling ran past the due time, so the CPU below is only what was left after it\n")
	}
	fmt.Fprintf(out, "    Herald's process (this one: Herald, the sandbox platform's Go side, the bench's polling)  %s  (%s in all)\n", per(cpuSelf), cpuSelf.Round(time.Millisecond))
	fmt.Fprintf(out, "    PostgreSQL, backends of the bench database                                                %s  (%s in all)\n", per(cpuBackends), cpuBackends.Round(time.Millisecond))
	fmt.Fprintf(out, "    PostgreSQL, every postgres process of the machine (other sessions' load included)        %s  (%s in all)\n", per(cpuPG), cpuPG.Round(time.Millisecond))
	fmt.Fprintf(out, "    Herald + bench-database backends                                                          %s\n", per(cpuSelf+cpuBackends))
	fmt.Fprintf(out, "  transactions committed in the bench database: %d (%.2f per post, the sandbox's own insert included)\n",
		xactAfter-xactBefore, float64(xactAfter-xactBefore)/float64(o.Posts))
	fmt.Fprintf(out, "  exactly once: %d targets, %d sent to the sandbox for %d distinct targets, %d posts not published\n", targets, sent, refs, notPublished)
	if sent != o.Posts || refs != o.Posts || notPublished != 0 {
		return fmt.Errorf("bench: NOT exactly once: %d posts, %d sent, %d distinct, %d not published", o.Posts, sent, refs, notPublished)
	}
	// 3. Bare River with the same queue settings and latency, as the limit.
	if err := m.queue.Stop(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nbare River (riverpgxv5): %d jobs that each wait %s, all due at one instant, fetch poll %s\n", o.Posts, o.Latency, o.Tuning.PollInterval)
	var best queue.BareResult
	var bestT queue.Tuning
	for _, w := range o.BareWorkers {
		for _, c := range o.BareCooldowns {
			t := queue.Tuning{PublishWorkers: w, FetchCooldown: c, PollInterval: o.Tuning.PollInterval}
			before := sampleCPU(ctx, m.db.SQL())
			bare, err := queue.BarePgx(ctx, m.db.Pool(), m.db.SQL(), t, o.Posts, o.Latency, log)
			if err != nil {
				return err
			}
			// From before the inserts to after the results: an upper bound of the burst's.
			self, _, backends := cpuUsed(before, sampleCPU(ctx, m.db.SQL()))
			fmt.Fprintf(out, "  workers %4d  fetch cooldown %-5s  start lag p50 %s  p99 %s  max %s  drain %s  %.0f jobs/s  CPU per job (insert included): Go %s, PostgreSQL %s\n",
				w, c, bare.LagP50.Round(time.Millisecond), bare.LagP99.Round(time.Millisecond), bare.Lag.Round(time.Millisecond),
				bare.Drain.Round(time.Millisecond), bare.JobsPerSecond, per(self), per(backends))
			if bare.JobsPerSecond > best.JobsPerSecond {
				best, bestT = bare, t
			}
		}
	}
	fmt.Fprintf(out, "  best: workers %d, fetch cooldown %s: %.0f jobs/s, drain %s\n", bestT.PublishWorkers, bestT.FetchCooldown, best.JobsPerSecond, best.Drain.Round(time.Millisecond))
	fmt.Fprintf(out, "\nHerald / bare River throughput: %.2f  (target: >= 0.50)\n", rate/best.JobsPerSecond)
	closed = true
	return m.close(ctx)
}

type benchActor struct {
	actor   domain.Actor
	account domain.AccountID
}

// benchCompanies makes n companies, each with an owner and a connected sandbox account,
// through the same connect flow people use.
func benchCompanies(ctx context.Context, m *herald, n int) ([]benchActor, error) {
	out := make([]benchActor, n)
	err := parallel(n, 8, func(i int) error {
		var actor domain.Actor
		err := m.db.InTx(ctx, func(tx ports.Tx) error {
			c, err := domain.NewCompany(fmt.Sprintf("Bench %d", i), time.Now())
			if err != nil {
				return err
			}
			c.Plan = domain.PlanBusiness // no monthly limit on scheduled posts
			if err := tx.Companies().Create(ctx, &c); err != nil {
				return err
			}
			u := domain.User{Email: fmt.Sprintf("bench-%d-%d@example.com", i, time.Now().UnixNano()), Name: "Bench", CreatedAt: time.Now()}
			if err := tx.Users().Create(ctx, &u, "unusable"); err != nil {
				return err
			}
			actor = domain.Actor{UserID: u.ID, CompanyID: c.ID, Role: domain.RoleOwner}
			return tx.Memberships().Add(ctx, domain.Membership{CompanyID: c.ID, UserID: u.ID, Role: domain.RoleOwner, JoinedAt: time.Now()})
		})
		if err != nil {
			return err
		}
		if err := m.authz.Reload(ctx, actor.CompanyID); err != nil {
			return err
		}
		authorize, err := m.App.Accounts.Connect(ctx, actor, "sandbox", "/accounts")
		if err != nil {
			return err
		}
		redirect, err := m.sandbox.Consent(ctx, authorize, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return err
		}
		r, err := url.Parse(redirect)
		if err != nil {
			return err
		}
		done, err := m.App.Accounts.Callback(ctx, actor.UserID, "sandbox", r.Query().Get("state"), r.Query().Get("code"), "", "")
		if err != nil {
			return err
		}
		out[i] = benchActor{actor: actor, account: done.Accounts[0].ID}
		return nil
	})
	return out, err
}

// benchDrafts creates n drafts spread over the actors, and returns their ids in order.
func benchDrafts(ctx context.Context, m *herald, actors []benchActor, n, workers int) ([]domain.PostID, error) {
	ids := make([]domain.PostID, n)
	err := parallel(n, workers, func(i int) error {
		a := actors[i%len(actors)]
		p, err := m.App.Posts.Create(ctx, a.actor, domain.PostInput{Content: fmt.Sprintf("Benchmark post %d #herald", i), AccountIDs: []domain.AccountID{a.account}})
		ids[i] = p.ID
		return err
	})
	return ids, err
}

// benchBulk creates and schedules n posts spread over the actors' companies, all due at
// due, through the bulk path (app.Posts.CreateMany, as POST /posts/bulk): one request of at
// most app.MaxBulkPosts posts per company at a time, on workers goroutines, and prints the
// scheduling rate.
func benchBulk(ctx context.Context, m *herald, actors []benchActor, n int, due time.Time, workers int, out io.Writer) error {
	per := make([][]app.BulkPost, len(actors))
	for i := range n {
		a := i % len(actors)
		per[a] = append(per[a], app.BulkPost{Input: domain.PostInput{Content: fmt.Sprintf("Benchmark post %d #herald", i),
			AccountIDs: []domain.AccountID{actors[a].account}}, Schedule: true, At: due})
	}
	type request struct {
		actor int
		posts []app.BulkPost
	}
	var requests []request
	for a, posts := range per {
		for len(posts) > 0 {
			k := min(len(posts), app.MaxBulkPosts)
			requests = append(requests, request{a, posts[:k]})
			posts = posts[k:]
		}
	}
	start := time.Now()
	err := parallel(len(requests), workers, func(i int) error {
		r := requests[i]
		results, err := m.App.Posts.CreateMany(ctx, actors[r.actor].actor, r.posts)
		if err != nil {
			return err
		}
		for _, res := range results {
			if res.Err != nil {
				return fmt.Errorf("bench: bulk item refused: %w", res.Err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(out, "\nbulk scheduling: %d posts in %d requests (%d at a time) in %s: %.0f posts/s  (target: >= 3,000)\n",
		n, len(requests), workers, took.Round(time.Millisecond), float64(n)/took.Seconds())
	return nil
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// waitPublished waits until none of the n posts just scheduled is unfinished, for at most
// 10 minutes. It counts the unfinished ones (scheduled or publishing), which the partial
// index posts_unfinished holds: the look costs less as the burst drains, where counting the
// finished ones would read every published post each time and grow with N.
func waitPublished(ctx context.Context, m *herald, n int) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var left int
		if err := m.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE status IN ('scheduled', 'publishing')`).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d posts still unfinished after 10 minutes", left, n)
		}
		// Not more often: the count is work for the database the burst is measured on.
		time.Sleep(50 * time.Millisecond)
	}
}

// startLag reads the start lag of every publish_post job: when River started it minus the
// post's due time (its scheduled_at), from River's own rows.
func startLag(ctx context.Context, m *herald, _ string) (p50, p99, worst time.Duration, err error) {
	return lagPercentiles(ctx, m, `attempted_at - scheduled_at`, `river_job WHERE kind = 'publish_post'`)
}

// publishedLag reads when each post's target reached the platform (the sandbox's answer
// time) minus the post's due time.
func publishedLag(ctx context.Context, m *herald) (p50, p99, worst time.Duration, err error) {
	return lagPercentiles(ctx, m, `t.published_at - p.scheduled_for`,
		`post_targets t JOIN posts p ON p.company_id = t.company_id AND p.id = t.post_id WHERE t.published_at IS NOT NULL`)
}

// lagPercentiles returns the median, 99th percentile and maximum of the interval lag over
// the rows of from (both SQL written here, never input).
func lagPercentiles(ctx context.Context, m *herald, lag, from string) (p50, p99, worst time.Duration, err error) {
	var a, b, c float64
	err = m.db.SQL().QueryRowContext(ctx, `
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM `+lag+`)),
		       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM `+lag+`)),
		       max(extract(epoch FROM `+lag+`))
		FROM `+from).Scan(&a, &b, &c)
	d := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)).Round(time.Millisecond) }
	return d(a), d(b), d(c), err
}

// benchReset forgets the idle run's posts and jobs before the burst.
func benchReset(ctx context.Context, m *herald) error {
	for _, q := range []string{`DELETE FROM river_job WHERE kind IN ('publish_post', 'publish_target')`, `DELETE FROM posts`, `DELETE FROM sandbox_posts`} {
		if _, err := m.db.SQL().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bench: reset: %w", err)
		}
	}
	return nil
}

// openStore connects to dbURL with at most conns connections, with the insert-only River
// client that the store inserts its jobs through, as cmd/herald wires them.
func openStore(ctx context.Context, dbURL string, conns int, log *slog.Logger) (*postgres.DB, error) {
	pool, err := postgres.Connect(ctx, dbURL, int32(conns))
	if err != nil {
		return nil, err
	}
	inserter, err := queue.NewInserter(pool, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return postgres.New(pool, inserter.Jobs), nil
}
