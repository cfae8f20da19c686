package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Commenter = (*apptest.Network)(nil)

// publishWithComment creates a post with a first comment on the harness account, and
// publishes its post by hand (as River would): it returns the comment's job.
func (h *harness) publishWithComment(t *testing.T, comment string, in domain.PostInput) app.CommentJob {
	t.Helper()
	if in.Content == "" {
		in.Content = "the post"
	}
	if in.AccountIDs == nil {
		in.AccountIDs = []domain.AccountID{h.Account.ID}
	}
	in.FirstComment = comment
	p, err := h.Posts.Create(h.Ctx, h.Owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
		t.Fatal(err)
	}
	tj := app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: in.AccountIDs[0], Version: p.Version()}
	if err := h.Publishing.PublishTarget(h.Ctx, tj); err != nil {
		t.Fatal(err)
	}
	p = h.Get(p.ID)
	t2, _ := p.Target(tj.Account)
	return app.CommentJob{Company: p.CompanyID, Post: p.ID, Account: tj.Account, Version: p.Version(), Parent: t2.ExternalID()}
}

func (h *harness) comment(j app.CommentJob) (domain.Target, domain.CommentState) {
	h.T.Helper()
	p := h.Get(j.Post)
	t, ok := p.Target(j.Account)
	if !ok {
		h.T.Fatalf("no target %s", j.Account)
	}
	return *t, t.Comment()
}

func ref(j app.CommentJob) string { return string(j.Post) + "/" + string(j.Account) }

func TestPublishComment_OnceAfterThePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	j := h.publishWithComment(t, "More at example.com", domain.PostInput{})
	tg, c := h.comment(j)
	if tg.Status() != domain.TargetPublished || c.Status != domain.CommentPending || h.Get(j.Post).Status() != domain.PostPublished {
		t.Fatalf("after the post: target %s, comment %+v", tg.Status(), c)
	}
	if n := h.JobCount("publish_comment", j.Post); n != 1 {
		t.Fatalf("publish_comment jobs = %d, want 1 (enqueued with the post's success)", n)
	}
	// A job about another publication of the post (sent again since) does nothing.
	stale := j
	stale.Parent = "ext-an-earlier-publication"
	if err := h.Publishing.PublishComment(h.Ctx, stale); err != nil {
		t.Fatal(err)
	}
	if h.Net.CommentCalls.Load() != 0 {
		t.Fatal("a stale comment job called the platform")
	}
	for range 3 { // River runs jobs at least once
		if err := h.Publishing.PublishComment(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	_, c = h.comment(j)
	n, text := h.Net.Comments(ref(j))
	if c.Status != domain.CommentPublished || c.ExternalID != "cmt-"+ref(j) || c.Attempts != 1 || c.PublishedAt.IsZero() {
		t.Errorf("comment = %+v", c)
	}
	if n != 1 || text != "More at example.com" || h.Net.CommentCalls.Load() != 1 {
		t.Errorf("the network has %d comments (%q) after %d calls", n, text, h.Net.CommentCalls.Load())
	}
}

func TestPublishComment_FailureLeavesThePostPublishedAndIsRetryable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{MaxAttempts: 2, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}, false)
	h.Net.Mu.Lock()
	h.Net.CommentScript = func(n int, _ string) error {
		switch n {
		case 1:
			return &domain.Error{Code: domain.CodeRateLimited, Message: "Too many comments.", RetryAfter: 90 * time.Second}
		case 2:
			return domain.Errorf(domain.CodeUnavailable, "The platform is down (503).")
		}
		return nil
	}
	h.Net.Mu.Unlock()
	j := h.publishWithComment(t, "first!", domain.PostInput{})
	err := h.Publishing.PublishComment(h.Ctx, j)
	var retry *app.Retry
	if !errors.As(err, &retry) || retry.After < 90*time.Second {
		t.Fatalf("429: %v, want a retry after Retry-After", err)
	}
	if _, c := h.comment(j); c.Status != domain.CommentPublishing || c.AttemptOpen || c.Attempts != 1 {
		t.Fatalf("after a 429: %+v", c)
	}
	if err := h.Publishing.PublishComment(h.Ctx, j); err != nil {
		t.Fatalf("out of attempts: %v", err)
	}
	tg, c := h.comment(j)
	if c.Status != domain.CommentFailed || c.Reason == "" || tg.Status() != domain.TargetPublished || h.Get(j.Post).Status() != domain.PostPublished {
		t.Fatalf("after two failures: target %s, post %s, comment %+v", tg.Status(), h.Get(j.Post).Status(), c)
	}
	// Another company cannot reach it; a viewer may not retry it; only a failed one is retried.
	other := h.newCompany("Other", domain.RoleOwner)
	if _, err := h.Posts.RetryComment(h.Ctx, other, j.Post, j.Account, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company's retry: %v", err)
	}
	if _, err := h.Posts.ResolveComment(h.Ctx, other, j.Post, j.Account, true, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company's resolve: %v", err)
	}
	if _, err := h.Posts.RetryComment(h.Ctx, h.addViewer(), j.Post, j.Account, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("a viewer's retry: %v", err)
	}
	if _, err := h.Posts.RetryComment(h.Ctx, h.Owner, j.Post, "00000000-0000-4000-8000-000000000009", 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("retry on an account the post does not go to: %v", err)
	}
	p, err := h.Posts.RetryComment(h.Ctx, h.Owner, j.Post, j.Account, h.Get(j.Post).Version())
	if err != nil {
		t.Fatal(err)
	}
	if tg, _ := p.Target(j.Account); tg.Comment().Status != domain.CommentPending || p.Version() != j.Version {
		t.Fatalf("retried: %+v v%d", tg.Comment(), p.Version())
	}
	if _, err := h.Posts.RetryComment(h.Ctx, h.Owner, j.Post, j.Account, 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("retry of a pending comment: %v", err)
	}
	if n := h.JobCount("publish_comment", j.Post); n != 2 {
		t.Fatalf("publish_comment jobs = %d, want a second one", n)
	}
	if err := h.Publishing.PublishComment(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(j); c.Status != domain.CommentPublished || c.Attempts != 1 {
		t.Errorf("after the retry: %+v", c)
	}
	if n, _ := h.Net.Comments(ref(j)); n != 1 || h.Net.Calls.Load() != 1 {
		t.Errorf("comments %d, posts sent %d: the retry must send the comment once and never the post", n, h.Net.Calls.Load())
	}
	if n := h.Count(`SELECT count(*) FROM audit_log WHERE action = 'post.comment_retried' AND subject = $1`, string(j.Post)); n != 1 {
		t.Errorf("audit entries = %d", n)
	}
}

