package app_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

func TestDiscussion_MentionsNotifyOnceAndStrangersStayText(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner, pgtest.CompanyName("Mentions Co"))
	bob := a.Member(t, owner.CompanyID, domain.RoleEditor, pgtest.UserName("Bob Builder"))
	viewer := a.Member(t, owner.CompanyID, domain.RoleViewer, pgtest.UserName("Vera"))
	// A member of another company with the same name is nobody here.
	stranger := a.Company(t, domain.RoleOwner)
	a.Member(t, stranger.CompanyID, domain.RoleEditor, pgtest.UserName("Zoe"))
	post := a.Draft(t, owner, "Launch day", a.Connect(t, owner).ID)

	c, err := a.Discussion.Add(a.Ctx, owner, post.ID, "@bob builder and @Bob Builder, see this; @Zoe too. @Vera")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Mentions) != 2 || c.Mentions[0] != bob.UserID || c.Mentions[1] != viewer.UserID {
		t.Fatalf("mentions = %v, want Bob then Vera", c.Mentions)
	}
	if n := a.Count(t, `SELECT count(*) FROM notifications WHERE event_key = $1`, "mentioned:"+string(c.ID)); n != 2 {
		t.Errorf("%d notifications, want one for Bob and one for Vera", n)
	}
	if n := a.Count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'mentioned' AND post_id = $2`, bob.UserID, post.ID); n != 1 {
		t.Errorf("Bob has %d mention notifications, want 1", n)
	}
	// Mentioning oneself tells nobody.
	self, err := a.Discussion.Add(a.Ctx, bob, post.ID, "Noted, @Bob Builder")
	if err != nil {
		t.Fatal(err)
	}
	if n := a.Count(t, `SELECT count(*) FROM notifications WHERE event_key = $1`, "mentioned:"+string(self.ID)); n != 0 {
		t.Errorf("a self-mention made %d notifications", n)
	}
	// Viewers may comment; the thread reads oldest first with its members.
	if _, err := a.Discussion.Add(a.Ctx, viewer, post.ID, "Looks good"); err != nil {
		t.Fatalf("viewer's comment: %v", err)
	}
	th, err := a.Discussion.List(a.Ctx, viewer, post.ID)
	if err != nil || len(th.Comments) != 3 || th.Comments[0].ID != c.ID || th.Comments[2].AuthorName != "Vera" || len(th.Members) != 3 {
		t.Fatalf("List = %+v, %v", th, err)
	}
	if _, err := a.Discussion.Add(a.Ctx, owner, post.ID, " "); domain.FieldsOf(err)["body"] == "" {
		t.Errorf("empty comment: %v", err)
	}
	if _, err := a.Discussion.Add(a.Ctx, owner, post.ID, strings.Repeat("x", domain.MaxPostCommentRunes+1)); domain.FieldsOf(err)["body"] == "" {
		t.Errorf("long comment: %v", err)
	}
	// Deleting the post takes its thread.
	if err := a.Posts.Delete(a.Ctx, owner, post.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n := a.Count(t, `SELECT count(*) FROM post_comments WHERE post_id = $1`, post.ID); n != 0 {
		t.Errorf("%d comments outlive their post", n)
	}
}

func TestDiscussion_OtherCompanysPostIsNotFound(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	acme, rival := a.Company(t, domain.RoleOwner), a.Company(t, domain.RoleOwner)
	post := a.Draft(t, acme, "Secret plans", a.Connect(t, acme).ID)
	if _, err := a.Discussion.Add(a.Ctx, acme, post.ID, "ours"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Discussion.List(a.Ctx, rival, post.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("List(rival) = %v, want CodeNotFound", err)
	}
	if _, err := a.Discussion.Add(a.Ctx, rival, post.ID, "theirs"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Add(rival) = %v, want CodeNotFound", err)
	}
	if _, err := a.Discussion.Fingerprint(a.Ctx, rival, post.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Fingerprint(rival) = %v, want CodeNotFound", err)
	}
	if _, err := a.Discussion.List(a.Ctx, rival, "not-a-uuid"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("List(bad id) = %v, want CodeNotFound", err)
	}
}

func TestReviews_ClientCommentsAndApprovesThroughALink(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	editor := a.Member(t, owner.CompanyID, domain.RoleEditor)
	viewer := a.Member(t, owner.CompanyID, domain.RoleViewer)
	acct := a.Connect(t, owner)
	post := a.Draft(t, editor, "For the client", acct.ID)
	other := a.Draft(t, editor, "Not in the link", acct.ID)
	now := a.Clock.Now()

	if _, err := a.Reviews.CreateForPost(a.Ctx, viewer, post.ID, now.Add(time.Hour)); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("viewer creates a link: %v, want CodeForbidden", err)
	}
	for _, exp := range []time.Time{now.Add(-time.Minute), now.Add(91 * 24 * time.Hour)} {
		if _, err := a.Reviews.CreateForPost(a.Ctx, editor, post.ID, exp); domain.FieldsOf(err)["expires_at"] == "" {
			t.Errorf("expires %v: %v, want a problem of expires_at", exp, err)
		}
	}
	issued, err := a.Reviews.CreateForPost(a.Ctx, editor, post.ID, now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token := issued.URL[strings.LastIndex(issued.URL, "/")+1:]
	if !strings.HasPrefix(token, "hrd_rev_") {
		t.Fatalf("URL = %q", issued.URL)
	}
	// Only the token's hash is stored.
	var stored []byte
	if err := a.DB.SQL().QueryRowContext(a.Ctx, `SELECT token_hash FROM review_links WHERE id = $1`, issued.Link.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(token)); !bytes.Equal(stored, sum[:]) {
		t.Errorf("stored %x, want the token's SHA-256", stored)
	}
	if n := a.Count(t, `SELECT count(*) FROM review_links WHERE position(convert_to($1, 'UTF8') in token_hash) > 0`, token); n != 0 {
		t.Errorf("the token is stored in clear")
	}

	rv, err := a.Reviews.Open(a.Ctx, token)
	if err != nil || len(rv.Posts) != 1 || rv.Posts[0].ID != post.ID {
		t.Fatalf("Open = %+v, %v", rv, err)
	}
	if _, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Body: "who am I"}); domain.FieldsOf(err)["name"] == "" {
		t.Errorf("no name: %v", err)
	}
	if _, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: other.ID, Name: "Cleo", Body: "hi"}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("a post outside the link: %v, want CodeNotFound", err)
	}
	c, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Cleo", Body: "Lovely, one typo", IP: "203.0.113.9"})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Cleo", Approve: true})
	if err != nil || ok.Kind != domain.PostCommentClientApproval {
		t.Fatalf("approve = %+v, %v", ok, err)
	}
	// The approval changes nothing of the post.
	if got := a.Get(t, editor, post.ID); got.Status() != post.Status() || got.Version() != post.Version() {
		t.Errorf("the post changed: %s v%d", got.Status(), got.Version())
	}
	// The author (an editor) and the approvers (the owner) are told, once per answer.
	for _, who := range []domain.UserID{editor.UserID, owner.UserID} {
		if n := a.Count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'review_feedback' AND event_key IN ($2, $3)`,
			who, "review:"+string(c.ID), "review:"+string(ok.ID)); n != 2 {
			t.Errorf("%s has %d review notifications, want 2", who, n)
		}
	}
	if n := a.Count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'review_feedback'`, viewer.UserID); n != 0 {
		t.Errorf("the viewer was told %d times", n)
	}
	th, err := a.Discussion.List(a.Ctx, editor, post.ID)
	if err != nil || len(th.Comments) != 2 || !th.Comments[0].ByClient || th.Comments[0].AuthorName != "Cleo" {
		t.Fatalf("thread = %+v, %v", th, err)
	}
	if n := a.Count(t, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action IN ('review_link.created', 'review_link.used')`, owner.CompanyID); n != 3 {
		t.Errorf("%d audit entries, want created and used twice", n)
	}
	links, err := a.Reviews.ForPost(a.Ctx, viewer, post.ID)
	if err != nil || len(links) != 1 || links[0].LastUsedAt.IsZero() {
		t.Errorf("ForPost = %+v, %v", links, err)
	}

	// Revoked, it is gone.
	if _, err := a.Reviews.Revoke(a.Ctx, editor, issued.Link.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reviews.Open(a.Ctx, token); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("Open(revoked) = %v, want CodeGone", err)
	}
	if _, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Cleo", Body: "again"}); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("Answer(revoked) = %v, want CodeGone", err)
	}
	if _, err := a.Reviews.Open(a.Ctx, "hrd_rev_nonsense"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Open(unknown) = %v, want CodeNotFound", err)
	}
}

