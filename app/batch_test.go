package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// startBatcher starts a batcher on the harness's publishing, stopped when the test ends.
func startBatcher(t *testing.T, h *harness, cfg app.BatchConfig) *app.Batcher {
	t.Helper()
	b := h.Publishing.NewBatcher(cfg)
	b.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.Stop(ctx); err != nil {
			t.Errorf("batcher stop: %v", err)
		}
	})
	return b
}

// due is a post scheduled now (River does not run in these tests) on accounts (none:
// the harness account).
func due(t *testing.T, h *harness, actor domain.Actor, content string, accounts ...domain.AccountID) domain.Post {
	t.Helper()
	if len(accounts) == 0 {
		accounts = []domain.AccountID{h.Account.ID}
	}
	p := h.App.Draft(t, actor, content, accounts...)
	p, err := h.Posts.Schedule(h.Ctx, actor, p.ID, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publishAll hands every post to b at once and returns each one's answer.
func publishAll(ctx context.Context, b *app.Batcher, posts []domain.Post) []error {
	errs := make([]error, len(posts))
	var wg sync.WaitGroup
	for i, p := range posts {
		wg.Go(func() { errs[i] = b.Publish(ctx, p.CompanyID, p.ID, p.Version()) })
	}
	wg.Wait()
	return errs
}

func targetRef(p domain.Post, a domain.AccountID) string { return string(p.ID) + "/" + string(a) }

// TestBatcher_ManyPostsOfSeveralCompaniesPublishOnceEach: posts of three companies, one of
// them with two targets, go out in batches; each target is published exactly once, each
// post ends published with its webhook event, and the whole batch took a handful of
// transactions rather than three per post.
func TestBatcher_ManyPostsOfSeveralCompaniesPublishOnceEach(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Endpoint("http://127.0.0.1:9/hooks", domain.EventPostPublished)
	second := h.ConnectAs("fake-user-2")
	var posts []domain.Post
	for i := range 20 {
		posts = append(posts, due(t, h, h.Owner, fmt.Sprintf("acme %d", i), h.Account.ID, second.ID))
	}
	for c := range 2 {
		actor := h.newCompany(fmt.Sprintf("Other %d", c), domain.RoleOwner)
		acct := h.App.Connect(t, actor)
		for i := range 20 {
			posts = append(posts, due(t, h, actor, fmt.Sprintf("other %d %d", c, i), acct.ID))
		}
	}
	b := startBatcher(t, h, app.BatchConfig{Window: 50 * time.Millisecond, MaxPosts: 100, PerAccount: 4})
	for i, err := range publishAll(h.Ctx, b, posts) {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	for _, p := range posts {
		got, err := h.Posts.Get(h.Ctx, domain.Actor{UserID: p.CreatedBy, CompanyID: p.CompanyID, Role: domain.RoleOwner}, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status() != domain.PostPublished {
			t.Errorf("post %s is %s", p.ID, got.Status())
		}
		for _, tg := range got.Targets {
			if n := h.Net.Published(targetRef(p, tg.AccountID)); n != 1 || tg.Attempts() != 1 || tg.AttemptOpen() {
				t.Errorf("target %s: published %d times, attempts %d, open %v", targetRef(p, tg.AccountID), n, tg.Attempts(), tg.AttemptOpen())
			}
		}
	}
	if _, sent := h.Net.Total(); sent != 80 {
		t.Errorf("%d publishes for 80 targets", sent)
	}
	if n := h.Count(`SELECT count(*) FROM webhook_events WHERE company_id = $1 AND type = $2`, string(h.Owner.CompanyID), string(domain.EventPostPublished)); n != 20 {
		t.Errorf("%d post.published events for acme's 20 posts", n)
	}
	if n := h.Count(`SELECT count(*) FROM river_job WHERE kind = 'publish_target'`); n != 0 {
		t.Errorf("%d publish_target jobs: the common case needs none", n)
	}
}

// TestBatcher_StaleSuspendedAndDeleted: in one batch, a post edited since its job was
// enqueued is left alone, a suspended company's post fails with the reason and no call,
// a deleted post is nothing to do, and the others publish.
func TestBatcher_StaleSuspendedAndDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	stale := due(t, h, h.Owner, "stale")
	if _, err := h.Posts.Update(h.Ctx, h.Owner, stale.ID, domain.PostInput{Content: "edited", AccountIDs: []domain.AccountID{h.Account.ID}}, stale.Version()); err != nil {
		t.Fatal(err)
	}
	fresh := due(t, h, h.Owner, "fresh")
	deleted := due(t, h, h.Owner, "deleted")
	if _, err := h.Posts.Unschedule(h.Ctx, h.Owner, deleted.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Posts.Delete(h.Ctx, h.Owner, deleted.ID, 0); err != nil {
		t.Fatal(err)
	}
	rival := h.newCompany("Suspended Co", domain.RoleOwner)
	rivalAcct := h.App.Connect(t, rival)
	suspended := due(t, h, rival, "suspended", rivalAcct.ID)
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE companies SET status = 'suspended' WHERE id = $1`, string(rival.CompanyID)); err != nil {
		t.Fatal(err)
	}
	b := startBatcher(t, h, app.BatchConfig{Window: 50 * time.Millisecond})
	for i, err := range publishAll(h.Ctx, b, []domain.Post{stale, fresh, deleted, suspended}) {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	if got := h.Get(stale.ID); got.Status() != domain.PostScheduled || h.Net.Published(targetRef(stale, h.Account.ID)) != 0 {
		t.Errorf("the stale job acted: %s", got.Status())
	}
	if got := h.Get(fresh.ID); got.Status() != domain.PostPublished {
		t.Errorf("fresh post: %s", got.Status())
	}
	got := h.App.Get(t, rival, suspended.ID)
	if got.Status() != domain.PostFailed || !strings.Contains(got.Targets[0].Reason(), "suspended") || h.Net.Published(targetRef(suspended, rivalAcct.ID)) != 0 {
		t.Errorf("suspended company's post: %s %q, published %d", got.Status(), got.Targets[0].Reason(), h.Net.Published(targetRef(suspended, rivalAcct.ID)))
	}
	if _, sent := h.Net.Total(); sent != 1 {
		t.Errorf("%d publishes, want only the fresh post's", sent)
	}
}

// TestBatcher_TransientFailureGoesToItsOwnJob: one target of the batch is rate limited;
// its attempt is closed as PublishTarget closes it and it goes on as a publish_target job
// due after the platform's Retry-After, which then publishes it; the others succeed.
func TestBatcher_TransientFailureGoesToItsOwnJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	var posts []domain.Post
	for i := range 5 {
		posts = append(posts, due(t, h, h.Owner, fmt.Sprintf("post %d", i)))
	}
	limited := targetRef(posts[2], h.Account.ID)
	var refusals atomic.Int32
	h.Net.Mu.Lock()
	h.Net.Script = func(_ int, r string) error {
		if r == limited && refusals.Add(1) == 1 {
			return &domain.Error{Code: domain.CodeRateLimited, Message: "Sandbox: slow down.", RetryAfter: 42 * time.Second}
		}
		return nil
	}
	h.Net.Mu.Unlock()
	b := startBatcher(t, h, app.BatchConfig{Window: 50 * time.Millisecond})
	before := time.Now()
	for i, err := range publishAll(h.Ctx, b, posts) {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	for i, p := range posts {
		got := h.Get(p.ID)
		if i == 2 {
			tg := got.Targets[0]
			if got.Status() != domain.PostPublishing || tg.Status() != domain.TargetPublishing || tg.AttemptOpen() || tg.Attempts() != 1 || !strings.Contains(tg.Reason(), "slow down") {
				t.Errorf("rate-limited target: post %s, target %s open=%v attempts=%d %q", got.Status(), tg.Status(), tg.AttemptOpen(), tg.Attempts(), tg.Reason())
			}
			continue
		}
		if got.Status() != domain.PostPublished {
			t.Errorf("post %d: %s", i, got.Status())
		}
	}
	var at time.Time
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'publish_target' AND args->>'post_id' = $1 AND args->>'account_id' = $2`,
		string(posts[2].ID), string(h.Account.ID)).Scan(&at); err != nil {
		t.Fatalf("the rate-limited target's job: %v", err)
	}
	if at.Before(before.Add(41 * time.Second)) {
		t.Errorf("the retry job is due at %s, %s after the batch: want the 42s of Retry-After", at, at.Sub(before))
	}
	if n := h.Count(`SELECT count(*) FROM river_job WHERE kind = 'publish_target'`); n != 1 {
		t.Errorf("%d publish_target jobs, want only the rate-limited target's", n)
	}
	// The job, when it runs, publishes the target once.
	j := app.TargetJob{Company: posts[2].CompanyID, Post: posts[2].ID, Account: h.Account.ID, Version: posts[2].Version()}
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(posts[2].ID); got.Status() != domain.PostPublished || h.Net.Published(limited) != 1 {
		t.Errorf("after its job: %s, published %d", got.Status(), h.Net.Published(limited))
	}
}

// TestBatcher_CrashAfterTheIntentsReconcilesNeverSendsTwice: the process stops while the
// batch's calls are under way, after the platform received one post but before its
// answer was recorded. The attempt stays open; the publish job's retry hands it to a
// publish_target job, which finds the post on the platform instead of sending it again.
// Where the platform cannot look posts up, the target ends unknown for a person.
func TestBatcher_CrashAfterTheIntentsReconcilesNeverSendsTwice(t *testing.T) {
	t.Parallel()
	for _, lookup := range []bool{true, false} {
		t.Run(fmt.Sprintf("lookup=%v", lookup), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, app.PublishingConfig{}, false)
			p := due(t, h, h.Owner, "interrupted")
			r := targetRef(p, h.Account.ID)
			ctx, stop := context.WithCancel(h.Ctx)
			h.Net.Mu.Lock()
			h.Net.CanLookup = lookup
			h.Net.Script = func(_ int, got string) error {
				if got == r {
					h.Net.Record(got) // the platform has it...
					stop()            // ...and the process stops before the answer
					return context.Canceled
				}
				return nil
			}
			h.Net.Mu.Unlock()
			b := startBatcher(t, h, app.BatchConfig{Window: 20 * time.Millisecond})
			if err := b.Publish(ctx, p.CompanyID, p.ID, p.Version()); err == nil {
				t.Fatal("Publish of an interrupted batch = nil, want the job to fail and be retried")
			}
			tg := h.Get(p.ID).Targets[0]
			if !tg.AttemptOpen() || tg.Final() {
				t.Fatalf("after the crash: target %s open=%v, want the attempt left open", tg.Status(), tg.AttemptOpen())
			}
			h.Net.Mu.Lock()
			h.Net.Script = nil
			h.Net.Mu.Unlock()
			// River retries the publish job: it finds the post claimed and hands the open
			// attempt on.
			if err := b.Publish(h.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
				t.Fatal(err)
			}
			if n := h.JobCount("publish_target", p.ID); n != 1 {
				t.Fatalf("publish_target jobs after the retry = %d, want 1", n)
			}
			calls := h.Net.Calls.Load()
			j := app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: p.Version()}
			if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
				t.Fatal(err)
			}
			got := h.Get(p.ID)
			want := domain.PostPublished
			if !lookup {
				want = domain.PostFailed // unknown is final; nothing published for sure
			}
			if got.Status() != want || h.Net.Published(r) != 1 || h.Net.Calls.Load() != calls {
				t.Errorf("after reconciling: post %s (target %s), published %d times, %d more calls", got.Status(), got.Targets[0].Status(),
					h.Net.Published(r), h.Net.Calls.Load()-calls)
			}
			if !lookup && got.Targets[0].Status() != domain.TargetUnknown {
				t.Errorf("without lookup the target is %s, want unknown", got.Targets[0].Status())
			}
		})
	}
}

