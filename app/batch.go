package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// BatchConfig tunes the Batcher.
type BatchConfig struct {
	// Window is how long a batch waits for more posts after its first one; results are
	// gathered the same way.
	Window time.Duration
	// MaxPosts claims a batch at once when this many posts wait (results: twice as many).
	MaxPosts int
	// PerAccount is how many platform calls one account has in flight at most, in this
	// process.
	PerAccount int
}

// DefaultBatch is what production uses; BENCHMARKS.md says how it was chosen.
var DefaultBatch = BatchConfig{Window: 5 * time.Millisecond, MaxPosts: 500, PerAccount: 16}

// batchTxTimeout bounds one claim or result transaction of a batch.
const batchTxTimeout = time.Minute

// Batcher is the common case of the publishing path, for many posts at once. A publish
// job hands its post to Publish, which waits for the post's outcome; the batcher gathers
// the posts handed to it for a few milliseconds and then:
//  1. claims them in ONE transaction: locks the posts no other transaction holds (a held
//     one is retried by its job), checks version, status and the company as PublishPost
//     does, sets them publishing and records an attempt (the intent) on every target it
//     will call, each in one statement, and commits;
//  2. calls the platforms outside any transaction, concurrently, at most
//     BatchConfig.PerAccount calls per account, exactly as PublishTarget calls them
//     (credentials with single-flight refresh, the call timeout, one refresh and one more
//     call on an unauthenticated answer);
//  3. records the results of many targets in one transaction (targets, derived post
//     statuses, webhook events, first-comment jobs, notifications). Anything unusual (a
//     transient error, a publish that may have reached the platform, an account waiting
//     for a reconnect) is recorded as PublishTarget records it, and the target goes on
//     as a publish_target job at its retry time, so River keeps its retries.
//
// Every guarantee of the one-post path holds: intents commit before any call, a post's
// version fences stale jobs, and an attempt whose result was never recorded (the process
// died) is left open for the publish_target job that the retried publish job or the
// sweeper gives it, which reconciles through the platform instead of sending again.
// Several processes can run batchers on one database: the claim skips locked posts and
// each post's version is claimed once.
type Batcher struct {
	p   *Publishing
	cfg BatchConfig

	claims  chan *claim
	results chan *result
	closed  chan struct{} // closed by Stop: no more claims

	stopClaims, stopResults context.CancelFunc
	claimLoop, resultLoop   sync.WaitGroup
	work                    sync.WaitGroup // claim batches and platform calls
	recording               sync.WaitGroup // result batches

	mu    sync.Mutex
	slots map[domain.AccountID]chan struct{}
}

// claim is one post handed to the batcher, answered once on done.
type claim struct {
	ctx  context.Context
	key  ports.PostKey
	v    int
	done chan error

	post    domain.Post // claimed: status publishing, attempts open
	calls   []domain.AccountID
	mu      sync.Mutex
	pending int
	err     error
}

// result is one target's final result for a result batch, answered once on done.
type result struct {
	j      TargetJob
	change func(t *domain.Target) error
	done   chan error
}

// NewBatcher returns a batcher for p's publishing; zero fields of cfg take DefaultBatch's.
// Start it before handing it posts.
func (p *Publishing) NewBatcher(cfg BatchConfig) *Batcher {
	if cfg.Window <= 0 {
		cfg.Window = DefaultBatch.Window
	}
	if cfg.MaxPosts <= 0 {
		cfg.MaxPosts = DefaultBatch.MaxPosts
	}
	if cfg.PerAccount <= 0 {
		cfg.PerAccount = DefaultBatch.PerAccount
	}
	return &Batcher{p: p, cfg: cfg, claims: make(chan *claim), results: make(chan *result), closed: make(chan struct{}),
		slots: map[domain.AccountID]chan struct{}{}}
}

// Start starts gathering batches.
func (b *Batcher) Start() {
	b.closed = make(chan struct{})
	var cctx, rctx context.Context
	cctx, b.stopClaims = context.WithCancel(context.Background())
	rctx, b.stopResults = context.WithCancel(context.Background())
	b.claimLoop.Add(1)
	go func() {
		defer b.claimLoop.Done()
		gather(cctx, b.claims, b.cfg.Window, b.cfg.MaxPosts, &b.work, b.claimBatch)
	}()
	b.resultLoop.Add(1)
	go func() {
		defer b.resultLoop.Done()
		gather(rctx, b.results, b.cfg.Window, 2*b.cfg.MaxPosts, &b.recording, b.record)
	}()
}