func TestReviews_ExpiredRangeLinkAndThrottle(t *testing.T) {
	t.Parallel()
	clock := apptest.NewClock()
	a := apptest.New(t, apptest.WithClock(clock))
	owner := a.Company(t, domain.RoleOwner)
	post := a.Draft(t, owner, "Created now", a.Connect(t, owner).ID)
	now := clock.Now()
	issued, err := a.Reviews.CreateForRange(a.Ctx, owner, now.Add(-time.Hour), now.Add(time.Hour), now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token := issued.URL[strings.LastIndex(issued.URL, "/")+1:]
	rv, err := a.Reviews.Open(a.Ctx, token)
	if err != nil || len(rv.Posts) != 1 || rv.Posts[0].ID != post.ID {
		t.Fatalf("Open = %+v, %v", rv, err)
	}
	var last error
	for i := 0; i <= app.DefaultReviewLimits.Answers; i++ {
		_, last = a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Cleo", Body: "again"})
	}
	if domain.CodeOf(last) != domain.CodeRateLimited {
		t.Errorf("answer %d: %v, want CodeRateLimited", app.DefaultReviewLimits.Answers+1, last)
	}
	clock.Advance(2 * time.Hour)
	if _, err := a.Reviews.Open(a.Ctx, token); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("Open(expired) = %v, want CodeGone", err)
	}
}

