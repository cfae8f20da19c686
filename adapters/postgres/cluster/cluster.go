// Package cluster runs Herald's private, embedded PostgreSQL server from the PostgreSQL
// server programs installed on the machine (initdb, pg_ctl and postgres; see
// FindBinaries). `herald serve` starts one when DATABASE_URL is unset, and the test helper
// falls back to one when no other server answers.
//
// Start keeps everything in <DataDir>/postgres:
//
//	data/          the cluster: made by initdb on first start, reused afterwards
//	run/           the server's unix socket (see Start for long paths)
//	postgres.log   the server's log
//	herald.lock    locked by the herald process that runs the cluster
//
// The server listens on 127.0.0.1 only, on a free port picked at each start, and trusts
// every connection there and on its socket as the superuser herald: anyone who can log in
// to the machine can use it. It suits development and single-user machines, not shared
// hosts. The cluster uses the C locale, so that it behaves the same on every machine:
// text sorts by code point, and lower and upper change ASCII letters only.
//
// PostgreSQL refuses to run as root. When herald runs as root, as in containers and CI,
// Start runs initdb, pg_ctl and postgres as an unprivileged system user instead (postgres
// unless Options.RunAs says otherwise), gives <DataDir>/postgres to that user, and fails
// unless that user may enter every folder above it.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrInUse is wrapped by Start's error when another process runs the cluster in the data
// folder.
var ErrInUse = errors.New("cluster: the embedded PostgreSQL is in use by another process")

const (
	superuser      = "herald" // made by initdb
	database       = "herald" // made by Start; URL points to it
	defaultTimeout = 60 * time.Second
	pollInterval   = 50 * time.Millisecond
	portAttempts   = 3 // another program may take the free port before postgres binds it
)

// Options configures Start.
type Options struct {
	// DataDir is Herald's data folder; the cluster lives in DataDir/postgres. Required.
	DataDir string
	// Logger receives what the cluster does; nil discards it.
	Logger *slog.Logger
	// Getenv reads the environment, only PATH, to find the server programs; nil means
	// os.Getenv.
	Getenv func(string) string
	// BinDir is the folder holding initdb, pg_ctl and postgres. Empty means searching as
	// FindBinaries does, preferring the version that made an existing cluster.
	BinDir string
	// RunAs names the unprivileged user that runs PostgreSQL when herald runs as root;
	// empty means "postgres". It is ignored when herald does not run as root.
	RunAs string
	// NoSync makes initdb and the server skip fsync: much faster, but a crash of the
	// machine may lose or corrupt the data. For tests only.
	NoSync bool
	// Timeout bounds each of starting and stopping the server; zero means 60 seconds.
	Timeout time.Duration
}

// Cluster is a running embedded PostgreSQL server. Its methods are safe for concurrent use.
type Cluster struct {
	log        *slog.Logger
	user       *runUser // nil: herald's own user
	timeout    time.Duration
	noSync     bool
	bin        string // folder of the server programs
	base       string // DataDir/postgres
	data       string // base/data, the cluster itself
	sockDir    string
	tempSocket bool // sockDir was made under os.TempDir and is removed by Stop
	port       int

	mu      sync.Mutex
	lock    *os.File // nil once released
	stopped bool
}

// Start starts the embedded PostgreSQL server of opts.DataDir, creating the cluster on
// first use, and returns once the database herald accepts connections.
//
// It cleans up after an earlier herald run that was killed: it removes a postmaster.pid
// whose process is gone, and stops a server left running. The unix socket goes in
// <DataDir>/postgres/run, or, when that path is too long for a socket address, in a
// private folder under os.TempDir, which Stop removes.
//
// It returns an error wrapping ErrNotInstalled when the server programs are missing, one
// wrapping ErrInUse when another process runs the cluster, and an error carrying the end of
// the server's log when the server fails to start.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, dirs, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if err := c.prepareBase(); err != nil {
		return nil, err
	}
	if c.lock, err = lockFile(filepath.Join(c.base, "herald.lock")); err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			c.release()
		}
	}()
	if err := c.prepare(ctx, dirs); err != nil {
		return nil, err
	}
	if err := c.serve(ctx); err != nil {
		return nil, err
	}
	started = true
	c.log.Info("embedded PostgreSQL started", "port", c.port, "data", c.data, "programs", c.bin)
	return c, nil
}

