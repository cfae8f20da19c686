//go:build unix

package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests start real servers from the PostgreSQL installed on the machine; each makes
// its own cluster, so they run in parallel.

func TestStartStopReuse(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// The space checks the quoting of the paths handed to pg_ctl and postgres.
	opts := testOptions(t, dataDir(t, "data with space"))

	c := start(t, opts)
	u, err := url.Parse(c.URL())
	if err != nil || u.Scheme != "postgres" || u.Hostname() != "127.0.0.1" || u.Port() == "" ||
		u.Path != "/herald" || u.User.Username() != "herald" {
		t.Fatalf("URL() = %q (%v), want postgres://herald@127.0.0.1:<port>/herald", c.URL(), err)
	}
	conn := connect(t, c.URL())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('first run')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	// The unix socket works too, for psql users.
	if err := ping(ctx, socketDSN(c)); err != nil {
		t.Fatalf("connect over the socket in %s: %v", c.sockDir, err)
	}
	if c.user != nil {
		checkOwner(t, c.data, c.user.uid)
	}

	if _, err := Start(ctx, opts); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "herald process") {
		t.Fatalf("second Start on a running cluster: err = %v, want ErrInUse naming the herald process", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after Stop: %v; want none, as the server has stopped", err)
	}

	c = start(t, opts)
	wantNote(t, c, "first run")
}

func TestStartAfterKilledRun(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, dataDir(t))
	c := start(t, opts)
	execSQL(t, c, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('before the kill')")

	// Herald is killed; PostgreSQL outlives it. The next start stops that server first.
	abandon(c)
	c = start(t, opts)
	wantNote(t, c, "before the kill")

	// Herald and PostgreSQL are killed together, leaving a postmaster.pid whose process is
	// gone (or a zombie, where the container's first process does not reap orphans).
	pid, _, ok := readPidFile(filepath.Join(c.data, "postmaster.pid"))
	if !ok {
		t.Fatal("no postmaster.pid in a running cluster")
	}
	killServer(t, pid)
	abandon(c)
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err != nil {
		t.Fatalf("the killed server should have left its postmaster.pid: %v", err)
	}
	c = start(t, opts)
	wantNote(t, c, "before the kill")
}

func TestStartWithLongDataDir(t *testing.T) {
	t.Parallel()
	dir := dataDir(t, strings.Repeat("a-folder-name-long-enough-", 5))
	if len(socketPath(filepath.Join(dir, "postgres", "run"))) <= maxSocketPath {
		t.Fatalf("test setup: %s is not too long for a socket", dir)
	}
	c := start(t, testOptions(t, dir))
	if !c.tempSocket || !strings.HasPrefix(c.sockDir, os.TempDir()) {
		t.Fatalf("socket folder %s, want a temporary folder under %s", c.sockDir, os.TempDir())
	}
	wantNote(t, c, "") // answers over TCP
	if err := ping(t.Context(), socketDSN(c)); err != nil {
		t.Fatalf("connect over the socket in %s: %v", c.sockDir, err)
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.sockDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Stop left the temporary socket folder %s: %v", c.sockDir, err)
	}
}

func TestFindBinariesNotInstalled(t *testing.T) {
	t.Parallel()
	partial := t.TempDir()
	writeExecutable(t, filepath.Join(partial, "pg_ctl"))
	for _, path := range []string{"", partial} {
		_, err := findBinaries(env(path), nil)
		if !errors.Is(err, ErrNotInstalled) {
			t.Fatalf("PATH=%q: err = %v, want ErrNotInstalled", path, err)
		}
		for _, hint := range []string{"apt-get install postgresql", "brew install postgresql@16", "DATABASE_URL", "docker compose up"} {
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("PATH=%q: error %q does not mention %q", path, err, hint)
			}
		}
	}
	if _, err := findBinaries(env(partial), nil); !strings.Contains(err.Error(), "lacks initdb and postgres") {
		t.Errorf("error %q does not say what the folder with pg_ctl alone lacks", err)
	}
}

func TestFindBinariesResolvesLinksAndPrefersHighestVersion(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir()) // macOS's temporary folder is behind a link
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"9.6", "15", "16"} {
		for _, p := range programs {
			writeExecutable(t, filepath.Join(root, "lib", v, "bin", p))
		}
	}
	// A bin folder of links into version 15, as /usr/local/bin is on some machines, and one
	// folder with pg_ctl only, as a client package may leave.
	links, partial := filepath.Join(root, "links"), filepath.Join(root, "partial")
	for _, p := range programs {
		mustLink(t, filepath.Join(root, "lib", "15", "bin", p), filepath.Join(links, p))
	}
	writeExecutable(t, filepath.Join(partial, "pg_ctl"))

	got, err := findBinaries(env("relative/dir"+string(filepath.ListSeparator)+partial+string(filepath.ListSeparator)+links),
		[]string{filepath.Join(root, "lib", "*", "bin")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "lib", "15", "bin"), // through PATH's links
		filepath.Join(root, "lib", "16", "bin"),
		filepath.Join(root, "lib", "9.6", "bin"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("findBinaries = %q, want %q", got, want)
	}
}

// testOptions returns fast options for a cluster in dir.
func testOptions(t *testing.T, dir string) Options {
	return Options{
		DataDir: dir,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		NoSync:  true,
		Timeout: 15 * time.Second,
	}
}

// dataDir returns a fresh folder for a cluster, below t.TempDir.
func dataDir(t *testing.T, sub ...string) string {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// PostgreSQL then runs as another user, which must get through the folders that
		// t.TempDir makes private to root.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(append([]string{dir}, sub...)...)
}

// start starts a cluster that the test stops at its end.
func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// abandon does to c what herald's death would: the kernel drops the lock, and nobody stops
// the server.
func abandon(c *Cluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.releaseLocked()
}

// killServer kills the postmaster pid and its children at once, as the OOM killer or the
// end of a container would, and waits until they are gone.
func killServer(t *testing.T, pid int) {
	t.Helper()
	target := pid
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		target = -pid // pg_ctl made the postmaster a process group leader
	}
	if err := syscall.Kill(target, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed postmaster to exit", func() bool { return processGone(pid) })
}

// socketDSN returns a connection string to database herald over c's unix socket.
func socketDSN(c *Cluster) string {
	quote := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return fmt.Sprintf("host='%s' port=%d user=herald dbname=herald", quote.Replace(c.sockDir), c.port)
}

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execSQL(t *testing.T, c *Cluster, sql string) {
	t.Helper()
	if _, err := connect(t, c.URL()).Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

// wantNote checks that table kept holds note, or, for "", that the server answers.
func wantNote(t *testing.T, c *Cluster, note string) {
	t.Helper()
	conn := connect(t, c.URL())
	defer conn.Close(t.Context())
	if note == "" {
		if err := conn.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		return
	}
	var got string
	if err := conn.QueryRow(t.Context(), "SELECT note FROM kept").Scan(&got); err != nil || got != note {
		t.Fatalf("SELECT note FROM kept = %q, %v; want %q", got, err, note)
	}
}

func checkOwner(t *testing.T, path string, uid uint32) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Sys().(*syscall.Stat_t).Uid; got != uid {
		t.Fatalf("%s belongs to uid %d, want %d", path, got, uid)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func env(path string) func(string) string {
	return func(k string) string {
		if k == "PATH" {
			return path
		}
		return ""
	}
}

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
