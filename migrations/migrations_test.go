package migrations_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/migrations"
)

// TestMigrations_CommittedTextsNeverChange holds every migration to the checksum recorded
// in SHA256SUMS when it was committed: a database migrated before an edit would never get
// what the edit added, so a change of schema is a new migration, never an edited one.
func TestMigrations_CommittedTextsNeverChange(t *testing.T) {
	t.Parallel()
	sums := readSums(t)
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%x", sha256.Sum256(b))
		want, ok := sums[name]
		switch {
		case !ok:
			t.Errorf("%s is not in migrations/SHA256SUMS. If it is a new migration, record it:\n  (cd migrations && sha256sum %s >> SHA256SUMS)", name, name)
		case got != want:
			t.Errorf("%s changed after it was committed (sha256 %s, recorded %s). Committed migrations are immutable: restore it and put the change in a new migration.", name, got, want)
		}
		delete(sums, name)
	}
	for name := range sums {
		t.Errorf("%s is recorded in SHA256SUMS but missing: committed migrations are never removed", name)
	}
}

func readSums(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 {
			t.Fatalf("SHA256SUMS line %d is not \"<sha256>  <file>\": %q", n, sc.Text())
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

// TestMigrations_EveryPathEndsInOneSchema migrates three databases: all at once; one
// version at a time, each step also taken down and up again; and as a database created
// before 000004 and 000007 were edited was (their first texts, in testdata/first), then up to
// the newest. The three schemas must be the same.
func TestMigrations_EveryPathEndsInOneSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	atOnce := pgtest.EmptyURL(t)
	if _, err := postgres.Migrate(ctx, atOnce, postgres.Up, log); err != nil {
		t.Fatalf("migrate at once: %v", err)
	}

	stepwise := pgtest.EmptyURL(t)
	m := migrator(t, stepwise, migrations.FS)
	for _, v := range versions(t, migrations.FS) {
		if err := m.Migrate(v); err != nil {
			t.Fatalf("up to %d: %v", v, err)
		}
		if err := m.Steps(-1); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("down from %d: %v", v, err)
		}
		if err := m.Migrate(v); err != nil {
			t.Fatalf("up to %d again: %v", v, err)
		}
	}
	if _, err := postgres.Migrate(ctx, stepwise, postgres.Up, log); err != nil { // River's tables
		t.Fatalf("migrate stepwise database: %v", err)
	}

	old := pgtest.EmptyURL(t)
	history := firstTexts(t)
	if err := migrator(t, old, history).Migrate(7); err != nil {
		t.Fatalf("migrate with the first texts up to 7: %v", err)
	}
	if _, err := postgres.Migrate(ctx, old, postgres.Up, log); err != nil {
		t.Fatalf("migrate the old database to the newest: %v", err)
	}

	want := schema(t, atOnce)
	for name, url := range map[string]string{"one version at a time": stepwise, "from the first texts of 000004 and 000007": old} {
		if got := schema(t, url); !slices.Equal(got, want) {
			t.Errorf("schema migrated %s differs from one migrated at once:\n%s", name, diff(got, want))
		}
	}
}

// migrator returns golang-migrate over files and the database at url.
func migrator(t *testing.T, url string, files fs.FS) *migrate.Migrate {
	t.Helper()
	src, err := iofs.New(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// versions lists the migrations' numbers in order.
func versions(t *testing.T, files fs.FS) []uint {
	t.Helper()
	ups, err := fs.Glob(files, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	var vs []uint
	for _, f := range ups {
		n, err := strconv.ParseUint(strings.SplitN(f, "_", 2)[0], 10, 32)
		if err != nil {
			t.Fatalf("migration %s has no number: %v", f, err)
		}
		vs = append(vs, uint(n))
	}
	slices.Sort(vs)
	return vs
}

// firstTexts returns the migrations as they were before 000004 and 000007 were edited.
func firstTexts(t *testing.T) fs.FS {
	t.Helper()
	files := fstest.MapFS{}
	names, _ := fs.Glob(migrations.FS, "*.sql")
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		files[n] = &fstest.MapFile{Data: b}
	}
	firsts, err := fs.Glob(os.DirFS("testdata/first"), "*.sql")
	if err != nil || len(firsts) == 0 {
		t.Fatalf("testdata/first: %v %v", firsts, err)
	}
	for _, n := range firsts {
		b, err := os.ReadFile(path.Join("testdata/first", n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = &fstest.MapFile{Data: b}
	}
	return files
}

// schema describes the public schema as sorted lines: columns, indexes, constraints,
// functions, triggers, views and types.
func schema(t *testing.T, url string) []string {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{
		`SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name ||
		        ' null=' || is_nullable || ' default=' || coalesce(column_default, '-')
		   FROM information_schema.columns WHERE table_schema = 'public'`,
		`SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`,
		`SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid)
		   FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
		`SELECT 'function ' || p.proname || ': ' || pg_get_functiondef(p.oid)
		   FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')`,
		`SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ': ' || pg_get_triggerdef(oid)
		   FROM pg_trigger WHERE NOT tgisinternal`,
		`SELECT 'view ' || viewname || ': ' || definition FROM pg_views WHERE schemaname = 'public'`,
		`SELECT 'type ' || t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
		   FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
		  WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname`,
	}
	var lines []string
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	slices.Sort(lines)
	if len(lines) < 100 {
		t.Fatalf("schema of %d lines: the catalog queries found too little to compare", len(lines))
	}
	return lines
}

// diff lists the lines only one side has.
func diff(got, want []string) string {
	var b strings.Builder
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	return b.String()
}
