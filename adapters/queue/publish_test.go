package queue_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestSchedule_JobAndPostCommitOrRollBackTogether(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	p := h.Draft("atomic")
	boom := errors.New("a failure after the job insert")
	err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(h.Ctx, p.CompanyID, p.ID)
		if err != nil {
			return err
		}
		if err := post.Schedule(time.Now().Add(time.Hour), time.Now()); err != nil {
			return err
		}
		if err := tx.Posts().Update(h.Ctx, &post); err != nil {
			return err
		}
		if err := tx.Jobs().PublishPost(h.Ctx, post.CompanyID, post.ID, post.Version(), post.ScheduledFor()); err != nil {
			return err
		}
		if n := h.JobCount("publish_post", p.ID); n != 0 {
			t.Errorf("the job is visible outside its transaction (%d)", n)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if got := h.Get(p.ID); got.Status() != domain.PostDraft || got.Version() != p.Version() {
		t.Errorf("post after rollback: %s v%d", got.Status(), got.Version())
	}
	if n := h.JobCount("publish_post", p.ID); n != 0 {
		t.Errorf("job rows after rollback = %d, want 0", n)
	}

	// A schedule that fails validation after locking leaves no job either.
	long := h.Draft(strings.Repeat("x", 5001))
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, long.ID, time.Time{}, 0); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("schedule a post that breaks the sandbox's rules: %v", err)
	}
	if n := h.JobCount("publish_post", long.ID); n != 0 {
		t.Errorf("job rows after a refused schedule = %d", n)
	}

	// And a successful one has exactly one job, for its version, due at its time.
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	s, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	var state string
	var due time.Time
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT (args->>'version')::int, state::text, scheduled_at FROM river_job
		WHERE kind = 'publish_post' AND args->>'post_id' = $1`, string(p.ID)).Scan(&version, &state, &due); err != nil {
		t.Fatal(err)
	}
	if version != s.Version() || !due.Equal(at) {
		t.Errorf("job version %d due %s, want %d at %s", version, due, s.Version(), at)
	}
	// The insert middleware keeps due-time publish jobs available (fetched once due),
	// instead of waiting for River's 5-second scheduler.
	if state != "available" {
		t.Errorf("job state = %s, want available", state)
	}
	// The queue's depth still counts it as scheduled, not as work waiting now.
	if depth, err := h.Queue.Depth(h.Ctx); err != nil || depth["scheduled"] != 1 || depth["available"] != 0 {
		t.Errorf("Depth = %v, %v; want the future job counted as scheduled", depth, err)
	}
}

// TestPublish_ThousandDuePostsPublishExactlyOnce runs River for real: 1,000 posts due at
// the same moment, each published exactly once, every target and post settled.
func TestPublish_ThousandDuePostsPublishExactlyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	const n = 1000
	due := time.Now().Add(2 * time.Second)
	ids := make([]domain.PostID, 0, n)
	for i := range n {
		p := h.Draft(fmt.Sprintf("post %d", i))
		if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, due, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	// Some transient failures along the way must not make duplicates.
	h.Net.Mu.Lock()
	h.Net.Script = func(call int, r string) error {
		if call%97 == 0 {
			return domain.Errorf(domain.CodeUnavailable, "flaky")
		}
		return nil
	}
	h.Net.Mu.Unlock()
	apptest.WaitFor(t, "every post published", 90*time.Second, func() (bool, error) {
		var done int
		err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM posts WHERE company_id = $1 AND status = 'published'`, string(h.Owner.CompanyID)).Scan(&done)
		return done == n, err
	})
	refs, total := h.Net.Total()
	if refs != n || total != n {
		t.Errorf("network has %d posts for %d references, want %d each once", total, refs, n)
	}
	for _, id := range ids {
		if c := h.Net.Published(string(id) + "/" + string(h.Account.ID)); c != 1 {
			t.Fatalf("post %s published %d times", id, c)
		}
	}
	var early int
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM post_targets WHERE company_id = $1 AND published_at < $2`,
		string(h.Owner.CompanyID), due).Scan(&early); err != nil || early != 0 {
		t.Errorf("%d targets published before their time (%v)", early, err)
	}
}

// TestCollectMetrics_ThroughRiver runs the periodic fan-out and the account jobs for real.
func TestCollectMetrics_ThroughRiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	h.Net.Mu.Lock()
	h.Net.MetricsFn = func(string) (domain.Metrics, error) { return domain.Metrics{Likes: 7, Impressions: 70}, nil }
	h.Net.Mu.Unlock()
	p := h.Draft("through River")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "published", 20*time.Second, func() (bool, error) { return h.Get(p.ID).Status() == domain.PostPublished, nil })
	if _, err := h.Queue.Client().Insert(h.Ctx, queue.CollectArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "a metrics snapshot", 20*time.Second, func() (bool, error) {
		var likes int64
		err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT coalesce(max(likes), 0) FROM metric_snapshots WHERE company_id = $1 AND post_id = $2`,
			string(h.Owner.CompanyID), string(p.ID)).Scan(&likes)
		return likes == 7, err
	})
}