// Stop takes no more posts, lets the batches under way finish (their calls end with
// their jobs' contexts) and records their results. It returns ctx's error when ctx ends
// first; the batches then finish in the background.
func (b *Batcher) Stop(ctx context.Context) error {
	if b.stopClaims == nil {
		return nil
	}
	close(b.closed)
	stopClaims := b.stopClaims
	b.stopClaims = nil
	done := make(chan struct{})
	go func() {
		stopClaims()
		b.claimLoop.Wait()
		b.work.Wait() // calls send their results to the result loop, still running
		b.stopResults()
		b.resultLoop.Wait()
		b.recording.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish publishes version v of the post through the next batch and returns when every
// target it called has its result recorded or its publish_target job. It returns nil when
// the post is done with (published, failed, handed on, or the job stale), *Retry when
// another transaction held the post (run the job again after After), and any other error
// for a fault (the job is retried, and its retry hands any target left open to a
// publish_target job that reconciles it).
func (b *Batcher) Publish(ctx context.Context, company domain.CompanyID, id domain.PostID, v int) error {
	c := &claim{ctx: ctx, key: ports.PostKey{Company: company, Post: id}, v: v, done: make(chan error, 1)}
	select {
	case b.claims <- c:
	case <-b.closed:
		return errors.New("app: the batcher is stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Always answered: the platform calls end with ctx, and the batch's own transactions
	// are bounded by batchTxTimeout.
	return <-c.done
}

// batchesInFlight is how many claim (or result) transactions of one batcher run at once.
// While they run, the next batch keeps gathering (group commit): under load batches grow
// by themselves, and an idle system waits only the window.
const batchesInFlight = 2

// gather collects items from in into batches and runs flush on each in a goroutine of its
// own counted by work. A batch closes at max items, or once window has passed since its
// first item and fewer than batchesInFlight flushes are running. It returns when ctx
// ends, after flushing the batch it was filling.
func gather[T any](ctx context.Context, in <-chan T, window time.Duration, max int, work *sync.WaitGroup, flush func([]T)) {
	slots := make(chan struct{}, batchesInFlight)
	for {
		var batch []T
		select {
		case x := <-in:
			batch = append(batch, x)
		case <-ctx.Done():
			return
		}
		timer := time.NewTimer(window)
		expired, slot := false, false
	fill:
		for len(batch) < max {
			if !expired {
				select {
				case x := <-in:
					batch = append(batch, x)
				case <-timer.C:
					expired = true
				}
				continue
			}
			select {
			case x := <-in:
				batch = append(batch, x)
			case slots <- struct{}{}:
				slot = true
				break fill
			}
		}
		timer.Stop()
		if !slot {
			slots <- struct{}{}
		}
		work.Add(1)
		go func() {
			defer work.Done()
			defer func() { <-slots }()
			flush(batch)
		}()
	}
}

// claimBatch claims a batch of posts in one transaction and starts their platform calls.
func (b *Batcher) claimBatch(cs []*claim) {
	byKey := make(map[ports.PostKey]*claim, len(cs))
	keys := make([]ports.PostKey, 0, len(cs))
	for _, c := range cs {
		switch {
		case c.ctx.Err() != nil:
			c.done <- c.ctx.Err()
		case byKey[c.key] != nil:
			// Two jobs of one post in one batch (a rescued job beside its original):
			// the second looks again once the first is done.
			c.done <- &Retry{After: time.Second, Reason: "the post is being claimed"}
		default:
			byKey[c.key] = c
			keys = append(keys, c.key)
		}
	}
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTxTimeout)
	defer cancel()
	var claimed []*claim
	answered := map[*claim]error{}
	err := b.p.store.InTx(ctx, func(tx ports.Tx) error {
		claimed, answered = claimed[:0], map[*claim]error{}
		posts, busy, err := tx.Posts().LockMany(ctx, keys, true)
		if err != nil {
			return err
		}
		for _, k := range busy {
			answered[byKey[k]] = &Retry{After: time.Second, Reason: "another transaction holds the post"}
		}
		var companyIDs []domain.CompanyID
		seen := map[domain.CompanyID]bool{}
		for _, post := range posts {
			if !seen[post.CompanyID] {
				seen[post.CompanyID] = true
				companyIDs = append(companyIDs, post.CompanyID)
			}
		}
		companies, err := tx.Companies().GetMany(ctx, companyIDs)
		if err != nil {
			return err
		}
		now := b.p.now()
		var intents []ports.PostTarget
		var started []domain.Post
		for _, post := range posts {
			c := byKey[ports.PostKey{Company: post.CompanyID, Post: post.ID}]
			answered[c] = nil
			if !post.StartPublishing(c.v, now) {
				if post.Status() == domain.PostPublishing && post.Version() == c.v {
					// This job ran before and stopped after the claim (its process died, or
					// it failed): whatever is unfinished goes on as publish_target jobs,
					// which reconcile open attempts. Existing jobs are not duplicated.
					if err := tx.Jobs().PublishTargets(ctx, post.CompanyID, post.ID, c.v, unfinished(post)); err != nil {
						return err
					}
				}
				continue // edited, rescheduled, unscheduled or claimed: this job is stale
			}
			if co, ok := companies[post.CompanyID]; !ok || co.Status.Suspended() {
				post.FailAll("This company is suspended, so Herald did not publish the post.", now)
				if err := tx.Posts().Update(ctx, &post); err != nil {
					return err
				}
				if err := emitPost(ctx, tx, post, now); err != nil {
					return err
				}
				if err := b.p.notify.postSettled(ctx, tx, post); err != nil {
					return err
				}
				continue
			}
			var reconcile []domain.AccountID
			c.calls = c.calls[:0]
			for i := range post.Targets {
				t := &post.Targets[i]
				switch {
				case t.Final():
				case t.AttemptOpen():
					reconcile = append(reconcile, t.AccountID)
				default:
					if err := t.StartAttempt(); err != nil {
						return err
					}
					intents = append(intents, ports.PostTarget{Company: post.CompanyID, Post: post.ID, Target: *t})
					c.calls = append(c.calls, t.AccountID)
				}
			}
			if len(reconcile) > 0 {
				if err := tx.Jobs().PublishTargets(ctx, post.CompanyID, post.ID, c.v, reconcile); err != nil {
					return err
				}
			}
			if post.Settle(now) { // nothing left to publish
				if err := settlePosts(ctx, tx, b.p, []domain.Post{post}, now); err != nil {
					return err
				}
				continue
			}
			started = append(started, post)
			if len(c.calls) > 0 {
				c.post = post
				claimed = append(claimed, c)
			}
		}
		if err := tx.Posts().SaveTargets(ctx, intents); err != nil {
			return err
		}
		return tx.Posts().SetStatuses(ctx, started)
	})
	if err != nil {
		for _, k := range keys {
			byKey[k].done <- err
		}
		return
	}
	calling := make(map[*claim]bool, len(claimed))
	for _, c := range claimed {
		calling[c] = true
	}
	for _, k := range keys {
		c := byKey[k]
		if calling[c] {
			continue
		}
		c.done <- answered[c] // nil for a post that no longer exists
	}
	for _, c := range claimed {
		c.pending = len(c.calls)
		b.work.Add(len(c.calls))
		for _, account := range c.calls {
			go b.call(c, account)
		}
	}
}

// unfinished returns the accounts of the post's targets that are not final.
func unfinished(post domain.Post) []domain.AccountID {
	var out []domain.AccountID
	for _, t := range post.Targets {
		if !t.Final() {
			out = append(out, t.AccountID)
		}
	}
	return out
}

// call publishes one claimed target, its attempt recorded by the claim, and tells the
// claim when its result is recorded.
func (b *Batcher) call(c *claim, account domain.AccountID) {
	defer b.work.Done()
	j := TargetJob{Company: c.post.CompanyID, Post: c.post.ID, Account: account, Version: c.v}
	err := b.publish(c.ctx, c.post, j)
	var retry *Retry
	if errors.As(err, &retry) {
		// The attempt is recorded as PublishTarget records it; its retry is a job of its own.
		wctx := context.WithoutCancel(c.ctx)
		err = b.p.store.InTx(wctx, func(tx ports.Tx) error {
			return tx.Jobs().PublishTargetAt(wctx, j.Company, j.Post, j.Version, j.Account, b.p.now().Add(retry.After))
		})
	}
	c.mu.Lock()
	if err != nil && c.err == nil {
		c.err = err
	}
	c.pending--
	last := c.pending == 0
	c.mu.Unlock()
	if last {
		c.done <- c.err
	}
}

// publish waits for a place among the account's calls, then calls the platform.
func (b *Batcher) publish(ctx context.Context, post domain.Post, j TargetJob) error {
	b.mu.Lock()
	slot, ok := b.slots[j.Account]
	if !ok {
		slot = make(chan struct{}, b.cfg.PerAccount)
		b.slots[j.Account] = slot
	}
	b.mu.Unlock()
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		// The platform was not called: take the attempt back into the retry schedule.
		return b.p.retryLater(context.WithoutCancel(ctx), j, domain.Errorf(domain.CodeUnavailable, "Herald stopped before calling the platform."), true)
	}
	// The place is the platform call's: it is given back once the platform has answered,
	// before the result waits for its batch to be recorded.
	release := sync.OnceFunc(func() { <-slot })
	defer release()
	return b.p.attempt(ctx, j, post, stepPublish, func(ctx context.Context, j TargetJob, change func(t *domain.Target) error) error {
		release()
		return b.finish(ctx, j, change)
	})
}

// finish hands a target's final result to the next result batch and waits until it is
// recorded. The result is recorded even when ctx ends meanwhile: the platform answered.
func (b *Batcher) finish(_ context.Context, j TargetJob, change func(t *domain.Target) error) error {
	r := &result{j: j, change: change, done: make(chan error, 1)}
	b.results <- r // the result loop runs until every call has ended (Stop)
	return <-r.done
}

// record writes a batch of final results in one transaction, as Publishing.finish writes
// one: each target changed under its post's lock, then the posts settled.
func (b *Batcher) record(rs []*result) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTxTimeout)
	defer cancel()
	outcomes := make([]error, len(rs))
	err := b.p.store.InTx(ctx, func(tx ports.Tx) error {
		clear(outcomes)
		seen := map[ports.PostKey]bool{}
		var keys []ports.PostKey
		for _, r := range rs {
			k := ports.PostKey{Company: r.j.Company, Post: r.j.Post}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		posts, _, err := tx.Posts().LockMany(ctx, keys, false)
		if err != nil {
			return err
		}
		byKey := make(map[ports.PostKey]*domain.Post, len(posts))
		for i := range posts {
			byKey[ports.PostKey{Company: posts[i].CompanyID, Post: posts[i].ID}] = &posts[i]
		}
		var saves []ports.PostTarget
		var touched []*domain.Post
		changed := map[*domain.Post][]domain.AccountID{}
		for i, r := range rs {
			post := byKey[ports.PostKey{Company: r.j.Company, Post: r.j.Post}]
			if post == nil {
				continue // deleted meanwhile
			}
			t, ok := post.Target(r.j.Account)
			if !ok || t.Final() {
				continue
			}
			if err := r.change(t); err != nil {
				outcomes[i] = err
				continue
			}
			saves = append(saves, ports.PostTarget{Company: post.CompanyID, Post: post.ID, Target: *t})
			if changed[post] == nil {
				touched = append(touched, post)
			}
			changed[post] = append(changed[post], t.AccountID)
		}
		if err := tx.Posts().SaveTargets(ctx, saves); err != nil {
			return err
		}
		now := b.p.now()
		var done []domain.Post
		for _, post := range touched {
			for _, a := range changed[post] {
				t, _ := post.Target(a)
				if err := enqueueComment(ctx, tx, *post, *t, 0); err != nil {
					return err
				}
				if err := b.p.notify.targetUnknown(ctx, tx, *post, *t); err != nil {
					return err
				}
			}
			if post.Settle(now) {
				done = append(done, *post)
			}
		}
		return settlePosts(ctx, tx, b.p, done, now)
	})
	for i, r := range rs {
		if err != nil {
			r.done <- err
		} else {
			r.done <- outcomes[i]
		}
	}
}

// settlePosts writes the derived statuses of posts that just finished, with their webhook
// events and notifications, on tx: what Publishing.save does for one post.
func settlePosts(ctx context.Context, tx ports.Tx, p *Publishing, posts []domain.Post, now time.Time) error {
	if len(posts) == 0 {
		return nil
	}
	if err := tx.Posts().SetStatuses(ctx, posts); err != nil {
		return err
	}
	if err := emitPosts(ctx, tx, posts, now); err != nil {
		return err
	}
	for _, post := range posts {
		if err := p.notify.postSettled(ctx, tx, post); err != nil {
			return err
		}
	}
	return nil
}

// emitPosts is emitPost for many posts: one query per event type finds the subscribed
// endpoints of all their companies.
func emitPosts(ctx context.Context, tx ports.Tx, posts []domain.Post, now time.Time) error {
	byType := map[domain.EventType][]domain.Post{}
	var types []domain.EventType
	for _, p := range posts {
		t, ok := domain.PostEventType(p.Status())
		if !ok {
			continue
		}
		if byType[t] == nil {
			types = append(types, t)
		}
		byType[t] = append(byType[t], p)
	}
	for _, t := range types {
		ps := byType[t]
		var companies []domain.CompanyID
		seen := map[domain.CompanyID]bool{}
		for _, p := range ps {
			if !seen[p.CompanyID] {
				seen[p.CompanyID] = true
				companies = append(companies, p.CompanyID)
			}
		}
		subscribed, err := tx.Webhooks().SubscribedMany(ctx, companies, t)
		if err != nil {
			return err
		}
		for _, p := range ps {
			endpoints := subscribed[p.CompanyID]
			if len(endpoints) == 0 {
				continue
			}
			ev := domain.WebhookEvent{CompanyID: p.CompanyID, Type: t, At: now.UTC(), Data: postEventData(p)}
			if _, err := addEvent(ctx, tx, ev, endpoints); err != nil {
				return err
			}
		}
	}
	return nil
}
