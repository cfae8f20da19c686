package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPosts_CreateMany stores many posts with their targets, labels, media and first
// comments in a few statements, reads each back as Get does, and stores nothing when one
// post names another company's account.
func TestPosts_CreateMany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	now := time.Now().UTC().Truncate(time.Millisecond)
	connect := func(company domain.CompanyID, ext string) domain.Account {
		t.Helper()
		a := domain.Account{CompanyID: company, Platform: domain.Sandbox, ExternalID: ext, DisplayName: ext, ConnectedAt: now}
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &a, ports.Sealed{Access: []byte("a")}) }); err != nil {
			t.Fatal(err)
		}
		a.Status = domain.AccountActive
		return a
	}
	mine, theirs := connect(f.company.ID, "mine"), connect(other.company.ID, "theirs")
	newPost := func(content string, a domain.Account, at time.Time) *domain.Post {
		t.Helper()
		p, err := domain.NewPost(a.CompanyID, "", domain.PostInput{Content: content, AccountIDs: []domain.AccountID{a.ID}, Labels: []string{"Launch"},
			FirstComment: "More", MediaURLs: []string{"https://example.com/a.png"}, Variants: map[domain.AccountID]string{a.ID: content + "!"}},
			[]domain.Account{a}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !at.IsZero() {
			if err := p.Schedule(at, now); err != nil {
				t.Fatal(err)
			}
		}
		return &p
	}
	ps := []*domain.Post{newPost("One", mine, time.Time{}), newPost("Two", mine, now.Add(time.Hour))}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().CreateMany(ctx, ps) }); err != nil {
		t.Fatalf("CreateMany: %v", err)
	}
	for _, want := range ps {
		var got domain.Post
		if err := db.InTx(ctx, func(tx ports.Tx) (err error) { got, err = tx.Posts().Get(ctx, f.company.ID, want.ID); return err }); err != nil {
			t.Fatalf("Get %s: %v", want.ID, err)
		}
		if got.Content != want.Content || got.Status() != want.Status() || !got.ScheduledFor().Equal(want.ScheduledFor()) || got.Version() != want.Version() ||
			len(got.Targets) != 1 || got.Targets[0].Variant != want.Content+"!" || got.FirstComment != "More" || len(got.Labels) != 1 ||
			len(got.MediaURLs) != 1 || got.Targets[0].Comment().Status != want.Targets[0].Comment().Status {
			t.Errorf("read back %+v, want %+v", got, *want)
		}
	}

	// A post on another company's account: the foreign key refuses it, and nothing of the
	// request is stored.
	bad := newPost("Theirs", theirs, time.Time{})
	bad.CompanyID = f.company.ID
	ok := newPost("Fine", mine, time.Time{})
	err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().CreateMany(ctx, []*domain.Post{ok, bad}) })
	if domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("CreateMany with another company's account = %v, want CodeNotFound", err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM posts WHERE company_id = $1`, f.company.ID).Scan(&n); err != nil || n != 2 {
		t.Errorf("posts stored = %d (%v), want the first 2 only", n, err)
	}
}
