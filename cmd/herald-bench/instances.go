package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/adapters/webhook"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// instancesOptions are the flags of `herald-bench instances`.
type instancesOptions struct {
	Posts, Companies, Setup, Repeat int
	Instances                       []int
	Latency                         time.Duration
	Herald                          string
}

// instancesCmd runs `herald-bench instances`: the same burst published by 1, 2, ... real
// herald processes on one scratch database, with what the database needed for it (CPU,
// connections, WAL and table bytes per post). See BENCHMARKS.md.
func instancesCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("instances", flag.ContinueOnError)
	fs.SetOutput(out)
	var o instancesOptions
	counts := fs.String("instances", "1,2", "how many herald processes publish the burst, one run per number")
	fs.IntVar(&o.Posts, "posts", 10_000, "posts due at the same instant")
	fs.IntVar(&o.Companies, "companies", 100, "companies the posts are spread over, one sandbox account each")
	fs.DurationVar(&o.Latency, "latency", 50*time.Millisecond, "the sandbox platform's answer time")
	fs.IntVar(&o.Setup, "setup-workers", 8, "goroutines creating and scheduling posts")
	fs.IntVar(&o.Repeat, "repeat", 1, "runs of each number of instances")
	fs.StringVar(&o.Herald, "herald", "", "the herald binary to run (default: built from this repository)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 8 {
			return fmt.Errorf("instances: --instances takes numbers from 1 to 8, such as 1,2 (got %q)", s)
		}
		o.Instances = append(o.Instances, n)
	}
	if o.Posts < 1 || o.Companies < 1 || o.Companies > o.Posts || o.Repeat < 1 {
		return errors.New("instances: need posts >= companies >= 1 and repeat >= 1")
	}
	if runtime.GOOS != "linux" {
		return errors.New("instances: CPU time is read from /proc: Linux only")
	}
	work, err := os.MkdirTemp("", "herald-bench-instances-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.Herald, err = heraldBinary(ctx, o.Herald, work, out); err != nil {
		return fmt.Errorf("instances: %w", err)
	}
	fmt.Fprintf(out, "herald-bench instances --instances %s --posts %d --companies %d --latency %s --repeat %d\n",
		*counts, o.Posts, o.Companies, o.Latency, o.Repeat)
	fmt.Fprintf(out, "machine: %d CPUs, %s, %s/%s; database: %s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		map[bool]string{true: "an embedded cluster of its own (fsync off)", false: "the server of DATABASE_URL (PostgreSQL's CPU is the whole server's: give the benchmark a server of its own)"}[cfg.DatabaseURL == ""])
	var results []instancesResult
	for r := range o.Repeat {
		for _, n := range o.Instances {
			var res instancesResult
			err := scratchDatabase(ctx, cfg, log, func(dbURL string) error {
				var err error
				res, err = benchInstances(ctx, dbURL, filepath.Join(work, fmt.Sprintf("run%d-%d", r, n)), n, cfg.DBMaxConns, o, log, out)
				return err
			})
			if err != nil {
				return err
			}
			results = append(results, res)
		}
	}
	fmt.Fprintf(out, "\nsummary (posts/s of the burst, drain):\n")
	for _, n := range o.Instances {
		fmt.Fprintf(out, "  %d instance(s):", n)
		for _, r := range results {
			if r.instances == n {
				fmt.Fprintf(out, "  %.0f/s %s", r.rate, r.drain.Round(time.Millisecond))
			}
		}
		fmt.Fprintln(out)
	}
	return nil
}

// instancesResult is one run's outcome, for the summary.
type instancesResult struct {
	instances int
	rate      float64
	drain     time.Duration
}

// heraldProcess is one running `herald serve`.
type heraldProcess struct {
	cmd          *exec.Cmd
	url, metrics string
	logs         *lockedLog
}

