package sandbox_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/heraldhq/herald/migrations"
)

// This file stands in for pgtest, which cannot be used while adapters/postgres is being
// changed: the test binary gets its own database on TEST_DATABASE_URL's server (else
// postgres@127.0.0.1:5432), migrated with every migrations/*.up.sql, dropped when the tests
// end. Without a server the tests fail; they never skip.

const dbPrefix = "herald_sbx_"

var (
	adminURL string  // the server's maintenance database
	testDB   *sql.DB // this test binary's migrated database, shared by its tests
)

func TestMain(m *testing.M) {
	code, err := runWithDatabase(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithDatabase(m *testing.M) (int, error) {
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return 0, fmt.Errorf("no PostgreSQL at TEST_DATABASE_URL or 127.0.0.1:5432: %w", err)
	}
	dropStale(admin)

	name, err := createDatabase(admin)
	if err != nil {
		return 0, err
	}
	defer dropDatabase(admin, name)
	testDB, err = sql.Open("pgx", withDatabase(adminURL, name))
	if err != nil {
		return 0, err
	}
	testDB.SetMaxOpenConns(20) // as Herald's pool, so many publishes at once must queue
	defer testDB.Close()
	if err := migrateUp(testDB); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// openDB returns the test binary's migrated database.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	if testDB == nil {
		t.Fatal("no test database: TestMain did not run")
	}
	return testDB
}

// emptyDB returns a database of its own with no tables, dropped when t ends.
func emptyDB(t *testing.T) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	name, err := createDatabase(admin)
	if err != nil {
		admin.Close()
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", withDatabase(adminURL, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		dropDatabase(admin, name)
		admin.Close()
	})
	return db
}

// migrateUp runs every up migration in order, as golang-migrate would.
func migrateUp(db *sql.DB) error {
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := runMigration(db, name); err != nil {
			return err
		}
	}
	return nil
}

func runMigration(db *sql.DB, name string) error {
	b, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		return err
	}
	if _, err := db.Exec(string(b)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return nil
}

func createDatabase(admin *sql.DB) (string, error) {
	name := dbPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	return name, nil
}

func dropDatabase(admin *sql.DB, name string) {
	_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
}

// dropStale removes databases left by test binaries that were killed before their cleanup.
func dropStale(admin *sql.DB) {
	rows, err := admin.Query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, dbPrefix)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		ts, _, _ := strings.Cut(strings.TrimPrefix(n, dbPrefix), "_")
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 2*time.Hour {
			dropDatabase(admin, n)
		}
	}
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}
