package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPosts_LabelsAndFirstComments keeps a post's labels and first comments (the post's, a
// variant's and each target's comment state), filters by label regardless of case and by
// account, counts labels, and never mixes two companies that use the same label.
func TestPosts_LabelsAndFirstComments(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	now := time.Now().UTC().Truncate(time.Millisecond)
	account := func(company domain.CompanyID, platform domain.Platform, ext string) domain.Account {
		t.Helper()
		a := domain.Account{CompanyID: company, Platform: platform, ExternalID: ext, DisplayName: ext, ConnectedAt: now}
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &a, ports.Sealed{Access: []byte("a")}) }); err != nil {
			t.Fatal(err)
		}
		a.Status = domain.AccountActive
		return a
	}
	li, tt := account(f.company.ID, domain.LinkedIn, "li"), account(f.company.ID, domain.TikTok, "tt")
	create := func(company domain.CompanyID, accounts []domain.Account, in domain.PostInput) domain.Post {
		t.Helper()
		for _, a := range accounts {
			in.AccountIDs = append(in.AccountIDs, a.ID)
		}
		p, err := domain.NewPost(company, "", in, accounts, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().Create(ctx, &p) }); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := create(f.company.ID, []domain.Account{li, tt}, domain.PostInput{Content: "launch day", FirstComment: "Link: https://example.com",
		VariantComments: map[domain.AccountID]string{li.ID: "LinkedIn's own"}, Labels: []string{"Spring Launch", "Q2"}})
	create(f.company.ID, []domain.Account{tt}, domain.PostInput{Content: "other", Labels: []string{"q2"}})
	create(other.company.ID, []domain.Account{account(other.company.ID, domain.LinkedIn, "li")}, domain.PostInput{Content: "theirs", Labels: []string{"Spring launch"}})

	var got domain.Post
	read := func() {
		t.Helper()
		if err := db.InTx(ctx, func(tx ports.Tx) (err error) { got, err = tx.Posts().Get(ctx, f.company.ID, p.ID); return err }); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if got.FirstComment != "Link: https://example.com" || len(got.Labels) != 2 || got.Labels[0] != "Spring Launch" {
		t.Fatalf("post read back: comment %q labels %q", got.FirstComment, got.Labels)
	}
	if c := got.Targets[0].Comment(); got.Targets[0].CommentText != "LinkedIn's own" || c.Status != domain.CommentPending {
		t.Fatalf("LinkedIn target: %q %+v", got.Targets[0].CommentText, c)
	}
	if c := got.Targets[1].Comment(); c.Status != domain.CommentNone {
		t.Fatalf("TikTok target has a comment: %+v", c)
	}

	state := domain.CommentState{Status: domain.CommentPublished, ExternalID: "urn:li:comment:1", Attempts: 1, PublishedAt: now}
	target := domain.RestoreComment(got.Targets[0], state)
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().SaveTarget(ctx, f.company.ID, p.ID, target) }); err != nil {
		t.Fatal(err)
	}
	read()
	if c := got.Targets[0].Comment(); c.Status != state.Status || c.ExternalID != state.ExternalID || c.Attempts != 1 || !c.PublishedAt.Equal(now) || c.AttemptOpen {
		t.Fatalf("comment state read back: %+v", c)
	}
	var locked domain.Post
	if err := db.InTx(ctx, func(tx ports.Tx) (err error) { locked, err = tx.Posts().Lock(ctx, f.company.ID, p.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if locked.Targets[0].Comment() != got.Targets[0].Comment() || locked.Targets[0].CommentText != "LinkedIn's own" {
		t.Fatalf("Lock reads %+v, Get %+v", locked.Targets[0].Comment(), got.Targets[0].Comment())
	}

	list := func(company domain.CompanyID, f ports.PostFilter) []domain.Post {
		t.Helper()
		var out []domain.Post
		err := db.InTx(ctx, func(tx ports.Tx) (err error) {
			out, _, err = tx.Posts().List(ctx, company, f, ports.Page{Limit: 50})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if n := len(list(f.company.ID, ports.PostFilter{Label: "spring launch"})); n != 1 {
		t.Errorf("label filter found %d posts, want 1 (the other company's must not count)", n)
	}
	if n := len(list(f.company.ID, ports.PostFilter{Label: "Q2"})); n != 2 {
		t.Errorf("Q2 found %d posts, want 2", n)
	}
	if n := len(list(f.company.ID, ports.PostFilter{AccountID: li.ID})); n != 1 {
		t.Errorf("account filter found %d posts, want 1", n)
	}
	if n := len(list(other.company.ID, ports.PostFilter{AccountID: li.ID})); n != 0 {
		t.Errorf("another company's account filter found %d posts", n)
	}
	var labels []ports.LabelCount
	if err := db.InTx(ctx, func(tx ports.Tx) (err error) { labels, err = tx.Posts().Labels(ctx, f.company.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 || labels[0].Posts != 2 || labels[1].Label != "Spring Launch" || labels[1].Posts != 1 {
		t.Errorf("labels = %+v", labels)
	}
}
