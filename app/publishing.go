package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// PublishingConfig tunes retries of publishing.
type PublishingConfig struct {
	MaxAttempts int           // attempts per target before it fails (transient errors)
	Backoff     time.Duration // wait after the first transient failure; doubles each time
	MaxBackoff  time.Duration
	CallTimeout time.Duration // one call to a platform
}

// DefaultPublishing is what production uses: 6 attempts over about 16 minutes.
var DefaultPublishing = PublishingConfig{MaxAttempts: 6, Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute, CallTimeout: 60 * time.Second}

// Publishing holds the background use cases that take a scheduled post to the platforms,
// run by the queue's workers. They are safe to run more than once for the same job
// (River runs jobs at least once): the post's version fences stale jobs, and each target
// records its attempt before calling the platform, so a crash never makes a second post.
type Publishing struct {
	store     ports.Store
	creds     *Credentials
	platforms *Platforms
	media     *Media         // the library files' bytes and addresses
	notify    *Notifications // tells people of failed posts and unknown outcomes; nil: nobody
	cfg       PublishingConfig
	now       func() time.Time
	log       *slog.Logger
}

// NewPublishing returns the publishing use cases, calling platforms with fresh tokens from
// creds.
func NewPublishing(store ports.Store, creds *Credentials, platforms *Platforms, cfg PublishingConfig, now func() time.Time, log *slog.Logger) *Publishing {
	return &Publishing{store: store, creds: creds, platforms: platforms, cfg: cfg, now: now, log: log}
}

// Retry asks the queue to run the job again after After. It is an error so a worker that
// does not know it fails safe.
type Retry struct {
	After  time.Duration
	Reason string
}

func (r *Retry) Error() string { return fmt.Sprintf("retry in %s: %s", r.After, r.Reason) }

// PublishPost claims version v of the post and fans it out: one publish-target job per
// target, inserted in the same transaction. A stale version does nothing; a suspended
// company's post fails with a reason saying so.
func (p *Publishing) PublishPost(ctx context.Context, company domain.CompanyID, id domain.PostID, v int) error {
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, company, id)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil // deleted since it was scheduled
		}
		if err != nil {
			return err
		}
		now := p.now()
		if !post.StartPublishing(v, now) {
			return nil // edited, rescheduled, unscheduled or already claimed: this job is stale
		}
		c, err := tx.Companies().Get(ctx, company)
		if err != nil {
			return err
		}
		if c.Status.Suspended() {
			post.FailAll("This company is suspended, so Herald did not publish the post.", now)
			if err := tx.Posts().Update(ctx, &post); err != nil {
				return err
			}
			if err := emitPost(ctx, tx, post, now); err != nil {
				return err
			}
			return p.notify.postSettled(ctx, tx, post)
		}
		var accounts []domain.AccountID
		for _, t := range post.Targets {
			if !t.Final() {
				accounts = append(accounts, t.AccountID)
			}
		}
		if err := tx.Posts().SetStatus(ctx, post); err != nil {
			return err
		}
		return tx.Jobs().PublishTargets(ctx, company, id, v, accounts)
	})
}