// lockedLog collects a process's output.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// benchInstances makes the companies and drafts and schedules the burst through the use
// cases in this process (no queue works here), then starts n herald processes on dbURL and
// measures their publishing of the burst.
func benchInstances(ctx context.Context, dbURL, dir string, n, dbConns int, o instancesOptions, log *slog.Logger, out io.Writer) (instancesResult, error) {
	res := instancesResult{instances: n}
	keys, err := secret.GenerateKeySpec("bench")
	if err != nil {
		return res, err
	}
	h, err := setupHerald(ctx, dbURL, keys, dbConns, o.Latency, log)
	if err != nil {
		return res, err
	}
	defer h.close(ctx) //nolint:errcheck // no queue runs here
	db := h.db.SQL()
	fmt.Fprintf(out, "\n%d instance(s), %d posts over %d companies, sandbox latency %s\n", n, o.Posts, o.Companies, o.Latency)
	pgCPU, err := postgresServerCPU(ctx, h)
	if err != nil {
		return res, err
	}
	start := time.Now()
	actors, err := benchCompanies(ctx, h, o.Companies)
	if err != nil {
		return res, err
	}
	sizes0, err := tableSizes(ctx, h)
	if err != nil {
		return res, err
	}
	var wal0, wal1, wal2 string
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&wal0); err != nil {
		return res, err
	}
	self0, pg0 := selfCPU(), pgCPU()
	ids, err := benchDrafts(ctx, h, actors, o.Posts, o.Setup)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  setup: %d companies and %d drafts in %s\n", len(actors), len(ids), time.Since(start).Round(time.Millisecond))

	// The processes start once the burst is scheduled, so scheduling never competes with
	// publishing; the due time leaves room for both on a loaded machine.
	due := time.Now().Add(10*time.Second + time.Duration(o.Posts)*8*time.Millisecond).Truncate(time.Millisecond)
	if err := parallel(len(ids), o.Setup, func(i int) error {
		_, err := h.App.Posts.Schedule(ctx, actors[i%len(actors)].actor, ids[i], due, 0)
		return err
	}); err != nil {
		return res, err
	}
	self1, pg1 := selfCPU(), pgCPU()
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&wal1); err != nil {
		return res, err
	}
	procs := make([]*heraldProcess, n)
	defer func() {
		for _, p := range procs {
			if p != nil && p.cmd.Process != nil {
				p.stop()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = startHeraldProcess(ctx, o.Herald, filepath.Join(dir, strconv.Itoa(i)), "DATABASE_URL="+dbURL,
				"HERALD_ENCRYPTION_KEYS="+keys, "HERALD_SANDBOX_LATENCY="+o.Latency.String(), "HERALD_DB_MAX_CONNS="+strconv.Itoa(dbConns),
				"HERALD_LOG_LEVEL=warn")
			if errs[i] != nil {
				errs[i] = fmt.Errorf("instances: %w", errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	// The burst starts at its due time, or when every process is ready if that is later.
	burst := due
	if wait := time.Until(due); wait > 0 {
		time.Sleep(wait)
	} else {
		burst = time.Now()
		fmt.Fprintf(out, "  warning: the processes were ready %s after the due time: the burst is measured from then\n", (-wait).Round(time.Millisecond))
	}
	heraldCPU0 := make([]time.Duration, n)
	for i, p := range procs {
		heraldCPU0[i] = processCPU(p.cmd.Process.Pid)
	}
	pg2 := pgCPU()
	conns := &maxSampler{}
	sctx, stopSampling := context.WithCancel(ctx)
	go conns.run(sctx, func() (int, error) {
		var c int
		err := db.QueryRowContext(sctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(&c)
		return c, err
	})
	err = waitPublished(ctx, h, o.Posts)
	stopSampling()
	if err != nil {
		return res, err
	}
	pg3 := pgCPU()
	var heraldCPU time.Duration
	shares := make([]string, n)
	for i, p := range procs {
		heraldCPU += processCPU(p.cmd.Process.Pid) - heraldCPU0[i]
		stored, err := p.stored()
		if err != nil {
			return res, err
		}
		shares[i] = fmt.Sprintf("%d", stored)
	}
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&wal2); err != nil {
		return res, err
	}
	var walSchedule, walPublish int64
	if err := db.QueryRowContext(ctx, `SELECT pg_wal_lsn_diff($2, $1)::bigint, pg_wal_lsn_diff($3, $2)::bigint`, wal0, wal1, wal2).Scan(&walSchedule, &walPublish); err != nil {
		return res, err
	}
	var drainSec float64
	var targets, refs, sent, notPublished int
	if err := db.QueryRowContext(ctx, `SELECT count(*), extract(epoch FROM max(published_at) - $1::timestamptz) FROM post_targets`, burst).Scan(&targets, &drainSec); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(DISTINCT reference), count(*) FROM sandbox_posts`).Scan(&refs, &sent); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE status <> 'published'`).Scan(&notPublished); err != nil {
		return res, err
	}
	res.drain = time.Duration(drainSec * float64(time.Second))
	res.rate = float64(o.Posts) / res.drain.Seconds()
	perPost := func(d time.Duration) string {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(o.Posts))
	}
	fmt.Fprintf(out, "  burst: drain (last target published - due time) %s, %.0f posts/s; published by each instance: %s\n",
		res.drain.Round(time.Millisecond), res.rate, strings.Join(shares, " + "))
	fmt.Fprintf(out, "  exactly once: %d targets, %d sent to the sandbox for %d distinct targets, %d posts not published\n", targets, sent, refs, notPublished)
	if sent != o.Posts || refs != o.Posts || notPublished != 0 {
		return res, fmt.Errorf("instances: NOT exactly once: %d posts, %d sent, %d distinct, %d not published", o.Posts, sent, refs, notPublished)
	}
	fmt.Fprintf(out, "  CPU per post, creating and scheduling: herald-bench %s, PostgreSQL %s\n", perPost(self1-self0), perPost(pg1-pg0))
	fmt.Fprintf(out, "  CPU per post, publishing: herald processes %s, PostgreSQL %s\n", perPost(heraldCPU), perPost(pg3-pg2))
	fmt.Fprintf(out, "  connections to the database during the burst: at most %d (%d instance(s) x (HERALD_DB_MAX_CONNS %d + up to 4 listener) + herald-bench's idle pool)\n",
		conns.max(), n, dbConns)
	fmt.Fprintf(out, "  WAL per post: %.1f KiB creating and scheduling, %.1f KiB publishing\n",
		float64(walSchedule)/1024/float64(o.Posts), float64(walPublish)/1024/float64(o.Posts))
	sizes1, err := tableSizes(ctx, h)
	if err != nil {
		return res, err
	}
	return res, printSizes(out, sizes0, sizes1, o.Posts)
}

// setupHerald wires the use cases on dbURL as cmd/herald does, with the key ring keys and the
// sandbox, but runs no queue: the herald processes work the jobs.
func setupHerald(ctx context.Context, dbURL, keys string, dbConns int, latency time.Duration, log *slog.Logger) (*herald, error) {
	h := &herald{stop: func() {}} // nothing runs in the background here
	if _, err := postgres.Migrate(ctx, dbURL, postgres.Up, log); err != nil {
		return h, err
	}
	var err error
	if h.db, err = openStore(ctx, dbURL, dbConns, log); err != nil {
		return h, err
	}
	if h.authz, err = authz.New(ctx, h.db.Pool(), log); err != nil {
		h.db.Close()
		return h, err
	}
	ring, err := secret.ParseKeyRing(keys)
	if err != nil {
		h.db.Close()
		return h, err
	}
	const base = "http://127.0.0.1"
	h.sandbox = sandbox.New(h.db.SQL(), sandbox.Config{BaseURL: base, Latency: latency})
	callback := func(p domain.Platform) string { return base + "/api/v1/accounts/callback/" + string(p) }
	if h.App, err = app.New(app.Deps{Store: h.db, Authz: h.authz, Hasher: secret.DefaultArgon2id, Cipher: ring,
		Platforms: []ports.Platform{h.sandbox}, WebhookSender: webhook.New(webhook.Options{}), CallbackURL: callback, Log: log}); err != nil {
		h.db.Close()
		return h, err
	}
	return h, nil
}

// heraldBinary returns bin, or when it is empty builds cmd/herald into dir and returns that.
func heraldBinary(ctx context.Context, bin, dir string, out io.Writer) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(dir, "herald")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/heraldhq/herald/cmd/herald")
	build.Stdout, build.Stderr = out, out
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build cmd/herald (run inside the repository, or pass --herald): %w", err)
	}
	return bin, nil
}