func TestPublishComment_CrashAfterIntentIsLookedUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	crash := func(j app.CommentJob) {
		t.Helper()
		err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
			p, err := tx.Posts().Lock(h.Ctx, j.Company, j.Post)
			if err != nil {
				return err
			}
			tg, _ := p.Target(j.Account)
			if err := tg.StartCommentAttempt(); err != nil {
				return err
			}
			return tx.Posts().SaveTarget(h.Ctx, j.Company, j.Post, *tg)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The platform got it: found, not sent again.
	got := h.publishWithComment(t, "one", domain.PostInput{})
	crash(got)
	h.Net.RecordComment(ref(got), "one")
	if err := h.Publishing.PublishComment(h.Ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(got); c.Status != domain.CommentPublished || h.Net.CommentCalls.Load() != 0 {
		t.Errorf("crash after the platform got it: %+v, %d calls", c, h.Net.CommentCalls.Load())
	}
	// The platform did not: sent once.
	lost := h.publishWithComment(t, "two", domain.PostInput{})
	crash(lost)
	if err := h.Publishing.PublishComment(h.Ctx, lost); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(lost); c.Status != domain.CommentPublished || c.Attempts != 2 {
		t.Errorf("crash before the platform got it: %+v", c)
	}
	if n, _ := h.Net.Comments(ref(lost)); n != 1 {
		t.Errorf("comments = %d", n)
	}
	// A lost answer: looked up on the next run, never sent twice.
	h.Net.Mu.Lock()
	h.Net.CommentScript = func(n int, r string) error {
		h.Net.RecordComment(r, "three")
		return domain.MaybePublished("The platform did not answer; the comment may have been published.", errNetwork)
	}
	h.Net.Mu.Unlock()
	maybe := h.publishWithComment(t, "three", domain.PostInput{})
	var retry *app.Retry
	if err := h.Publishing.PublishComment(h.Ctx, maybe); !errors.As(err, &retry) {
		t.Fatalf("lost answer: %v", err)
	}
	if _, c := h.comment(maybe); !c.AttemptOpen {
		t.Fatalf("a lost answer closed the attempt: %+v", c)
	}
	if err := h.Publishing.PublishComment(h.Ctx, maybe); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(maybe); c.Status != domain.CommentPublished {
		t.Errorf("after the lookup: %+v", c)
	}
	if n, _ := h.Net.Comments(ref(maybe)); n != 1 {
		t.Errorf("comments after a lost answer = %d", n)
	}
	// A platform that cannot tell: unknown, then resolved by a person.
	h.Net.Mu.Lock()
	h.Net.CommentScript, h.Net.CanLookup = nil, false
	h.Net.Mu.Unlock()
	unknown := h.publishWithComment(t, "four", domain.PostInput{})
	crash(unknown)
	if err := h.Publishing.PublishComment(h.Ctx, unknown); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(unknown); c.Status != domain.CommentUnknown || h.Net.CommentCalls.Load() != 2 {
		t.Fatalf("unknown: %+v, %d calls", c, h.Net.CommentCalls.Load())
	}
	if _, err := h.Posts.ResolveComment(h.Ctx, h.Owner, unknown.Post, unknown.Account, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Publishing.PublishComment(h.Ctx, unknown); err != nil {
		t.Fatal(err)
	}
	if _, c := h.comment(unknown); c.Status != domain.CommentPublished {
		t.Errorf("sent again: %+v", c)
	}
	if n := h.Count(`SELECT count(*) FROM audit_log WHERE action = 'post.comment_resolved' AND subject = $1`, string(unknown.Post)); n != 1 {
		t.Errorf("audit entries = %d", n)
	}
}

func TestPublishComment_NeverUnderAFailedPostAndNoneOnTikTok(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{MaxAttempts: 1, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}, false)
	h.Net.Mu.Lock()
	h.Net.Script = func(int, string) error { return domain.Errorf(domain.CodeInvalid, "The post was refused.") }
	h.Net.Mu.Unlock()
	j := h.publishWithComment(t, "never", domain.PostInput{})
	if err := h.Publishing.PublishComment(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	tg, c := h.comment(j)
	if tg.Status() != domain.TargetFailed || c.Status != domain.CommentPending || h.Net.CommentCalls.Load() != 0 || h.JobCount("publish_comment", j.Post) != 0 {
		t.Errorf("failed post: target %s, comment %+v, %d calls", tg.Status(), c, h.Net.CommentCalls.Load())
	}

	tt := newHarness(t, app.PublishingConfig{}, false, apptest.NetworkAs(domain.TikTok))
	tj := tt.publishWithComment(t, "no comments here", domain.PostInput{MediaURLs: []string{"https://cdn.example/clip.mp4"}})
	tg, c = tt.comment(tj)
	if tg.Status() != domain.TargetPublished || c.Status != domain.CommentNone || tt.JobCount("publish_comment", tj.Post) != 0 {
		t.Fatalf("TikTok: target %s, comment %+v", tg.Status(), c)
	}
	if err := tt.Publishing.PublishComment(tt.Ctx, tj); err != nil || tt.Net.CommentCalls.Load() != 0 {
		t.Errorf("a TikTok comment job: %v, %d calls", err, tt.Net.CommentCalls.Load())
	}
}

// TestPublishComment_RetryOfAnotherTargetLeavesTheCommentGoing: the post goes to two
// accounts; one fails, and a person retries it (the post's version changes) while the
// other's comment waits for its retry: that comment's job still sends it, once, and the
// retried target gets its own comment after its post.
func TestPublishComment_RetryOfAnotherTargetLeavesTheCommentGoing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{MaxAttempts: 1, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}, false)
	second := h.ConnectAs("fake-user-2")
	p, err := h.Posts.Create(h.Ctx, h.Owner, domain.PostInput{Content: "two", AccountIDs: []domain.AccountID{h.Account.ID, second.ID}, FirstComment: "both"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
		t.Fatal(err)
	}
	failing := string(p.ID) + "/" + string(second.ID)
	h.Net.Mu.Lock()
	h.Net.Script = func(_ int, ref string) error {
		if ref == failing {
			return domain.Errorf(domain.CodeInvalid, "Refused.")
		}
		return nil
	}
	h.Net.Mu.Unlock()
	for _, a := range []domain.AccountID{h.Account.ID, second.ID} {
		if err := h.Publishing.PublishTarget(h.Ctx, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: a, Version: p.Version()}); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.Get(p.ID); got.Status() != domain.PostPartiallyPublished {
		t.Fatalf("post = %s", got.Status())
	}
	j := app.CommentJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: p.Version(), Parent: "ext-" + string(p.ID) + "/" + string(h.Account.ID)}
	h.Net.Mu.Lock()
	h.Net.Script = nil
	h.Net.Mu.Unlock()
	retried, err := h.Posts.RetryFailed(h.Ctx, h.Owner, second.ID)
	if err != nil || len(retried) != 1 || retried[0].Version() == p.Version() {
		t.Fatalf("retry the failed target: %v", err)
	}
	if err := h.Publishing.PublishComment(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.Net.Comments(ref(j)); n != 1 {
		t.Errorf("the first account's comment was sent %d times after the other's retry, want 1", n)
	}
	if err := h.Publishing.PublishTarget(h.Ctx, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: second.ID, Version: retried[0].Version()}); err != nil {
		t.Fatal(err)
	}
	k := app.CommentJob{Company: p.CompanyID, Post: p.ID, Account: second.ID, Version: retried[0].Version(), Parent: "ext-" + failing}
	if err := h.Publishing.PublishComment(h.Ctx, k); err != nil {
		t.Fatal(err)
	}
	final := h.Get(p.ID)
	for _, tg := range final.Targets {
		if tg.Status() != domain.TargetPublished || tg.Comment().Status != domain.CommentPublished {
			t.Errorf("%s: target %s, comment %s", tg.AccountID, tg.Status(), tg.Comment().Status)
		}
	}
	if n := h.JobCount("publish_comment", p.ID); n != 2 {
		t.Errorf("publish_comment jobs = %d, want one per target", n)
	}
}