// Sweep gives every post that should have moved on a job that will move it: a scheduled
// post overdue by grace gets its publish job again, a post publishing without a change for
// quiet gets a publish job again for each unfinished target. River's unique jobs make this
// safe: a job that still exists (waiting, snoozed, running, or finished within a day) is
// not inserted twice, so only jobs River gave up on or lost are replaced. A post still
// publishing although every target is final is settled here, with its event. It returns
// how many posts it looked at.
func (p *Publishing) Sweep(ctx context.Context, grace, quiet time.Duration) (int, error) {
	now := p.now()
	var stalled []domain.Post
	var settled []domain.Post // publishing, though every target is final
	err := p.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if stalled, err = tx.Posts().Stalled(ctx, now.Add(-grace), now.Add(-quiet), 500); err != nil {
			return err
		}
		settled = settled[:0]
		for _, post := range stalled {
			if post.Settle(now) { // post is a copy: settled again below, under the post's lock
				settled = append(settled, post)
				continue
			}
			if post.Status() == domain.PostScheduled {
				if err := tx.Jobs().PublishPost(ctx, post.CompanyID, post.ID, post.Version(), post.ScheduledFor()); err != nil {
					return err
				}
				continue
			}
			var accounts []domain.AccountID
			for _, t := range post.Targets {
				if !t.Final() {
					accounts = append(accounts, t.AccountID)
				}
			}
			if err := tx.Jobs().PublishTargets(ctx, post.CompanyID, post.ID, post.Version(), accounts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return len(stalled), err
	}
	for _, post := range settled {
		if err := p.settle(ctx, post.CompanyID, post.ID); err != nil {
			return len(stalled), err
		}
	}
	return len(stalled), nil
}

// settle gives a publishing post whose targets are all final the status they derive, and
// emits its event: the repair of a post left publishing although nothing is left to do.
func (p *Publishing) settle(ctx context.Context, company domain.CompanyID, id domain.PostID) error {
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, company, id)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		now := p.now()
		if !post.Settle(now) {
			return nil
		}
		p.log.WarnContext(ctx, "settled a post left publishing although every target was final", "post", id, "status", post.Status())
		if err := tx.Posts().SetStatus(ctx, post); err != nil {
			return err
		}
		if err := emitPost(ctx, tx, post, now); err != nil {
			return err
		}
		return p.notify.postSettled(ctx, tx, post)
	})
}

// TargetJob names one target of one post version.
type TargetJob struct {
	Company domain.CompanyID
	Post    domain.PostID
	Account domain.AccountID
	Version int
}

func (j TargetJob) reference() string { return string(j.Post) + "/" + string(j.Account) }

// step is what PublishTarget does after looking at a target.
type step int

const (
	stepDone      step = iota // stale, final or settled: nothing to do
	stepPublish               // an attempt was recorded: call the platform
	stepReconcile             // an earlier attempt has no result: ask the platform first
)

// PublishTarget publishes one target of the post. It returns nil when the target is
// finished (or the job stale), *Retry when it should run again later, and any other error
// for a fault of Herald's own (the queue retries those too).
func (p *Publishing) PublishTarget(ctx context.Context, j TargetJob) error {
	next, post, err := p.begin(ctx, j)
	if err != nil || next == stepDone {
		return err
	}
	return p.attempt(ctx, j, post, next, p.finish)
}

// finishFunc records the result of a target's open attempt with change, and settles the
// post: at once in a transaction of its own (Publishing.finish), or with other targets'
// results in one transaction (the Batcher's).
type finishFunc func(ctx context.Context, j TargetJob, change func(t *domain.Target) error) error

