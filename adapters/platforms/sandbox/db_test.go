package sandbox_test

import (
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/migrations"
)

// openDB returns the test binary's migrated database (pgtest), shared by its tests.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db := pgtest.DB(t).SQL()
	return db
}

// emptyDB returns a database of its own with no tables, dropped when t ends.
func emptyDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
