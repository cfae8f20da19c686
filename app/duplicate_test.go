package app_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// TestPosts_DuplicateCopiesAnyStatusIntoADraft duplicates a post in each status and checks
// the copy is a new draft with the content, variant and accounts, and nothing of the
// original's time or results.
func TestPosts_DuplicateCopiesAnyStatusIntoADraft(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	acct := a.Connect(t, owner)

	scheduled, err := a.Posts.Create(a.Ctx, owner, domain.PostInput{Content: "Scheduled", AccountIDs: []domain.AccountID{acct.ID},
		Variants: map[domain.AccountID]string{acct.ID: "Scheduled, in its own words"}})
	if err != nil {
		t.Fatal(err)
	}
	if scheduled, err = a.Posts.Schedule(a.Ctx, owner, scheduled.ID, a.Clock.Now().Add(48*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	publishing, _ := a.Claim(t, owner, acct.ID, "Publishing")
	_, pubJob := a.Claim(t, owner, acct.ID, "Published")
	if err := a.Publishing.PublishTarget(a.Ctx, pubJob); err != nil {
		t.Fatal(err)
	}
	a.Net.Mu.Lock()
	a.Net.Script = func(_ int, ref string) error {
		return domain.Errorf(domain.CodeInvalid, "Sandbox: this text is not allowed.")
	}
	a.Net.Mu.Unlock()
	_, failJob := a.Claim(t, owner, acct.ID, "Failed")
	_ = a.Publishing.PublishTarget(a.Ctx, failJob)
	a.Net.Mu.Lock()
	a.Net.Script = nil
	a.Net.Mu.Unlock()

	for want, id := range map[domain.PostStatus]domain.PostID{
		domain.PostDraft: a.Draft(t, owner, "Draft", acct.ID).ID, domain.PostScheduled: scheduled.ID, domain.PostPublishing: publishing.ID,
		domain.PostPublished: pubJob.Post, domain.PostFailed: failJob.Post,
	} {
		orig := a.Get(t, owner, id)
		if orig.Status() != want {
			t.Fatalf("fixture %s is %s", want, orig.Status())
		}
		d, err := a.Posts.Duplicate(a.Ctx, owner, id)
		if err != nil {
			t.Fatalf("Duplicate(%s) = %v", want, err)
		}
		p := d.Post
		if p.ID == orig.ID || p.Status() != domain.PostDraft || !p.ScheduledFor().IsZero() || p.Version() != 1 || p.Content != orig.Content || p.CreatedBy != owner.UserID {
			t.Errorf("copy of the %s post = %s %s %q v%d, want a new draft of %q", want, p.ID, p.Status(), p.Content, p.Version(), orig.Content)
		}
		if len(p.Targets) != 1 || p.Targets[0].AccountID != acct.ID || p.Targets[0].Status() != domain.TargetPending ||
			p.Targets[0].ExternalID() != "" || p.Targets[0].Attempts() != 0 || p.Targets[0].Reason() != "" || p.Targets[0].Variant != orig.Targets[0].Variant {
			t.Errorf("copy of the %s post has targets %+v", want, p.Targets)
		}
		if len(d.DroppedAccounts) != 0 || len(d.DroppedMedia) != 0 {
			t.Errorf("copy of the %s post dropped %v %v", want, d.DroppedAccounts, d.DroppedMedia)
		}
		if stored := a.Get(t, owner, p.ID); stored.Status() != domain.PostDraft || stored.Content != orig.Content {
			t.Errorf("the stored copy is %s %q", stored.Status(), stored.Content)
		}
		if again := a.Get(t, owner, id); again.Status() != want || again.Version() != orig.Version() {
			t.Errorf("duplicating changed the %s original: %s v%d", want, again.Status(), again.Version())
		}
	}
	if n := a.Count(t, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'post.duplicated'`, owner.CompanyID); n != 5 {
		t.Errorf("%d post.duplicated audit entries, want 5", n)
	}
}

func TestPosts_DuplicateDropsDisconnectedAccountsAndDeletedFiles(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	keep, gone := a.ConnectAs(t, owner, "keep"), a.ConnectAs(t, owner, "gone")
	photo, err := a.Media.Upload(a.Ctx, owner, "photo.png", "", bytes.NewReader(pngOf(t, 64, 64)))
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := a.Media.Upload(a.Ctx, owner, "deleted.png", "", bytes.NewReader(pngOf(t, 32, 32)))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := a.Posts.Create(a.Ctx, owner, domain.PostInput{Content: "Both", MediaIDs: []domain.MediaID{photo.ID, deleted.ID},
		AccountIDs: []domain.AccountID{gone.ID, keep.ID}, Labels: []string{"Spring launch", "Hiring"},
		FirstComment: "Link in the comments", VariantComments: map[domain.AccountID]string{keep.ID: "Keep's own comment"},
		Variants:     map[domain.AccountID]string{keep.ID: "Kept variant", gone.ID: "Gone variant"},
		VariantMedia: map[domain.AccountID][]domain.MediaID{keep.ID: {deleted.ID, photo.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	// Published, so deleting a file leaves the post as it went out.
	if orig, err = a.Posts.Schedule(a.Ctx, owner, orig.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Publishing.PublishPost(a.Ctx, owner.CompanyID, orig.ID, orig.Version()); err != nil {
		t.Fatal(err)
	}
	for _, acct := range []domain.AccountID{keep.ID, gone.ID} {
		if err := a.Publishing.PublishTarget(a.Ctx, app.TargetJob{Company: owner.CompanyID, Post: orig.ID, Account: acct, Version: orig.Version()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Media.Delete(a.Ctx, owner, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if got := a.Get(t, owner, orig.ID); got.Status() != domain.PostPublished || len(got.MediaIDs) != 2 {
		t.Fatalf("the original is %s with media %v", got.Status(), got.MediaIDs)
	}
	if err := a.Accounts.Disconnect(a.Ctx, owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	d, err := a.Posts.Duplicate(a.Ctx, owner, orig.ID)
	if err != nil {
		t.Fatalf("Duplicate = %v", err)
	}
	p := d.Post
	if len(p.Targets) != 1 || p.Targets[0].AccountID != keep.ID || p.Targets[0].Variant != "Kept variant" ||
		!p.Targets[0].OwnMedia || len(p.Targets[0].MediaIDs) != 1 || p.Targets[0].MediaIDs[0] != photo.ID {
		t.Errorf("copy's targets = %+v", p.Targets)
	}
	if len(p.Labels) != 2 || p.Labels[0] != "Spring launch" || p.FirstComment != "Link in the comments" || p.Targets[0].CommentText != "Keep's own comment" {
		t.Errorf("copy's labels %v, first comment %q, keep's comment %q", p.Labels, p.FirstComment, p.Targets[0].CommentText)
	}
	if len(p.MediaIDs) != 1 || p.MediaIDs[0] != photo.ID {
		t.Errorf("copy's media = %v, want only %s", p.MediaIDs, photo.ID)
	}
	if len(d.DroppedAccounts) != 1 || d.DroppedAccounts[0].ID != gone.ID || d.DroppedAccounts[0].DisplayName == "" {
		t.Errorf("dropped accounts = %+v, want %s", d.DroppedAccounts, gone.ID)
	}
	if len(d.DroppedMedia) != 1 || d.DroppedMedia[0] != deleted.ID {
		t.Errorf("dropped media = %v, want %s", d.DroppedMedia, deleted.ID)
	}

	// With every account gone there is nothing to copy to.
	only, err := a.Posts.Create(a.Ctx, owner, domain.PostInput{Content: "Only on keep", AccountIDs: []domain.AccountID{keep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accounts.Disconnect(a.Ctx, owner, keep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Posts.Duplicate(a.Ctx, owner, only.ID); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("Duplicate(no account left) = %v, want CodeConflict", err)
	}
}

func TestPosts_DuplicateOtherCompanysPostIsNotFound(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	acme, rival := a.Company(t, domain.RoleOwner), a.Company(t, domain.RoleOwner)
	a.Connect(t, rival)
	post := a.Draft(t, acme, "Acme's", a.Connect(t, acme).ID)
	if _, err := a.Posts.Duplicate(a.Ctx, rival, post.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Duplicate(another company's post) = %v, want CodeNotFound", err)
	}
	if _, err := a.Posts.Duplicate(a.Ctx, rival, "not-a-uuid"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Duplicate(malformed id) = %v, want CodeNotFound", err)
	}
	viewer := a.Member(t, acme.CompanyID, domain.RoleViewer)
	if _, err := a.Posts.Duplicate(a.Ctx, viewer, post.ID); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Duplicate(viewer) = %v, want CodeForbidden", err)
	}
	if n := a.Count(t, `SELECT count(*) FROM posts WHERE company_id = $1`, rival.CompanyID); n != 0 {
		t.Errorf("the rival has %d posts", n)
	}
}