// attempt is PublishTarget once begin has looked at the target: it reconciles an open
// attempt (next is stepReconcile) or calls the platform for the attempt just recorded
// (stepPublish), and records what happened. Final results go through finish; transient
// ones are recorded at once and come back as *Retry.
func (p *Publishing) attempt(ctx context.Context, j TargetJob, post domain.Post, next step, finish finishFunc) error {
	t, _ := post.Target(j.Account)
	library, err := p.media.forTarget(ctx, post, *t)
	if err != nil {
		return p.failed(ctx, j, err, next == stepReconcile, finish) // no call made yet
	}
	pub := ports.Publication{Reference: j.reference(), Text: post.TextFor(*t), Media: append(library, urlMedia(post.MediaURLs)...)}
	impl, ok := p.platforms.Get(t.Platform)
	if !ok {
		return finish(ctx, j, func(t *domain.Target) error {
			return t.Fail(t.Platform.Title() + " is not configured on this Herald any more.")
		})
	}
	acct, creds, err := p.creds.credentials(ctx, j.Company, j.Account, "")
	if err != nil {
		return p.failed(ctx, j, err, next == stepReconcile, finish) // no call made yet; an older open attempt stays open
	}
	if acct.WaitsForReconnect(p.now()) {
		return p.waitForReconnect(ctx, j, acct, next == stepPublish)
	}
	if acct.Status != domain.AccountActive {
		return finish(ctx, j, func(t *domain.Target) error { return failNotActive(t, acct) })
	}
	if next == stepReconcile {
		cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		found, ok, err := impl.Lookup(cctx, creds, acct, pub)
		cancel()
		switch {
		case errors.Is(err, ports.ErrLookupUnsupported):
			return finish(ctx, j, func(t *domain.Target) error {
				return t.MarkUnknown(fmt.Sprintf("An attempt to publish on %s was interrupted and %s cannot tell whether the post exists. Check the account, then mark it or try again.",
					acct.Platform.Title(), acct.Platform.Title()))
			})
		case err != nil:
			return p.retryLater(ctx, j, err, false)
		case ok:
			return finish(ctx, j, func(t *domain.Target) error { return t.Succeed(found.ExternalID, found.URL, orNow(found.At, p.now())) })
		}
		// The platform has no such post: the interrupted attempt never reached it.
		if next, err = p.reopen(ctx, j); err != nil || next == stepDone {
			return err
		}
	}
	published, err := p.call(ctx, impl, creds, acct, pub)
	if domain.CodeOf(err) == domain.CodeUnauthenticated {
		// One refresh, then try once more; a refused refresh marks the account.
		acct, creds, err = p.creds.credentials(ctx, j.Company, j.Account, creds.AccessToken)
		if err == nil && acct.Status == domain.AccountActive {
			published, err = p.call(ctx, impl, creds, acct, pub)
		}
		if acct.WaitsForReconnect(p.now()) && (err == nil || domain.CodeOf(err) == domain.CodeUnauthenticated) {
			return p.waitForReconnect(ctx, j, acct, true) // the platform refused the token: nothing was published
		}
		if err == nil && acct.Status != domain.AccountActive {
			return finish(ctx, j, func(t *domain.Target) error { return failNotActive(t, acct) })
		}
		if domain.CodeOf(err) == domain.CodeUnauthenticated {
			if markErr := p.requireReauth(ctx, acct, err); markErr != nil {
				return markErr
			}
		}
	}
	if err != nil {
		return p.failed(ctx, j, err, false, finish)
	}
	p.creds.recordSuccess(ctx, acct, p.now())
	return finish(ctx, j, func(t *domain.Target) error {
		return t.Succeed(published.ExternalID, published.URL, orNow(published.At, p.now()))
	})
}

// reconnectPoll is how often a target waiting for its account to be reconnected looks.
const reconnectPoll = time.Minute

// waitForReconnect keeps a target whose account lost its token to an interrupted refresh
// waiting for the account to be reconnected, instead of failing it: the attempt just
// recorded (taken back, when taken is true: the platform was not reached or refused the
// token) does not count. An attempt left open by an earlier run stays open, so the run
// after the reconnection asks the platform first.
func (p *Publishing) waitForReconnect(ctx context.Context, j TargetJob, acct domain.Account, taken bool) error {
	until := acct.TokenLostAt.Add(domain.TokenLostWait)
	reason := fmt.Sprintf("Waiting for the %s account %s to be reconnected: Herald lost its access during an interrupted token renewal. It publishes once the account is reconnected (until %s UTC).",
		acct.Platform.Title(), acct.DisplayName, until.UTC().Format("2006-01-02 15:04"))
	if taken {
		err := p.store.InTx(ctx, func(tx ports.Tx) error {
			post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
			if err != nil {
				return err
			}
			t, ok := post.Target(j.Account)
			if !ok || t.Final() || !t.AttemptOpen() {
				return nil
			}
			if err := t.Wait(reason); err != nil {
				return err
			}
			return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
		})
		if err != nil {
			return err
		}
	}
	return &Retry{After: min(reconnectPoll, max(time.Second, until.Sub(p.now()))), Reason: reason}
}

