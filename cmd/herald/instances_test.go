package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/secret"
)

// The burst of the two-instance tests: burstCompanies companies with two sandbox accounts
// each, burstPerCompany posts per company on both accounts, all due at one instant. The
// sandbox answers in burstLatency, so each process's 200 publish workers go round several
// times and the burst lasts seconds.
const (
	burstCompanies  = 2
	burstPerCompany = 200
	burstTargets    = burstCompanies * burstPerCompany * 2
	burstLatency    = "2s"
)

// TestTwoInstances_ShareABurst runs two herald processes on one database and lets a burst
// of posts fall due: each process publishes a real share of it (its own
// herald_sandbox_posts_stored_total), every post ends published, and the platform gets
// every target exactly once (issue 18.4).
func TestTwoInstances_ShareABurst(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary twice")
	}
	b := newTwoInstanceBurst(t)
	b.scheduleBurst()
	b.waitAllPublished(3 * time.Minute)
	b.requireExactlyOnce()
	var total int64
	for _, p := range b.procs {
		n := p.stored(t)
		total += n
		t.Logf("%s published %d of %d targets", p.name, n, burstTargets)
		if n < burstTargets/10 {
			t.Errorf("%s published %d of %d targets, want at least a tenth: the instances did not share the burst", p.name, n, burstTargets)
		}
	}
	if total != burstTargets {
		t.Errorf("the two processes published %d targets together, want %d", total, burstTargets)
	}
}

// TestTwoInstances_SIGKILLOneMidBurstLosesAndDuplicatesNothing runs two herald processes
// on one database, lets a burst fall due, and once both have published part of it kills
// one with SIGKILL while its platform calls are in flight. The survivor alone finishes:
// the jobs the killed one held are rescued (adapters/queue/rescue.go), open attempts are
// looked up instead of sent again, every post ends published and the platform has every
// target exactly once (issue 18.4).
func TestTwoInstances_SIGKILLOneMidBurstLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary twice")
	}
	b := newTwoInstanceBurst(t)
	b.scheduleBurst()
	survivor, victim := b.procs[0], b.procs[1]
	var before [2]int64
	for deadline := time.Now().Add(3 * time.Minute); ; {
		before[0], before[1] = survivor.stored(t), victim.stored(t)
		if before[0] > 0 && before[1] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 minutes after the posts fell due, %s published %d and %s %d targets: the instances do not share the burst\n%s",
				survivor.name, before[0], victim.name, before[1], b.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = victim.cmd.Process.Wait()
	var published, open int
	if err := b.db.QueryRow(`SELECT count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE attempt_open) FROM post_targets`).Scan(&published, &open); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s after it published %d targets (%s: %d); at the kill %d of %d targets were published and %d had an attempt open",
		victim.name, before[1], survivor.name, before[0], published, burstTargets, open)
	if published == burstTargets {
		t.Fatalf("the burst was over before the kill: nothing was left to rescue; make it longer")
	}
	killed := time.Now()
	b.waitAllPublished(4 * time.Minute)
	t.Logf("%s finished the burst alone %.1fs after the kill", survivor.name, time.Since(killed).Seconds())
	b.requireExactlyOnce()
	if after := survivor.stored(t); after <= before[0] {
		t.Errorf("%s published nothing after %s was killed (%d before, %d after)", survivor.name, victim.name, before[0], after)
	}
}

// heraldProc is one running herald process of a multi-instance test.
type heraldProc struct {
	name, url, metrics string
	cmd                *exec.Cmd
	logs               *lockedBuffer
}

// stored reads the process's herald_sandbox_posts_stored_total from its /metrics.
func (p *heraldProc) stored(t *testing.T) int64 {
	t.Helper()
	res, err := http.Get(p.metrics + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", p.name, err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "herald_sandbox_posts_stored_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: herald_sandbox_posts_stored_total %q: %v", p.name, v, err)
			}
			return int64(f)
		}
	}
	t.Fatalf("%s /metrics has no herald_sandbox_posts_stored_total (%v)", p.name, sc.Err())
	return 0
}

// twoInstanceBurst is two herald processes on one fresh database, and the drafts of a
// burst made through both.
type twoInstanceBurst struct {
	t       *testing.T
	procs   []*heraldProc
	db      *sql.DB
	posts   []string
	owners  []*client     // the client posts[i] was created through
	perCall time.Duration // what one create call took on average
}

