package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestListenPostChanges_OneNoticePerCompanyAtCommit listens on a database of its own and
// changes posts of two companies in one transaction, with several statements: each company
// is announced once, at commit; a rolled-back transaction announces nothing. A third
// company's commit after each marks where the notices of the transaction before it end.
// Companies a transaction names in herald.announced_companies are left to the process,
// which announces a change made through the store after commit.
func TestListenPostChanges_OneNoticePerCompanyAtCommit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := postgres.Open(ctx, pgtest.FreshURL(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b, marker := newFixture(t, db).company.ID, newFixture(t, db).company.ID, newFixture(t, db).company.ID

	changed, missed, done := make(chan domain.CompanyID, 100), make(chan struct{}, 10), make(chan error, 1)
	go func() {
		done <- postgres.ListenPostChanges(ctx, db.Pool(), slog.New(slog.NewTextHandler(io.Discard, nil)),
			func(c domain.CompanyID) { changed <- c }, func() { missed <- struct{}{} })
	}()
	select {
	case <-missed: // listening now: what commits from here on is announced
	case <-time.After(20 * time.Second):
		t.Fatal("the listener did not connect within 20s")
	}

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// untilMarker returns the companies announced before the marker company.
	untilMarker := func() []domain.CompanyID {
		t.Helper()
		exec(`UPDATE companies SET name = name WHERE id = $1`, marker) // not a post: no notice
		exec(`INSERT INTO posts (company_id, content, status) VALUES ($1, 'marker', 'draft')`, marker)
		var got []domain.CompanyID
		for {
			select {
			case c := <-changed:
				if c == marker {
					return got
				}
				got = append(got, c)
			case <-time.After(20 * time.Second):
				t.Fatalf("no notice for the marker within 20s (got %v)", got)
			}
		}
	}

	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO posts (company_id, content, status) VALUES ($1, 'one', 'draft'), ($1, 'two', 'draft'), ($2, 'three', 'draft')`,
		`UPDATE posts SET content = content || '!' WHERE company_id IN ($1, $2)`,
		`DELETE FROM posts WHERE company_id = $1 AND content = 'one!' AND $2::uuid IS NOT NULL`,
	} {
		if _, err := tx.Exec(ctx, sql, a, b); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	select {
	case c := <-changed:
		t.Errorf("company %s announced before the commit", c)
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := untilMarker()
	slices.Sort(got)
	want := []domain.CompanyID{a, b}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("announced %v for one transaction, want each company once: %v", got, want)
	}

	tx, err = db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE posts SET content = 'undone' WHERE company_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := untilMarker(); len(got) != 0 {
		t.Errorf("a rolled-back transaction announced %v", got)
	}

	// Herald's own writes name their company in herald.announced_companies: the triggers
	// leave that company's notice to the process and still announce the others.
	tx, err = db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('herald.announced_companies', $1, true)`, string(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE posts SET content = content || '?' WHERE company_id IN ($1, $2)`, a, b); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := untilMarker(); !slices.Equal(got, []domain.CompanyID{b}) {
		t.Errorf("with company a announced by the process, the triggers announced %v, want only b", got)
	}

	// A change through the store is announced by the process, after commit.
	var id domain.PostID
	if err := db.Pool().QueryRow(ctx, `SELECT id FROM posts WHERE company_id = $1 LIMIT 1`, a).Scan(&id); err != nil {
		t.Fatal(err)
	}
	p := domain.RestorePost(domain.Post{ID: id, CompanyID: a, UpdatedAt: time.Now()}, domain.PostDraft, "changed through the store", time.Time{}, 1)
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().SetStatus(ctx, p) }); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changed:
		if c != a {
			t.Errorf("a change of company a's post announced %s", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a change through the store was not announced within 20s")
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenPostChanges after cancel = %v, want nil", err)
	}
}