func (p *Publishing) call(ctx context.Context, impl ports.Platform, creds domain.Credentials, acct domain.Account, pub ports.Publication) (ports.Published, error) {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	return impl.Publish(cctx, creds, acct, pub)
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func failNotActive(t *domain.Target, a domain.Account) error {
	reason := a.StatusReason
	if reason == "" {
		reason = fmt.Sprintf("The %s account %s is %s.", a.Platform.Title(), a.DisplayName, a.Status)
	}
	return t.Fail(reason)
}

// begin looks at the target under the post's lock and records an attempt when one is due.
func (p *Publishing) begin(ctx context.Context, j TargetJob) (step, domain.Post, error) {
	next := stepDone
	var post domain.Post
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		post, err = tx.Posts().Lock(ctx, j.Company, j.Post)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || post.Status() != domain.PostPublishing || post.Version() != j.Version || t.Final() {
			return nil
		}
		// The claim checked the company; a retry, maybe hours later, checks again.
		if t.Attempts() > 0 {
			c, err := tx.Companies().Get(ctx, j.Company)
			if err != nil {
				return err
			}
			if c.Status.Suspended() {
				if err := t.Fail("This company is suspended, so Herald did not publish the post."); err != nil {
					return err
				}
				return p.save(ctx, tx, &post, *t)
			}
		}
		if t.AttemptOpen() {
			next = stepReconcile
			return nil
		}
		if err := t.StartAttempt(); err != nil {
			return err
		}
		next = stepPublish
		return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
	})
	return next, post, err
}

// reopen closes an open attempt that the platform says never arrived and records a new one.
func (p *Publishing) reopen(ctx context.Context, j TargetJob) (step, error) {
	next := stepDone
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || post.Version() != j.Version || !t.AttemptOpen() {
			return nil
		}
		if err := t.Retry("An interrupted attempt did not reach the platform; trying again."); err != nil {
			return err
		}
		if err := t.StartAttempt(); err != nil {
			return err
		}
		next = stepPublish
		return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
	})
	return next, err
}

// finish records the result of the open attempt with change, and settles the post.
func (p *Publishing) finish(ctx context.Context, j TargetJob, change func(t *domain.Target) error) error {
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || t.Final() {
			return nil
		}
		if err := change(t); err != nil {
			return err
		}
		return p.save(ctx, tx, &post, *t)
	})
}

// save writes the target and, when every target is final, the post's derived status.
func (p *Publishing) save(ctx context.Context, tx ports.Tx, post *domain.Post, t domain.Target) error {
	if err := tx.Posts().SaveTarget(ctx, post.CompanyID, post.ID, t); err != nil {
		return err
	}
	if err := enqueueComment(ctx, tx, *post, t, 0); err != nil {
		return err
	}
	if err := p.notify.targetUnknown(ctx, tx, *post, t); err != nil {
		return err
	}
	if post.Settle(p.now()) {
		if err := tx.Posts().SetStatus(ctx, *post); err != nil {
			return err
		}
		if err := emitPost(ctx, tx, *post, p.now()); err != nil {
			return err
		}
		return p.notify.postSettled(ctx, tx, *post)
	}
	return nil
}

// failed records an error: permanent ones fail the target, transient ones are retried
// with backoff (and the platform's Retry-After) until attempts run out. An error wrapping
// domain.ErrMaybePublished (the platform may have the post), or any error while an earlier
// attempt is still open (keepOpen), leaves the attempt open, so the retry asks the platform
// before it sends again.
func (p *Publishing) failed(ctx context.Context, j TargetJob, err error, keepOpen bool, finish finishFunc) error {
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the attempt stays open, the next run reconciles
	}
	if retry, closed := retryable(err, keepOpen); retry {
		return p.retryLater(ctx, j, err, closed)
	}
	return finish(ctx, j, func(t *domain.Target) error { return t.Fail(domain.MessageOf(err)) })
}