// prepare readies the cluster folder for a server: the programs to run it, the cluster
// itself, no leftovers of an earlier run, and a folder for the socket.
func (c *Cluster) prepare(ctx context.Context, dirs []string) error {
	if err := c.pickBin(ctx, dirs); err != nil {
		return err
	}
	if err := c.initIfNeeded(ctx); err != nil {
		return err
	}
	if err := c.recoverPidFile(ctx); err != nil {
		return err
	}
	return c.prepareSocketDir()
}

// serve starts the server and readies the database herald, stopping the server again
// when that fails.
func (c *Cluster) serve(ctx context.Context) error {
	if err := c.launch(ctx); err != nil {
		// pg_ctl gives up after the timeout, or when ctx ends, while the server may still
		// be starting; a server that fails on its own removes its postmaster.pid.
		if _, _, running := readPidFile(filepath.Join(c.data, "postmaster.pid")); running {
			c.stopQuietly(ctx)
		}
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		c.stopQuietly(ctx)
		return err
	}
	if err := c.ensureDatabase(ctx); err != nil {
		c.stopQuietly(ctx)
		return err
	}
	return nil
}

// URL returns the postgres:// URL of the database herald, over 127.0.0.1, as the
// superuser herald without a password.
func (c *Cluster) URL() string { return c.url(database) }

// Stop stops the server with pg_ctl's fast mode, which rolls back open transactions and
// closes connections, and waits until it has stopped. It releases the data folder and
// removes a socket folder made under os.TempDir even when stopping fails. It returns an
// error when pg_ctl fails, for example when the server had already died; calling Stop again
// returns nil.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	c.log.Info("stopping embedded PostgreSQL", "port", c.port)
	err := c.pgctlStop(ctx)
	c.releaseLocked()
	return err
}

// newCluster checks opts and returns the cluster's settings and the folders that hold the
// server programs, best first, without touching the disk.
func newCluster(opts Options) (*Cluster, []string, error) {
	if opts.DataDir == "" {
		return nil, nil, errors.New("cluster: no data folder given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: %w", err)
	}
	dirs, err := binDirs(opts)
	if err != nil {
		return nil, nil, err
	}
	u, err := lookupRunUser(opts.RunAs)
	if err != nil {
		return nil, nil, err
	}
	c := &Cluster{
		log:     opts.Logger,
		user:    u,
		timeout: opts.Timeout,
		noSync:  opts.NoSync,
		base:    filepath.Join(dataDir, "postgres"),
		data:    filepath.Join(dataDir, "postgres", "data"),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	return c, dirs, nil
}

// binDirs returns opts.BinDir if it holds the server programs, else every folder found.
func binDirs(opts Options) ([]string, error) {
	if opts.BinDir == "" {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		return findBinaries(getenv, defaultPatterns)
	}
	if missing := missingPrograms(opts.BinDir); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s lacks %s", ErrNotInstalled, opts.BinDir, strings.Join(missing, " and "))
	}
	return []string{opts.BinDir}, nil
}