// startHeraldProcess runs `herald serve` with its own address (also its base URL), metrics
// address and data folder, and env (KEY=value: the database, keys, settings), and returns
// once it answers /readyz.
func startHeraldProcess(ctx context.Context, bin, dataDir string, env ...string) (*heraldProcess, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &heraldProcess{url: "http://" + addr, metrics: "http://" + metrics, logs: &lockedLog{}}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(append(os.Environ(), "HERALD_ADDR="+addr, "HERALD_BASE_URL="+p.url, "HERALD_METRICS_ADDR="+metrics,
		"HERALD_DATA_DIR="+dataDir), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start herald: %w", err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if res, err := http.Get(p.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.kill()
			return nil, fmt.Errorf("herald did not get ready within 2 minutes:\n%s", p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop asks the process to shut down and waits for it.
func (p *heraldProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_, _ = p.cmd.Process.Wait()
}

// kill ends the process at once.
func (p *heraldProcess) kill() {
	_ = p.cmd.Process.Kill()
	_, _ = p.cmd.Process.Wait()
}

// stored reads the process's herald_sandbox_posts_stored_total.
func (p *heraldProcess) stored() (int64, error) {
	res, err := http.Get(p.metrics + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("instances: metrics: %w", err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "herald_sandbox_posts_stored_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("instances: /metrics has no herald_sandbox_posts_stored_total (%v)", sc.Err())
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// clockTick is the unit of CPU times in /proc (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procTimes returns utime+stime and cutime+cstime of pid, from /proc/pid/stat, and its
// parent's pid; zero values when the process is gone.
func procTimes(pid int) (self, children time.Duration, ppid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0
	}
	// The command name may hold spaces: the fields start after its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, 0
	}
	n := func(i int) time.Duration { v, _ := strconv.ParseInt(f[i], 10, 64); return time.Duration(v) * clockTick }
	ppid, _ = strconv.Atoi(f[1])
	return n(11) + n(12), n(13) + n(14), ppid
}

// processCPU returns the CPU time pid has used.
func processCPU(pid int) time.Duration {
	self, _, _ := procTimes(pid)
	return self
}

// selfCPU returns the CPU time herald-bench has used.
func selfCPU() time.Duration { return processCPU(os.Getpid()) }

// postgresServerCPU returns a function reading the CPU time of the whole PostgreSQL server
// (postmaster, its live processes, and those that ended) when it runs on this machine, or
// one that reads zero.
func postgresServerCPU(ctx context.Context, h *herald) (func() time.Duration, error) {
	var backend int
	if err := h.db.SQL().QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return nil, err
	}
	_, _, postmaster := procTimes(backend)
	if postmaster == 0 {
		return func() time.Duration { return 0 }, nil
	}
	return func() time.Duration {
		self, ended, _ := procTimes(postmaster)
		total := self + ended
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if s, _, parent := procTimes(pid); parent == postmaster {
				total += s
			}
		}
		return total
	}, nil
}

// maxSampler keeps the largest value read every 100 ms.
type maxSampler struct {
	mu  sync.Mutex
	top int
}

func (m *maxSampler) run(ctx context.Context, read func() (int, error)) {
	for ctx.Err() == nil {
		if v, err := read(); err == nil {
			m.mu.Lock()
			m.top = max(m.top, v)
			m.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *maxSampler) max() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.top
}

// tableSizes returns every table's bytes with its indexes and TOAST, by name.
func tableSizes(ctx context.Context, h *herald) (map[string]int64, error) {
	rows, err := h.db.SQL().QueryContext(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// printSizes prints what each table grew by, per post: Herald's own tables (kept), River's
// jobs (deleted after River's retention) and the sandbox's (not in production).
func printSizes(out io.Writer, before, after map[string]int64, posts int) error {
	type grown struct {
		name string
		n    int64
	}
	var kept, jobs, sandboxed int64
	var list []grown
	for name, n := range after {
		d := n - before[name]
		if d <= 0 {
			continue
		}
		switch {
		case strings.HasPrefix(name, "river_"):
			jobs += d
		case strings.HasPrefix(name, "sandbox_"):
			sandboxed += d
		default:
			kept += d
			list = append(list, grown{name, d})
		}
	}
	slices.SortFunc(list, func(a, b grown) int { return int(b.n - a.n) })
	per := func(n int64) float64 { return float64(n) / 1024 / float64(posts) }
	fmt.Fprintf(out, "  table and index bytes per post: Herald's tables %.2f KiB", per(kept))
	for i, g := range list {
		if i == 5 {
			break
		}
		fmt.Fprintf(out, "%s%s %.2f", map[bool]string{true: " (", false: ", "}[i == 0], g.name, per(g.n))
	}
	if len(list) > 0 {
		fmt.Fprint(out, ")")
	}
	fmt.Fprintf(out, "; River's jobs %.2f KiB (deleted a day after they finish); the sandbox %.2f KiB (not in production)\n", per(jobs), per(sandboxed))
	return nil
}