// retryable says whether a failed attempt (a post's or a comment's) is tried again, and
// whether its attempt is closed first: a maybe-published one stays open (the retry looks
// it up), and so does any attempt whose earlier one is still open (keepOpen). Every other
// error is permanent.
func retryable(err error, keepOpen bool) (retry, closed bool) {
	if errors.Is(err, domain.ErrMaybePublished) {
		return true, false
	}
	switch domain.CodeOf(err) {
	case domain.CodeRateLimited, domain.CodeUnavailable, domain.CodeInternal:
		return true, !keepOpen
	}
	return false, false
}

// retryLater closes the open attempt when the platform surely did not publish (closed),
// and asks for another run after the backoff; out of attempts, the target fails.
func (p *Publishing) retryLater(ctx context.Context, j TargetJob, cause error, closed bool) error {
	reason := domain.MessageOf(cause)
	if domain.CodeOf(cause) == domain.CodeInternal {
		reason = "Herald could not reach the platform."
	}
	if domain.CodeOf(cause) == domain.CodeInternal || !closed {
		p.log.WarnContext(ctx, "publish attempt ended without a result", "post", j.Post, "account", j.Account, "maybe_published", !closed, "err", cause)
	}
	var attempts int
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || t.Final() {
			attempts = -1
			return nil
		}
		attempts = t.Attempts()
		if attempts >= p.cfg.MaxAttempts {
			var err error
			if !closed && t.AttemptOpen() {
				err = t.MarkUnknown(fmt.Sprintf("Gave up after %d attempts; the last one may or may not have reached the platform: %s", attempts, reason))
			} else {
				err = t.Fail(fmt.Sprintf("Gave up after %d attempts: %s", attempts, reason))
			}
			if err != nil {
				return err
			}
			return p.save(ctx, tx, &post, *t)
		}
		if closed {
			if err := t.Retry(reason); err != nil {
				return err
			}
			return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
		}
		return nil
	})
	if err != nil || attempts < 0 || attempts >= p.cfg.MaxAttempts {
		return err
	}
	wait := p.backoff(attempts)
	var de *domain.Error
	if errors.As(cause, &de) && de.RetryAfter > wait {
		wait = de.RetryAfter
	}
	return &Retry{After: wait, Reason: reason}
}

// backoff is the wait after the n-th failed attempt: exponential with 20% jitter.
func (p *Publishing) backoff(n int) time.Duration {
	d := p.cfg.Backoff << max(0, n-1)
	if d > p.cfg.MaxBackoff || d <= 0 {
		d = p.cfg.MaxBackoff
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// requireReauth records that the account's token was refused even after a refresh.
func (p *Publishing) requireReauth(ctx context.Context, a domain.Account, cause error) error {
	reason := fmt.Sprintf("%s refused Herald's access to %s (%s). Reconnect the account.", a.Platform.Title(), a.DisplayName, domain.MessageOf(cause))
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		cur, err := tx.Accounts().Get(ctx, a.CompanyID, a.ID)
		if err != nil {
			return err
		}
		if cur.Status == domain.AccountDisconnected {
			return nil // disconnected meanwhile: that says more than reauth_required
		}
		if err := tx.Accounts().SetStatus(ctx, a.CompanyID, a.ID, domain.AccountReauthRequired, reason); err != nil {
			return err
		}
		if cur.Status == domain.AccountReauthRequired {
			return nil // already told
		}
		cur.Status, cur.StatusReason = domain.AccountReauthRequired, reason
		if err := emitAccount(ctx, tx, cur, domain.EventAccountReauthRequired, p.now()); err != nil {
			return err
		}
		return p.notify.accountReconnect(ctx, tx, cur, p.now())
	})
}
