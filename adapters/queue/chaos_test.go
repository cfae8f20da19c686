package queue_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// twoAccountPosts schedules n posts on the harness account and second, claims each, and
// returns the two target jobs of every post.
func twoAccountPosts(h *harness, second domain.Account, n int, content string) [][2]app.TargetJob {
	h.T.Helper()
	out := make([][2]app.TargetJob, 0, n)
	for i := range n {
		p, err := h.Posts.Create(h.Ctx, h.Owner, domain.PostInput{Content: fmt.Sprintf("%s %d", content, i),
			AccountIDs: []domain.AccountID{h.Account.ID, second.ID}})
		if err != nil {
			h.T.Fatal(err)
		}
		if p, err = h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
			h.T.Fatal(err)
		}
		if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
			h.T.Fatal(err)
		}
		j := app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: p.Version()}
		k := j
		k.Account = second.ID
		out = append(out, [2]app.TargetJob{j, k})
	}
	return out
}

// eventCount counts the company's webhook events of type typ about post.
func eventCount(h *harness, typ domain.EventType, post domain.PostID) int {
	h.T.Helper()
	var n int
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM webhook_events WHERE company_id = $1 AND type = $2 AND data->'post'->>'id' = $3`,
		string(h.Owner.CompanyID), string(typ), string(post)).Scan(&n); err != nil {
		h.T.Fatal(err)
	}
	return n
}

// TestPublishTarget_ConcurrentCompletionsSettleThePost: the two targets of a post finish
// at the same instant. Whichever records its result second must see the first's, so the
// post ends published (issue 11.1: the waiter read the targets in the locking statement,
// whose snapshot predates the wait, and left the post publishing for ever).
func TestPublishTarget_ConcurrentCompletionsSettleThePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Endpoint("http://127.0.0.1:9/hooks", domain.EventPostPublished) // events are kept only for a subscriber
	second := h.ConnectAs("fake-user-2")
	const n = 20
	posts := twoAccountPosts(h, second, n, "two accounts at once")

	// Every platform call waits until all have begun, then all answer together.
	hold, started := make(chan struct{}), make(chan struct{}, 2*n)
	h.Net.Mu.Lock()
	h.Net.Hold, h.Net.Started = hold, started
	h.Net.Mu.Unlock()
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for _, pair := range posts {
		for _, j := range pair {
			wg.Go(func() { errs <- h.Publishing.PublishTarget(h.Ctx, j) })
		}
	}
	deadline := time.After(time.Minute)
	for range 2 * n {
		select {
		case <-started:
		case <-deadline:
			t.Fatal("the platform calls did not all begin")
		}
	}
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	stuck := 0
	for _, pair := range posts {
		p := h.Get(pair[0].Post)
		if p.Status() != domain.PostPublished {
			stuck++
			t.Errorf("post %s is %s with targets %s and %s", p.ID, p.Status(), p.Targets[0].Status(), p.Targets[1].Status())
		}
		for _, j := range pair {
			if got := h.Net.Published(apptest.Ref(j)); got != 1 {
				t.Errorf("target %s published %d times", apptest.Ref(j), got)
			}
		}
		if got := eventCount(h, domain.EventPostPublished, p.ID); got != 1 {
			t.Errorf("post %s has %d post.published events, want 1", p.ID, got)
		}
	}
	if stuck > 0 {
		t.Errorf("%d of %d posts stuck although both targets published", stuck, n)
	}
}

// TestSweep_SettlesAPostWhoseStatusDisagreesWithItsTargets: a post left publishing with
// every target final (as the race above left them, before its fix) is settled by the
// sweeper at once, with its event, whatever the quiet margin; a post still publishing a
// target is left to its job.
func TestSweep_SettlesAPostWhoseStatusDisagreesWithItsTargets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Endpoint("http://127.0.0.1:9/hooks", domain.EventPostPublished)
	second := h.ConnectAs("fake-user-2")
	posts := twoAccountPosts(h, second, 2, "left publishing")
	stuck, busy := posts[0], posts[1]
	for _, j := range stuck {
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Publishing.PublishTarget(h.Ctx, busy[0]); err != nil {
		t.Fatal(err)
	}
	// The state the race left: targets published, post publishing, no event.
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE posts SET status = 'publishing' WHERE id = $1`, string(stuck[0].Post)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `DELETE FROM webhook_events WHERE data->'post'->>'id' = $1`, string(stuck[0].Post)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(stuck[0].Post).Status(); got != domain.PostPublishing {
		t.Fatalf("set up: post is %s", got)
	}
	// A day of quiet margin: only the disagreement makes the sweeper act.
	if _, err := h.Publishing.Sweep(h.Ctx, 24*time.Hour, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(stuck[0].Post).Status(); got != domain.PostPublished {
		t.Errorf("the stuck post is %s after the sweep, want published", got)
	}
	if got := eventCount(h, domain.EventPostPublished, stuck[0].Post); got != 1 {
		t.Errorf("the repaired post has %d post.published events, want 1", got)
	}
	if got := h.Get(busy[0].Post).Status(); got != domain.PostPublishing {
		t.Errorf("the post with a target still to publish is %s, want publishing", got)
	}
	// A second sweep changes nothing more.
	if _, err := h.Publishing.Sweep(h.Ctx, 24*time.Hour, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := eventCount(h, domain.EventPostPublished, stuck[0].Post); got != 1 {
		t.Errorf("after a second sweep: %d post.published events, want 1", got)
	}
}

// expireSoon moves the harness account's token inside the renewal margin, as a platform's
// short-lived token would be.
func expireSoon(h *harness) {
	h.T.Helper()
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE social_accounts SET token_expires_at = now() + interval '1 minute' WHERE id = $1`,
		string(h.Account.ID)); err != nil {
		h.T.Fatal(err)
	}
}

// TestPublishTarget_BurstOnAnExpiringTokenDoesNotFreezeThePool: three times more posts
// than the pool has connections fall due at once on one account whose token must be
// renewed, and the platform's refresh needs a database connection of its own (as the
// sandbox does). Everything publishes with one refresh, and the database stays usable
// while the platform answers (issue 11.3: renew held a connection and the row lock
// across the platform call, the waiters held the rest of the pool, and nothing moved).
func TestPublishTarget_BurstOnAnExpiringTokenDoesNotFreezeThePool(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false) // a pool of 20 connections
	const n = 60
	jobs := make([]app.TargetJob, n)
	for i := range n {
		_, jobs[i] = h.Claim(fmt.Sprintf("burst %d", i))
	}
	expireSoon(h)
	inRefresh := make(chan struct{})
	var once sync.Once
	h.Net.Mu.Lock()
	h.Net.RefreshFn = func() error {
		once.Do(func() { close(inRefresh) })
		// A refresh that needs the database, with a deadline so a frozen pool fails the
		// test instead of hanging it.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		time.Sleep(300 * time.Millisecond) // the platform is slow: every job piles up behind it
		_, err := h.DB.SQL().ExecContext(ctx, `SELECT 1`)
		if err != nil {
			return fmt.Errorf("the refresh found no connection: %w", err)
		}
		return nil
	}
	h.Net.Mu.Unlock()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { errs <- h.Publishing.PublishTarget(h.Ctx, j) })
	}
	// While the platform answers the refresh, another request still gets a connection.
	<-inRefresh
	readCtx, cancel := context.WithTimeout(h.Ctx, 10*time.Second)
	if _, err := h.Posts.Get(readCtx, h.Owner, jobs[0].Post); err != nil {
		t.Errorf("a read during the refresh: %v", err)
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, j := range jobs {
		if p := h.Get(j.Post); p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(j)) != 1 {
			t.Errorf("post %s: %s (%q), published %d times", j.Post, p.Status(), p.Targets[0].Reason(), h.Net.Published(apptest.Ref(j)))
		}
	}
	if got := h.Net.Refreshes.Load(); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
}

// TestRefresh_InterruptedRotationAsksOnceAndPostsWait: the platform rotated the refresh
// token but Herald never stored the new one (the process died, or the answer was lost).
// The next refresh is refused; the account asks to be reconnected once, the due post
// waits instead of failing, and publishes once after the reconnection (issue 11.4).
func TestRefresh_InterruptedRotationAsksOnceAndPostsWait(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		interrupt func(h *harness)
	}{
		{"the process died during the refresh", func(h *harness) {
			// What a dead refresher leaves: its intent and an expired lease, and the
			// platform on a refresh token Herald never stored.
			if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE social_accounts SET refresh_started_at = now() - interval '1 minute',
				refresh_lease_until = now() - interval '30 seconds' WHERE id = $1`, string(h.Account.ID)); err != nil {
				h.T.Fatal(err)
			}
			h.Net.Mu.Lock()
			h.Net.AccessToken, h.Net.RefreshToken = "at-lost", "rt-lost"
			h.Net.Mu.Unlock()
		}},
		{"the refresh's answer was lost", func(h *harness) {
			// The platform rotates, then the connection drops before the answer arrives.
			h.Net.Mu.Lock()
			h.Net.RefreshFn = func() error {
				h.Net.RefreshFn = nil
				h.Net.AccessToken, h.Net.RefreshToken = "at-lost", "rt-lost"
				return errNetwork
			}
			h.Net.Mu.Unlock()
			if _, err := h.Credentials.RenewExpiring(h.Ctx, time.Hour); domain.CodeOf(err) != domain.CodeInternal {
				h.T.Fatalf("the lost refresh: %v", err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, app.PublishingConfig{}, false)
			h.Endpoint("http://127.0.0.1:9/hooks", domain.EventAccountReauthRequired)
			_, j := h.Claim("due while the token is lost")
			_, k := h.Claim("another due on the same account")
			expireSoon(h)
			c.interrupt(h)

			var retry *app.Retry
			for _, job := range []app.TargetJob{j, k} {
				if err := h.Publishing.PublishTarget(h.Ctx, job); !errors.As(err, &retry) {
					t.Fatalf("PublishTarget = %v, want a retry (the post waits)", err)
				}
			}
			acct := accountNow(h)
			if acct.Status != domain.AccountReauthRequired || acct.TokenLostAt.IsZero() || !strings.Contains(acct.StatusReason, "interrupted") {
				t.Errorf("account %s (lost at %v): %q", acct.Status, acct.TokenLostAt, acct.StatusReason)
			}
			var events int
			if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM webhook_events WHERE company_id = $1 AND type = $2`,
				string(h.Owner.CompanyID), string(domain.EventAccountReauthRequired)).Scan(&events); err != nil {
				t.Fatal(err)
			}
			if events != 1 {
				t.Errorf("account.reauth_required events = %d, want 1 (asked once)", events)
			}
			for _, job := range []app.TargetJob{j, k} {
				p := h.Get(job.Post)
				tg := p.Targets[0]
				if p.Status() != domain.PostPublishing || tg.Final() || tg.AttemptOpen() || tg.Attempts() != 0 || !strings.Contains(tg.Reason(), "reconnected") {
					t.Errorf("waiting post %s: %s, target %s open=%v attempts=%d %q", job.Post, p.Status(), tg.Status(), tg.AttemptOpen(), tg.Attempts(), tg.Reason())
				}
			}
			// The person reconnects; the waiting posts publish, once each.
			h.Connect(h.Owner)
			for _, job := range []app.TargetJob{j, k} {
				if err := h.Publishing.PublishTarget(h.Ctx, job); err != nil {
					t.Fatal(err)
				}
				if p := h.Get(job.Post); p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(job)) != 1 {
					t.Errorf("after reconnecting, post %s is %s, published %d times", job.Post, p.Status(), h.Net.Published(apptest.Ref(job)))
				}
			}
			if acct := accountNow(h); acct.Status != domain.AccountActive || !acct.TokenLostAt.IsZero() {
				t.Errorf("reconnected account: %s, lost at %v", acct.Status, acct.TokenLostAt)
			}
		})
	}
}

func accountNow(h *harness) domain.Account {
	h.T.Helper()
	var a domain.Account
	if err := h.DB.Read(h.Ctx, func(tx ports.Tx) error {
		var err error
		a, err = tx.Accounts().Get(h.Ctx, h.Owner.CompanyID, h.Account.ID)
		return err
	}); err != nil {
		h.T.Fatal(err)
	}
	return a
}

// TestRescue_JobsOfAStoppedProcessResumeWithinSeconds: a process was killed while it ran
// three publish jobs; a fourth runs in a process that is alive. The restarted queue makes
// the dead process's jobs available again within seconds (River's own rescuer waits for
// minutes), they reconcile and publish exactly once, and the live process's job is left
// alone (issue 11.2).
func TestRescue_JobsOfAStoppedProcessResumeWithinSeconds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	// The state kill -9 leaves: attempts recorded and open, jobs running under a client
	// that no longer exists. The platform got the first post before the kill.
	running := func(content, owner string, platformGotIt bool) app.TargetJob {
		t.Helper()
		j := h.Crashed(t, content, platformGotIt)
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),
			attempted_by = ARRAY[$2::text] WHERE kind = 'publish_target' AND args->>'post_id' = $1`, string(j.Post), owner); err != nil {
			t.Fatal(err)
		}
		return j
	}
	dead := "herald-killed-host-0001"
	published := running("killed after the platform published", dead, true)
	unsent := running("killed before the platform call", dead, false)
	third := running("killed too", dead, false)
	// A live process holds its presence lock on a connection of its own.
	alive := "herald-alive-host-0002"
	conn, err := h.DB.SQL().Conn(h.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hash := fnv.New32a()
	hash.Write([]byte(alive))
	if _, err := conn.ExecContext(h.Ctx, `SELECT pg_advisory_lock($1, $2)`, int32(0x48524c44), int32(hash.Sum32())); err != nil {
		t.Fatal(err)
	}
	busy := running("running in a live process", alive, false)

	start := time.Now()
	if err := h.Queue.Start(h.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.Queue.Stop(ctx)
	})
	calls := h.Net.Calls.Load()
	apptest.WaitFor(t, "the stopped process's posts published", time.Minute, func() (bool, error) {
		for _, j := range []app.TargetJob{published, unsent, third} {
			if h.Get(j.Post).Status() != domain.PostPublished {
				return false, nil
			}
		}
		return true, nil
	})
	t.Logf("resumed %s after the restart", time.Since(start).Round(time.Millisecond))
	for _, j := range []app.TargetJob{published, unsent, third} {
		if got := h.Net.Published(apptest.Ref(j)); got != 1 {
			t.Errorf("post %s published %d times", j.Post, got)
		}
	}
	if got := h.Net.Calls.Load() - calls; got != 2 {
		t.Errorf("%d publish calls after the restart, want 2 (the first post was found by lookup)", got)
	}
	// Well past AbsentFor, the live process's job is still its own.
	time.Sleep(2 * time.Second)
	var state string
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT state FROM river_job WHERE kind = 'publish_target' AND args->>'post_id' = $1`,
		string(busy.Post)).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "running" || h.Net.Published(apptest.Ref(busy)) != 0 {
		t.Errorf("the live process's job is %s, published %d times", state, h.Net.Published(apptest.Ref(busy)))
	}
}