func TestReviews_OtherCompanysLinksAreNotFound(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	acme, rival := a.Company(t, domain.RoleOwner), a.Company(t, domain.RoleOwner)
	post := a.Draft(t, acme, "Ours", a.Connect(t, acme).ID)
	issued, err := a.Reviews.CreateForPost(a.Ctx, acme, post.ID, a.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reviews.Revoke(a.Ctx, rival, issued.Link.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Revoke(rival) = %v, want CodeNotFound", err)
	}
	if _, err := a.Reviews.ForPost(a.Ctx, rival, post.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("ForPost(rival) = %v, want CodeNotFound", err)
	}
	if _, err := a.Reviews.CreateForPost(a.Ctx, rival, post.ID, a.Clock.Now().Add(time.Hour)); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("CreateForPost(rival's post) = %v, want CodeNotFound", err)
	}
	// A link of the rival's period never shows acme's posts.
	now := a.Clock.Now()
	theirs, err := a.Reviews.CreateForRange(a.Ctx, rival, now.Add(-time.Hour), now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token := theirs.URL[strings.LastIndex(theirs.URL, "/")+1:]
	if rv, err := a.Reviews.Open(a.Ctx, token); err != nil || len(rv.Posts) != 0 {
		t.Errorf("Open(rival's period) = %d posts, %v", len(rv.Posts), err)
	}
	if _, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Spy", Body: "hi"}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Answer(acme's post through rival's link) = %v, want CodeNotFound", err)
	}
}

func TestReviews_SuspendedCompanyTakesNoAnswer(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	post := a.Draft(t, owner, "Paused", a.Connect(t, owner).ID)
	issued, err := a.Reviews.CreateForPost(a.Ctx, owner, post.ID, a.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token := issued.URL[strings.LastIndex(issued.URL, "/")+1:]
	if _, err := a.DB.SQL().ExecContext(a.Ctx, `UPDATE companies SET status = 'suspended', status_reason = 'Unpaid' WHERE id = $1`, owner.CompanyID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reviews.Answer(a.Ctx, token, app.ClientAnswer{Post: post.ID, Name: "Cleo", Approve: true}); domain.CodeOf(err) != domain.CodeSuspended {
		t.Errorf("Answer = %v, want CodeSuspended", err)
	}
	if _, err := a.Discussion.Add(a.Ctx, owner, post.ID, "hello"); domain.CodeOf(err) != domain.CodeSuspended {
		t.Errorf("Add = %v, want CodeSuspended", err)
	}
	if n := a.Count(t, `SELECT count(*) FROM post_comments WHERE post_id = $1`, post.ID); n != 0 {
		t.Errorf("%d comments stored", n)
	}
}