// TestBatcher_PerAccountConcurrencyIsHonoured: twelve posts on each of two accounts in
// one batch, at most three calls per account: three calls of each account are in flight
// at once, never a fourth.
func TestBatcher_PerAccountConcurrencyIsHonoured(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	second := h.ConnectAs("fake-user-2")
	var posts []domain.Post
	for i := range 12 {
		posts = append(posts, due(t, h, h.Owner, fmt.Sprintf("first %d", i), h.Account.ID))
		posts = append(posts, due(t, h, h.Owner, fmt.Sprintf("second %d", i), second.ID))
	}
	var mu sync.Mutex
	inFlight, most := map[string]int{}, map[string]int{}
	account := func(r string) string { return r[strings.IndexByte(r, '/')+1:] }
	hold, started := make(chan struct{}), make(chan struct{}, len(posts))
	h.Net.Mu.Lock()
	h.Net.Hold, h.Net.Started = hold, started
	h.Net.Receive = func(_ context.Context, p ports.Publication) error {
		mu.Lock()
		defer mu.Unlock()
		a := account(p.Reference)
		inFlight[a]++
		most[a] = max(most[a], inFlight[a])
		return nil
	}
	h.Net.Script = func(_ int, r string) error {
		mu.Lock()
		defer mu.Unlock()
		inFlight[account(r)]--
		return nil
	}
	h.Net.Mu.Unlock()
	b := startBatcher(t, h, app.BatchConfig{Window: 100 * time.Millisecond, PerAccount: 3})
	done := make(chan []error, 1)
	go func() { done <- publishAll(h.Ctx, b, posts) }()
	deadline := time.After(time.Minute)
	for range 6 {
		select {
		case <-started:
		case <-deadline:
			t.Fatal("three calls per account did not begin")
		}
	}
	select { // nothing more starts while those six are held
	case <-started:
		t.Error("a seventh call began while three of each account were in flight")
	case <-time.After(300 * time.Millisecond):
	}
	close(hold)
	for i, err := range <-done {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for a, n := range most {
		if n != 3 {
			t.Errorf("account %s had at most %d calls in flight, want 3", a, n)
		}
	}
	if len(most) != 2 {
		t.Errorf("calls seen for %d accounts, want 2", len(most))
	}
	if _, sent := h.Net.Total(); sent != len(posts) {
		t.Errorf("%d publishes for %d posts", sent, len(posts))
	}
}

// TestBatcher_APlaceIsGivenBackWhenThePlatformAnswers: the per-account limit counts
// platform calls, not results waiting to be recorded. With one call per account, the
// second post's call begins while the first one's result is still waiting for its batch
// (held up here by a transaction that locks both posts after they were claimed).
func TestBatcher_APlaceIsGivenBackWhenThePlatformAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	posts := []domain.Post{due(t, h, h.Owner, "first"), due(t, h, h.Owner, "second")}
	hold, started := make(chan struct{}), make(chan struct{}, len(posts))
	h.Net.Mu.Lock()
	h.Net.Hold, h.Net.Started = hold, started
	h.Net.Mu.Unlock()
	b := startBatcher(t, h, app.BatchConfig{Window: 50 * time.Millisecond, PerAccount: 1})
	done := make(chan []error, 1)
	go func() { done <- publishAll(h.Ctx, b, posts) }()
	deadline := time.After(time.Minute)
	select {
	case <-started: // both posts are claimed (one batch), the first call is under way
	case <-deadline:
		t.Fatal("no call began")
	}
	// Once both posts are publishing, this transaction keeps their results from being recorded.
	for n := 0; n != 2; {
		if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM posts WHERE id IN ($1, $2) AND status = 'publishing'`,
			string(posts[0].ID), string(posts[1].ID)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		select {
		case <-deadline:
			t.Fatalf("%d of the 2 posts publishing after a minute", n)
		case <-time.After(10 * time.Millisecond):
		}
	}
	tx, err := h.DB.SQL().BeginTx(h.Ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // rolled back below; this is for a failed test
	var locked int
	if err := tx.QueryRowContext(h.Ctx, `WITH l AS (SELECT 1 FROM posts WHERE id IN ($1, $2) AND status = 'publishing' FOR UPDATE) SELECT count(*) FROM l`,
		string(posts[0].ID), string(posts[1].ID)).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	if locked != 2 {
		t.Fatalf("locked %d publishing posts, want 2", locked)
	}
	close(hold) // the first call answers; its result waits for the lock
	select {
	case <-started:
	case <-deadline:
		t.Fatal("the second call did not begin while the first one's result waited to be recorded")
	}
	select {
	case errs := <-done:
		t.Fatalf("posts finished while their results could not be recorded: %v", errs)
	default:
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for i, err := range <-done {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	for _, p := range posts {
		if got := h.Get(p.ID); got.Status() != domain.PostPublished {
			t.Errorf("post %s is %s, want published", p.ID, got.Status())
		}
	}
	if _, sent := h.Net.Total(); sent != len(posts) {
		t.Errorf("%d publishes for %d posts", sent, len(posts))
	}
}

// TestBatcher_TwoBatchersClaimDisjointPosts: two batchers (as two processes would run)
// are handed the same posts at once, as when a rescued job runs beside its original; each
// post is claimed by one of them and published once.
func TestBatcher_TwoBatchersClaimDisjointPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	var posts []domain.Post
	for i := range 40 {
		posts = append(posts, due(t, h, h.Owner, fmt.Sprintf("shared %d", i)))
	}
	one := startBatcher(t, h, app.BatchConfig{Window: 30 * time.Millisecond, PerAccount: 8})
	two := startBatcher(t, h, app.BatchConfig{Window: 30 * time.Millisecond, PerAccount: 8})
	var wg sync.WaitGroup
	var errs [2][]error
	for i, b := range []*app.Batcher{one, two} {
		wg.Go(func() {
			// A job whose post the other batcher holds is run again, as River would.
			errs[i] = make([]error, len(posts))
			var inner sync.WaitGroup
			for k, p := range posts {
				inner.Go(func() {
					for {
						err := b.Publish(h.Ctx, p.CompanyID, p.ID, p.Version())
						var retry *app.Retry
						if errors.As(err, &retry) {
							time.Sleep(retry.After)
							continue
						}
						errs[i][k] = err
						return
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	for i := range errs {
		for k, err := range errs[i] {
			if err != nil {
				t.Errorf("batcher %d, post %d: %v", i, k, err)
			}
		}
	}
	for _, p := range posts {
		if got := h.Get(p.ID); got.Status() != domain.PostPublished || h.Net.Published(targetRef(p, h.Account.ID)) != 1 {
			t.Errorf("post %s: %s, published %d times", p.ID, got.Status(), h.Net.Published(targetRef(p, h.Account.ID)))
		}
	}
	if _, sent := h.Net.Total(); sent != len(posts) || h.Net.Calls.Load() != int64(len(posts)) {
		t.Errorf("%d publishes, %d calls for %d posts", sent, h.Net.Calls.Load(), len(posts))
	}
}

// TestPosts_LockManyIsScopedToEachKeysCompany: a key naming a post with another company
// finds nothing, and saving a target under the wrong company is not found.
func TestPosts_LockManyIsScopedToEachKeysCompany(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	p := due(t, h, h.Owner, "acme's")
	rival := h.newCompany("Rival", domain.RoleOwner)
	err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		locked, busy, err := tx.Posts().LockMany(h.Ctx, []ports.PostKey{{Company: rival.CompanyID, Post: p.ID}}, true)
		if err != nil {
			return err
		}
		if len(locked) != 0 || len(busy) != 0 {
			t.Errorf("rival's key found acme's post: %d locked, %d busy", len(locked), len(busy))
		}
		err = tx.Posts().SaveTargets(h.Ctx, []ports.PostTarget{{Company: rival.CompanyID, Post: p.ID, Target: p.Targets[0]}})
		if domain.CodeOf(err) != domain.CodeNotFound {
			t.Errorf("SaveTargets under the rival = %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