// prepareBase makes DataDir/postgres, owned by the user that runs PostgreSQL.
func (c *Cluster) prepareBase() error {
	perm := fs.FileMode(0o700)
	if c.user != nil {
		// The folders made above base must let that user through; base itself is its own.
		perm = 0o711
		c.log.Info("herald runs as root, which PostgreSQL refuses; running PostgreSQL as another user", "user", c.user.name)
	}
	if err := os.MkdirAll(filepath.Dir(c.base), perm); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := os.Mkdir(c.base, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := c.user.chown(c.base); err != nil {
		return err
	}
	return c.user.checkReachable(c.base)
}

// pickBin chooses the first folder of dirs whose PostgreSQL can run an existing cluster:
// after an upgrade, a machine may hold several versions, and a cluster runs only under the
// major version that made it.
func (c *Cluster) pickBin(ctx context.Context, dirs []string) error {
	raw, err := os.ReadFile(filepath.Join(c.data, "PG_VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		c.bin = dirs[0]
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	want := strings.TrimSpace(string(raw))
	var found []string
	for _, dir := range dirs {
		out, err := c.run(ctx, filepath.Join(dir, "postgres"), "--version")
		if err != nil {
			return err
		}
		// The output reads "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
		fields := strings.Fields(out)
		if len(fields) >= 3 && sameMajor(fields[2], want) {
			c.bin = dir
			return nil
		}
		found = append(found, strings.TrimSpace(out)+" in "+dir)
	}
	return fmt.Errorf("cluster: %s was made by PostgreSQL %s, but only %s is installed: install PostgreSQL %s too, "+
		"or move that folder away to start with an empty cluster", c.data, want, strings.Join(found, ", "), want)
}

// initIfNeeded makes the cluster unless it exists. initdb works in a scratch folder renamed
// into place at the end, so that an interrupted first start leaves no half-made cluster.
func (c *Cluster) initIfNeeded(ctx context.Context) error {
	if _, err := os.Stat(c.data); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cluster: %w", err)
	}
	scratch := c.data + ".initdb"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("cluster: remove the leftovers of an interrupted initdb: %w", err)
	}
	c.log.Info("creating the embedded PostgreSQL cluster", "data", c.data, "programs", c.bin)
	args := []string{"-D", scratch, "-U", superuser, "--encoding=UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=trust"}
	if c.noSync {
		args = append(args, "--no-sync")
	}
	if _, err := c.run(ctx, c.program("initdb"), args...); err != nil {
		return err
	}
	if err := os.Rename(scratch, c.data); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

// recoverPidFile deals with a postmaster.pid left by an earlier run. Holding the lock, we
// know no herald process runs that server: either it died with herald, or it outlived it.
func (c *Cluster) recoverPidFile(ctx context.Context) error {
	pid, port, ok := readPidFile(filepath.Join(c.data, "postmaster.pid"))
	if !ok {
		return nil
	}
	if processGone(pid) {
		c.log.Warn("removing postmaster.pid left by a PostgreSQL that was killed", "pid", pid)
		if err := os.Remove(filepath.Join(c.data, "postmaster.pid")); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		return nil
	}
	if c.servesThisCluster(ctx, port) {
		c.log.Warn("stopping the PostgreSQL that an earlier herald run left running", "pid", pid, "port", port)
		return c.pgctlStop(ctx)
	}
	return fmt.Errorf("%w: %s names process %d, which is alive but does not answer as this cluster on port %d; "+
		"stop that PostgreSQL, or, if process %d is not PostgreSQL, delete the file",
		ErrInUse, filepath.Join(c.data, "postmaster.pid"), pid, port, pid)
}

// readPidFile returns the process id (line 1) and port (line 4) in a postmaster.pid, and
// whether the file exists and holds them.
func readPidFile(path string) (pid, port int, ok bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(raw), "\n")
	if len(lines) < 4 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	// A pid of 0 or less would make kill(2) signal a whole process group.
	return pid, port, err1 == nil && err2 == nil && pid > 0
}

// servesThisCluster reports whether the server on 127.0.0.1:port runs our data folder.
func (c *Cluster) servesThisCluster(ctx context.Context, port int) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, urlFor(port, "postgres"))
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return false
	}
	theirs, err1 := os.Stat(dir)
	ours, err2 := os.Stat(c.data)
	return err1 == nil && err2 == nil && os.SameFile(theirs, ours)
}

// prepareSocketDir makes an empty folder for the unix socket: base/run, or a private
// folder under os.TempDir when base/run is too long for a socket address.
func (c *Cluster) prepareSocketDir() error {
	dir := filepath.Join(c.base, "run")
	if len(socketPath(dir)) > maxSocketPath {
		tmp, err := os.MkdirTemp("", "herald-pg-")
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		c.sockDir, c.tempSocket = tmp, true
		c.log.Info("the data folder's path is too long for a unix socket; putting PostgreSQL's socket in a temporary folder",
			"socket_dir", tmp, "max_socket_path", maxSocketPath)
		if len(socketPath(tmp)) > maxSocketPath {
			return fmt.Errorf("cluster: the socket path %s is too long too; choose a shorter TMPDIR", socketPath(tmp))
		}
		return c.user.chown(tmp)
	}
	// Emptying it drops the socket lock files of a killed server, which would stop a new
	// one from using the same port.
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	c.sockDir = dir
	return c.user.chown(dir)
}

// socketPath returns the longest path of the socket PostgreSQL makes in dir.
func socketPath(dir string) string { return filepath.Join(dir, ".s.PGSQL.65535") }

