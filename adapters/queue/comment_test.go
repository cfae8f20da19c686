package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_FirstCommentsOnceThroughRiver: due posts with first comments go through
// River's workers while the network fails comments now and then, transiently or by losing
// the answer after making the comment; every post and every comment exists once.
func TestPublish_FirstCommentsOnceThroughRiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{MaxAttempts: 6, Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, CallTimeout: 5 * time.Second}, true)
	h.Net.Mu.Lock()
	h.Net.CommentScript = func(call int, ref string) error {
		switch call % 5 {
		case 1:
			return domain.Errorf(domain.CodeUnavailable, "flaky")
		case 3:
			h.Net.RecordComment(ref, "comment "+ref)
			return domain.MaybePublished("The answer was lost.", errNetwork)
		}
		return nil
	}
	h.Net.Mu.Unlock()
	const n = 40
	ids := make([]domain.PostID, 0, n)
	for i := range n {
		p, err := h.Posts.Create(h.Ctx, h.Owner, domain.PostInput{Content: fmt.Sprintf("post %d", i), AccountIDs: []domain.AccountID{h.Account.ID}})
		if err != nil {
			t.Fatal(err)
		}
		ref := string(p.ID) + "/" + string(h.Account.ID)
		if p, err = h.Posts.Update(h.Ctx, h.Owner, p.ID, domain.PostInput{Content: fmt.Sprintf("post %d", i), AccountIDs: []domain.AccountID{h.Account.ID},
			FirstComment: "comment " + ref}, p.Version()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	apptest.WaitFor(t, "every comment published", 90*time.Second, func() (bool, error) {
		var done int
		err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM post_targets WHERE company_id = $1 AND comment_status = 'published'`,
			string(h.Owner.CompanyID)).Scan(&done)
		return done == n, err
	})
	for _, id := range ids {
		ref := string(id) + "/" + string(h.Account.ID)
		if got, text := h.Net.Comments(ref); got != 1 || text != "comment "+ref || h.Net.Published(ref) != 1 {
			t.Errorf("post %s: %d posts, %d comments (%q)", id, h.Net.Published(ref), got, text)
		}
		if p := h.Get(id); p.Status() != domain.PostPublished {
			t.Errorf("post %s is %s", id, p.Status())
		}
	}
}

// TestRescue_CommentJobOfAStoppedProcessIsLookedUp: a worker died after recording the
// comment's attempt (the platform got it for one post, not for the other); after the
// restart the rescued jobs look each comment up: the first is found, the second sent once.
func TestRescue_CommentJobOfAStoppedProcessIsLookedUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	crashed := func(content string, platformGotIt bool) app.CommentJob {
		t.Helper()
		p, err := h.Posts.Create(h.Ctx, h.Owner, domain.PostInput{Content: content, AccountIDs: []domain.AccountID{h.Account.ID}, FirstComment: "see " + content})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
			t.Fatal(err)
		}
		if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
			t.Fatal(err)
		}
		if err := h.Publishing.PublishTarget(h.Ctx, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: p.Version()}); err != nil {
			t.Fatal(err)
		}
		j := app.CommentJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: p.Version(), Parent: "ext-" + string(p.ID) + "/" + string(h.Account.ID)}
		err = h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
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
		if platformGotIt {
			h.Net.RecordComment(string(j.Post)+"/"+string(j.Account), "see "+content)
		}
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),
			attempted_by = ARRAY['herald-killed-host-0003'] WHERE kind = 'publish_comment' AND args->>'post_id' = $1`, string(j.Post)); err != nil {
			t.Fatal(err)
		}
		return j
	}
	got := crashed("killed after the platform commented", true)
	unsent := crashed("killed before the comment", false)
	if err := h.Queue.Start(h.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.Queue.Stop(ctx)
	})
	apptest.WaitFor(t, "both comments published", time.Minute, func() (bool, error) {
		for _, j := range []app.CommentJob{got, unsent} {
			p := h.Get(j.Post)
			tg, _ := p.Target(j.Account)
			if tg.Comment().Status != domain.CommentPublished {
				return false, nil
			}
		}
		return true, nil
	})
	for _, j := range []app.CommentJob{got, unsent} {
		if n, _ := h.Net.Comments(string(j.Post) + "/" + string(j.Account)); n != 1 {
			t.Errorf("post %s has %d comments", j.Post, n)
		}
	}
	if calls := h.Net.CommentCalls.Load(); calls != 1 {
		t.Errorf("%d comment calls after the restart, want 1 (the first was found by lookup)", calls)
	}
}