// freePort returns a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newTwoInstanceBurst builds herald, starts two processes on one fresh database (each with
// its own address, metrics address and data folder; the same database and encryption
// keys, as behind a load balancer), registers the companies (one through each process),
// connects their sandbox accounts and creates the drafts of the burst, alternating the
// processes, so a session made on one is used on the other.
func newTwoInstanceBurst(t *testing.T) *twoInstanceBurst {
	t.Helper()
	began := time.Now()
	dir := t.TempDir()
	bin := filepath.Join(dir, "herald")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keys, err := secret.GenerateKeySpec("multi")
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.FreshURL(t)
	b := &twoInstanceBurst{t: t}
	// Both start at once: the migrations' advisory lock lets one run them, the other waits.
	var wg sync.WaitGroup
	for _, name := range []string{"herald-a", "herald-b"} {
		addr, metrics := freePort(t), freePort(t)
		p := &heraldProc{name: name, url: "http://" + addr, metrics: "http://" + metrics, logs: &lockedBuffer{}}
		p.cmd = exec.Command(bin, "serve")
		p.cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "HERALD_ENCRYPTION_KEYS="+keys, "HERALD_ADDR="+addr,
			"HERALD_METRICS_ADDR="+metrics, "HERALD_DATA_DIR="+filepath.Join(dir, name), "HERALD_SANDBOX_LATENCY="+burstLatency,
			"HERALD_LOG_LEVEL=warn", "HERALD_API_RATE_LIMIT=0", "HERALD_SMTP_URL=",
			// A process takes at most this many due posts at once (its publish workers), so
			// the 400-post burst is more than one process holds and the two share it; with
			// the default (1,000) the first process to fetch would take the burst whole.
			"HERALD_PUBLISH_WORKERS=50")
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.cmd.Process.Kill(); _, _ = p.cmd.Process.Wait() })
		b.procs = append(b.procs, p)
		wg.Add(1)
		go func() { defer wg.Done(); p.ready() }()
	}
	wg.Wait()
	for _, p := range b.procs {
		if !p.isReady() {
			t.Fatalf("%s did not get ready within 2 minutes:\n%s", p.name, b.logs())
		}
	}
	if b.db, err = sql.Open("pgx", dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.db.Close() })

	var calls time.Duration
	for i := range burstCompanies {
		p := b.procs[i%2]
		jar, _ := cookiejar.New(nil)
		c := &client{t: t, base: p.url, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		me := register(t, c, fmt.Sprintf("multi%d", i))
		// The burst is larger than the free plan's month.
		if _, err := b.db.Exec(`UPDATE companies SET plan = 'business' WHERE id = $1`, me.companyID); err != nil {
			t.Fatal(err)
		}
		c = c.with(me.token, me.companyID)
		accounts := []string{connectSandboxAPI(t, c, fmt.Sprintf("multi%d-first", i)), connectSandboxAPI(t, c, fmt.Sprintf("multi%d-second", i))}
		for j := range burstPerCompany {
			// Every other post goes through the other process, with the same token.
			pc := c
			if j%2 == 1 {
				other := *c
				other.base = b.procs[(i+1)%2].url
				pc = &other
			}
			start := time.Now()
			st, _, body := pc.do(http.MethodPost, "/api/v1/posts", map[string]any{"content": fmt.Sprintf("burst %d/%d", i, j), "account_ids": accounts})
			calls += time.Since(start)
			if st != http.StatusCreated {
				t.Fatalf("create: %d %v", st, body)
			}
			b.posts = append(b.posts, body["id"].(string))
			b.owners = append(b.owners, pc)
		}
	}
	b.perCall = calls / time.Duration(len(b.posts))
	t.Logf("built herald, started two processes and created %d drafts in %s (%s a create call)", len(b.posts),
		time.Since(began).Round(time.Second), b.perCall.Round(time.Millisecond))
	return b
}

// ready waits up to 2 minutes for the process's /readyz.
func (p *heraldProc) ready() {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && !p.isReady(); {
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *heraldProc) isReady() bool {
	res, err := http.Get(p.url + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// scheduleBurst schedules every draft for one instant a few seconds ahead, through the
// process it was created on; the instant leaves time for all of them to be scheduled.
func (b *twoInstanceBurst) scheduleBurst() {
	t := b.t
	t.Helper()
	// A schedule call costs about what a create call did: leave twice that for each.
	due := time.Now().Add(3*time.Second + 2*time.Duration(len(b.posts))*b.perCall).Truncate(time.Second)
	for i := range b.posts {
		b.schedule(i, due)
	}
	if late := time.Since(due); late > 0 {
		// Still a burst: the posts fell due as they were scheduled, and both processes
		// were working them; exactly-once and sharing are checked all the same.
		t.Logf("scheduling the burst took %s past its due time (a loaded machine)", late.Round(time.Millisecond))
	}
}

func (b *twoInstanceBurst) schedule(i int, at time.Time) {
	b.t.Helper()
	st, _, body := b.owners[i].do(http.MethodPost, "/api/v1/posts/"+b.posts[i]+"/schedule", map[string]any{"scheduled_for": at.UTC().Format(time.RFC3339)})
	if st != http.StatusOK {
		b.t.Fatalf("schedule: %d %v", st, body)
	}
}

// waitAllPublished polls the database until every post of the burst is published.
func (b *twoInstanceBurst) waitAllPublished(within time.Duration) {
	t := b.t
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var left int
		if err := b.db.QueryRowContext(context.Background(), `SELECT count(*) FROM posts WHERE status <> 'published'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d posts not published within %s:\n%s", left, len(b.posts), within, b.logs())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// requireExactlyOnce checks the sandbox's own rows: one post per target, none twice.
func (b *twoInstanceBurst) requireExactlyOnce() {
	t := b.t
	t.Helper()
	var dupes, sent, distinct int
	if err := b.db.QueryRow(`SELECT count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0), count(*) FROM
		(SELECT reference, count(*) AS n FROM sandbox_posts GROUP BY reference) r`).Scan(&dupes, &sent, &distinct); err != nil {
		t.Fatal(err)
	}
	if dupes != 0 || sent != burstTargets || distinct != burstTargets {
		t.Errorf("the platform got %d posts for %d distinct targets (want %d each), %d of them more than once", sent, distinct, burstTargets, dupes)
	}
	var targets int
	if err := b.db.QueryRow(`SELECT count(*) FROM post_targets WHERE status = 'published' AND external_id <> ''`).Scan(&targets); err != nil {
		t.Fatal(err)
	}
	if targets != burstTargets {
		t.Errorf("%d targets are published with the platform's id, want %d", targets, burstTargets)
	}
}

// logs returns both processes' output, for a failure message.
func (b *twoInstanceBurst) logs() string {
	var s strings.Builder
	for _, p := range b.procs {
		fmt.Fprintf(&s, "--- %s\n%s", p.name, p.logs.String())
	}
	return s.String()
}