// launch starts the server on a free port with pg_ctl, which waits until the server is up
// or has failed. It tries another port when the one picked was taken meanwhile.
func (c *Cluster) launch(ctx context.Context) error {
	logPath := filepath.Join(c.base, "postgres.log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		logStart := fileSize(logPath)
		err = c.pgctlStart(ctx, port, logPath)
		if err == nil {
			c.port = port
			return nil
		}
		tail := readFrom(logPath, logStart)
		if attempt < portAttempts && strings.Contains(tail, "could not bind") {
			c.log.Debug("port taken before PostgreSQL could bind it; trying another", "port", port)
			continue
		}
		return fmt.Errorf("%w\nPostgreSQL's log (%s):\n%s", err, logPath, lastLines(tail, 20))
	}
}

// pgctlStart runs pg_ctl start. The -o options pass through /bin/sh, hence the quoting.
func (c *Cluster) pgctlStart(ctx context.Context, port int, logPath string) error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s", port, shellQuote(listQuote(c.sockDir)))
	if c.noSync {
		opts += " -c fsync=off"
	}
	_, err := c.run(ctx, c.program("pg_ctl"), "start", "-w", "-t", c.timeoutSeconds(),
		"-D", c.data, "-l", logPath, "-o", opts)
	return err
}

// pgctlStop stops the server and waits until it has.
func (c *Cluster) pgctlStop(ctx context.Context) error {
	_, err := c.run(ctx, c.program("pg_ctl"), "stop", "-m", "fast", "-w", "-t", c.timeoutSeconds(), "-D", c.data)
	return err
}

// stopQuietly stops a server that Start launched but cannot hand over; Start's error says
// more than this one would.
func (c *Cluster) stopQuietly(ctx context.Context) {
	if err := c.pgctlStop(context.WithoutCancel(ctx)); err != nil {
		c.log.Warn("could not stop the embedded PostgreSQL after a failed start", "err", err)
	}
}

// waitReady polls until the server accepts connections. pg_ctl -w has waited already, but
// only for the server to say it is ready; this checks what herald needs, a TCP connection.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := ping(ctx, c.url("postgres"))
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: PostgreSQL does not accept connections on port %d: %w", c.port, err)
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, u string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// ensureDatabase creates the database herald unless it exists.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return fmt.Errorf("cluster: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		return fmt.Errorf("cluster: look for database %s: %w", database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
		return fmt.Errorf("cluster: create database %s: %w", database, err)
	}
	c.log.Info("created database "+database, "port", c.port)
	return nil
}

// release gives up the data folder without stopping the server.
func (c *Cluster) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releaseLocked()
}

func (c *Cluster) releaseLocked() {
	if c.tempSocket {
		if err := os.RemoveAll(c.sockDir); err != nil {
			c.log.Warn("could not remove the socket folder", "dir", c.sockDir, "err", err)
		}
		c.tempSocket = false
	}
	if c.lock != nil {
		c.lock.Close() // closing drops the lock
		c.lock = nil
	}
}

// run runs program as the user that runs PostgreSQL and returns its output, or an error
// holding that output.
func (c *Cluster) run(ctx context.Context, program string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, program, args...)
	// A folder that user may enter: PostgreSQL's programs fail in one they cannot.
	cmd.Dir = c.base
	c.user.apply(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		name := filepath.Base(program)
		if !strings.HasPrefix(args[0], "-") {
			name += " " + args[0] // pg_ctl's command
		}
		return "", fmt.Errorf("cluster: %s: %w\n%s", name, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (c *Cluster) program(name string) string { return filepath.Join(c.bin, name) }

func (c *Cluster) timeoutSeconds() string {
	return strconv.Itoa(int(math.Ceil(c.timeout.Seconds())))
}

func (c *Cluster) url(db string) string { return urlFor(c.port, db) }

// urlFor returns the URL of database db as the superuser over 127.0.0.1:port. TLS is off:
// the server has no certificate, and the connection never leaves the machine.
func urlFor(port int, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// freePort returns a TCP port on 127.0.0.1 that is free now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cluster: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// listQuote quotes a folder for PostgreSQL's unix_socket_directories, a comma-separated list.
func listQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// readFrom returns the file at path from offset on, or "" when it cannot be read.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.NewSectionReader(f, offset, math.MaxInt64-offset))
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
