// Package pgtest gives each test binary its own fresh, migrated PostgreSQL database, cloned
// from a template migrated once per set of migrations. The server is TEST_DATABASE_URL, else
// 127.0.0.1:5432 as user postgres, else Herald's embedded cluster
// (TEST_DATABASE_URL=embedded forces the last). It fails the test loudly
// when no server can be reached: tests never skip for want of a database.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/migrations"
)

const (
	clonePrefix  = "herald_t_"
	staleAfter   = 2 * time.Hour
	templateLock = 0x48524c4454 // serializes template creation across test binaries
)

var (
	once  sync.Once
	dbURL string
	store *postgres.DB
	err   error
	// server is the admin URL setup chose: every database of the binary is made there. Asked
	// again, adminURL could answer otherwise (an overloaded local server that does not answer
	// its ping in time sends it to a new embedded cluster, which has no template).
	server string
)

// URL returns the connection URL of this test binary's own database, creating and migrating
// it on first use.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { dbURL, store, err = setup(context.Background()) })
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// DB returns a store on this test binary's database, shared by its tests. Tests that commit
// create their own companies, so parallel tests never see each other's rows.
func DB(t testing.TB) *postgres.DB {
	t.Helper()
	URL(t)
	return store
}

func setup(ctx context.Context) (string, *postgres.DB, error) {
	admin, err := adminURL(ctx)
	if err != nil {
		return "", nil, err
	}
	server = admin
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect %s: %w", redact(admin), err)
	}
	defer conn.Close(ctx)

	dropStale(ctx, conn)
	tpl, err := ensureTemplate(ctx, conn, admin)
	if err != nil {
		return "", nil, err
	}
	name := clonePrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + randomHex(6)
	if err := createFrom(ctx, conn, name, tpl); err != nil {
		return "", nil, err
	}
	u := withDatabase(admin, name)
	db, err := postgres.Open(ctx, u, 20)
	if err != nil {
		return "", nil, err
	}
	return u, db, nil
}

// adminURL picks the server: TEST_DATABASE_URL, the local server, or the embedded cluster.
func adminURL(ctx context.Context) (string, error) {
	switch u := os.Getenv("TEST_DATABASE_URL"); u {
	case "embedded":
		return embeddedURL(ctx)
	case "":
	default:
		return u, nil
	}
	local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if c, err := pgx.Connect(pingCtx, local); err == nil {
		c.Close(ctx)
		return local, nil
	}
	return embeddedURL(ctx)
}

// ensureTemplate returns the name of a database migrated to the current migrations, making
// it once under an advisory lock; its name carries a hash of the migrations and River's.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin string) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, templateLock) //nolint:errcheck

	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("find template: %w", err)
	}
	if exists {
		return name, nil
	}
	building := name + "_wip"
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{building}.Sanitize()+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := postgres.Migrate(ctx, withDatabase(admin, building), postgres.Up, quiet); err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{building}.Sanitize()+` RENAME TO `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	return name, nil
}

// createFrom clones tpl, retrying while another session briefly holds the template.
func createFrom(ctx context.Context, conn *pgx.Conn, name, tpl string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE `+pgx.Identifier{tpl}.Sanitize())
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "being accessed by other users") || time.Now().After(deadline) {
			return fmt.Errorf("create test database: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dropStale removes clones left by earlier runs (a test binary cannot drop its own database
// on exit without a TestMain in every package), as River drops expired test schemas.
func dropStale(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'herald\_t\_%'`)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		ts, _, _ := strings.Cut(strings.TrimPrefix(n, clonePrefix), "_")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err == nil && time.Since(time.Unix(sec, 0)) > staleAfter {
			_, _ = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{n}.Sanitize()+` WITH (FORCE)`)
		}
	}
}

func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", path, b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	river, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		return "", fmt.Errorf("river migrations: %w", err)
	}
	for _, m := range river.AllVersions() {
		fmt.Fprintf(h, "river%d\x00%s\x00", m.Version, m.SQLUp)
	}
	return "herald_tpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// EmptyURL returns the URL of a new database with no tables, for migration tests.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

// FreshURL returns the URL of a new migrated database of the test's own, dropped when the
// test ends: for tests that run River workers, which would otherwise work the jobs other
// tests of the binary leave in the shared database.
func FreshURL(t testing.TB) string {
	t.Helper()
	URL(t) // the template exists once the shared database does
	tpl, err := templateName()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return newDatabase(t, tpl)
}

// KeptURL is FreshURL for a database that outlives the test asking for it, as one that a
// package's tests share through a server of theirs: drop removes it (a TestMain calls it
// after the tests); one never dropped is a later run's stale clone.
func KeptURL(t testing.TB) (url string, drop func()) {
	t.Helper()
	URL(t)
	tpl, err := templateName()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return createDatabase(t, tpl)
}

// newDatabase creates a database, empty or cloned from template, that is dropped when the
// test ends, and returns its URL.
func newDatabase(t testing.TB, template string) string {
	t.Helper()
	u, drop := createDatabase(t, template)
	t.Cleanup(drop)
	return u
}

// createDatabase creates a database, empty or cloned from template, and returns its URL
// and the function that drops it.
func createDatabase(t testing.TB, template string) (string, func()) {
	t.Helper()
	ctx := context.Background()
	URL(t) // the server is chosen once per binary
	admin := server
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	name := clonePrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + randomHex(6)
	if template == "" {
		_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize())
	} else {
		err = createFrom(ctx, conn, name, template)
	}
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return withDatabase(admin, name), func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			_, _ = c.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
			c.Close(context.Background())
		}
	}
}
