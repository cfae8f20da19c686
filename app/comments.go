package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// First comments. A target's first comment is sent by its own job, enqueued in the
// transaction that records the target's post as published (see save), with the same
// guarantees as the post: the attempt is recorded and committed before the platform is
// called; an attempt found open (a lost answer, a crash) is looked up on the platform,
// never sent blindly again; transient errors are retried with backoff (and Retry-After)
// up to PublishingConfig.MaxAttempts; the parent post's id fences stale jobs. A comment's
// failure never changes its target: the post is out.

// CommentJob names the first comment of one target, to publish under the post Parent (the
// target's external id when the job was enqueued). Parent fences the job: once the target
// is published again (a retry, a reschedule) under another id, an older job does nothing,
// while a retry of another target (which changes the post's version) leaves it going.
// Version is the post's version then, which only tells jobs apart.
type CommentJob struct {
	Company domain.CompanyID
	Post    domain.PostID
	Account domain.AccountID
	Version int
	Parent  string
}

// current reports whether t is still the target the job is about.
func (j CommentJob) current(t *domain.Target) bool {
	return j.Parent != "" && t.ExternalID() == j.Parent
}

func (j CommentJob) reference() string { return string(j.Post) + "/" + string(j.Account) }

// PublishComment sends the first comment of the job's target. It returns nil when the
// comment is finished (or the job stale, or the comment not due), *Retry when it should
// run again later, and any other error for a fault of Herald's own.
func (p *Publishing) PublishComment(ctx context.Context, j CommentJob) error {
	next, post, err := p.beginComment(ctx, j)
	if err != nil || next == stepDone {
		return err
	}
	t, _ := post.Target(j.Account)
	c := ports.Comment{Reference: j.reference(), Parent: t.ExternalID(), Text: post.CommentFor(*t)}
	impl, ok := p.platforms.Get(t.Platform)
	commenter, takes := impl.(ports.Commenter)
	if !ok || !takes {
		return p.finishComment(ctx, j, func(t *domain.Target) error {
			return t.CommentFail(fmt.Sprintf("%s does not take first comments from this Herald.", t.Platform.Title()))
		})
	}
	acct, creds, err := p.creds.credentials(ctx, j.Company, j.Account, "")
	if err != nil {
		return p.commentFailed(ctx, j, err, next == stepReconcile) // no call made yet
	}
	if acct.Status != domain.AccountActive || acct.WaitsForReconnect(p.now()) {
		if acct.WaitsForReconnect(p.now()) || next == stepReconcile {
			// Nothing is sent; an open attempt stays open for the run after the reconnection.
			return p.commentRetryLater(ctx, j, domain.Errorf(domain.CodeUnavailable, "The %s account %s waits to be reconnected.",
				acct.Platform.Title(), acct.DisplayName), next == stepPublish)
		}
		return p.finishComment(ctx, j, func(t *domain.Target) error { return t.CommentFail(notActiveReason(acct)) })
	}
	if next == stepReconcile {
		cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		found, ok, err := commenter.LookupComment(cctx, creds, acct, c)
		cancel()
		switch {
		case errors.Is(err, ports.ErrLookupUnsupported):
			return p.finishComment(ctx, j, func(t *domain.Target) error {
				return t.CommentUnknown(fmt.Sprintf("An attempt to send the first comment on %s was interrupted and %s cannot tell whether it exists. Check the post, then mark it or send it again.",
					acct.Platform.Title(), acct.Platform.Title()))
			})
		case err != nil:
			return p.commentRetryLater(ctx, j, err, false)
		case ok:
			return p.finishComment(ctx, j, func(t *domain.Target) error { return t.CommentSucceed(found.ExternalID, orNow(found.At, p.now())) })
		}
		// The platform has no such comment: the interrupted attempt never reached it.
		if next, err = p.reopenComment(ctx, j); err != nil || next == stepDone {
			return err
		}
	}
	published, err := p.callComment(ctx, commenter, creds, acct, c)
	if domain.CodeOf(err) == domain.CodeUnauthenticated {
		// One refresh, then try once more (the refused token promises nothing was sent).
		var rerr error
		acct, creds, rerr = p.creds.credentials(ctx, j.Company, j.Account, creds.AccessToken)
		if rerr == nil && acct.Status == domain.AccountActive {
			published, err = p.callComment(ctx, commenter, creds, acct, c)
		} else if rerr != nil {
			err = rerr
		}
		if domain.CodeOf(err) == domain.CodeUnauthenticated {
			if markErr := p.requireReauth(ctx, acct, err); markErr != nil {
				return markErr
			}
		}
	}
	if err != nil {
		return p.commentFailed(ctx, j, err, false)
	}
	p.creds.recordSuccess(ctx, acct, p.now())
	return p.finishComment(ctx, j, func(t *domain.Target) error {
		return t.CommentSucceed(published.ExternalID, orNow(published.At, p.now()))
	})
}

func notActiveReason(a domain.Account) string {
	if a.StatusReason != "" {
		return a.StatusReason
	}
	return fmt.Sprintf("The %s account %s is %s.", a.Platform.Title(), a.DisplayName, a.Status)
}

func (p *Publishing) callComment(ctx context.Context, impl ports.Commenter, creds domain.Credentials, acct domain.Account, c ports.Comment) (ports.Published, error) {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	return impl.Comment(cctx, creds, acct, c)
}

// beginComment looks at the comment under the post's lock and records an attempt when
// one is due.
func (p *Publishing) beginComment(ctx context.Context, j CommentJob) (step, domain.Post, error) {
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
		if !ok || !j.current(t) || !t.CommentDue() {
			return nil // stale (the post was sent again), finished, or the post is not out
		}
		c, err := tx.Companies().Get(ctx, j.Company)
		if err != nil {
			return err
		}
		if c.Status.Suspended() {
			if err := t.CommentFail("This company is suspended, so Herald did not send the first comment."); err != nil {
				return err
			}
			return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
		}
		if t.Comment().AttemptOpen {
			next = stepReconcile
			return nil
		}
		if err := t.StartCommentAttempt(); err != nil {
			return err
		}
		next = stepPublish
		return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
	})
	return next, post, err
}

// reopenComment closes an open attempt that the platform says never arrived and records
// a new one.
func (p *Publishing) reopenComment(ctx context.Context, j CommentJob) (step, error) {
	next := stepDone
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || !j.current(t) || !t.Comment().AttemptOpen {
			return nil
		}
		if err := t.CommentRetry("An interrupted attempt did not reach the platform; trying again."); err != nil {
			return err
		}
		if err := t.StartCommentAttempt(); err != nil {
			return err
		}
		next = stepPublish
		return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
	})
	return next, err
}

// finishComment records the result of the comment's open attempt with change.
func (p *Publishing) finishComment(ctx context.Context, j CommentJob, change func(t *domain.Target) error) error {
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || !j.current(t) || t.Comment().Final() {
			return nil
		}
		if err := change(t); err != nil {
			return err
		}
		return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
	})
}

// commentFailed is failed for a comment: permanent errors fail it, transient ones are
// retried; a maybe-sent comment (or any error while an earlier attempt is open) keeps the
// attempt open, so the retry looks it up first.
func (p *Publishing) commentFailed(ctx context.Context, j CommentJob, err error, keepOpen bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if retry, closed := retryable(err, keepOpen); retry {
		return p.commentRetryLater(ctx, j, err, closed)
	}
	return p.finishComment(ctx, j, func(t *domain.Target) error { return t.CommentFail(domain.MessageOf(err)) })
}

// commentRetryLater is retryLater for a comment.
func (p *Publishing) commentRetryLater(ctx context.Context, j CommentJob, cause error, closed bool) error {
	reason := domain.MessageOf(cause)
	if domain.CodeOf(cause) == domain.CodeInternal {
		reason = "Herald could not reach the platform."
	}
	if domain.CodeOf(cause) == domain.CodeInternal || !closed {
		p.log.WarnContext(ctx, "comment attempt ended without a result", "post", j.Post, "account", j.Account, "maybe_published", !closed, "err", cause)
	}
	var attempts int
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		post, err := tx.Posts().Lock(ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		t, ok := post.Target(j.Account)
		if !ok || !j.current(t) || t.Comment().Final() {
			attempts = -1
			return nil
		}
		c := t.Comment()
		attempts = c.Attempts
		if attempts >= p.cfg.MaxAttempts {
			if !closed && c.AttemptOpen {
				err = t.CommentUnknown(fmt.Sprintf("Gave up after %d attempts; the last one may or may not have reached the platform: %s", attempts, reason))
			} else {
				err = t.CommentFail(fmt.Sprintf("Gave up after %d attempts: %s", attempts, reason))
			}
			if err != nil {
				return err
			}
			return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
		}
		if closed && c.AttemptOpen {
			if err := t.CommentRetry(reason); err != nil {
				return err
			}
			return tx.Posts().SaveTarget(ctx, j.Company, j.Post, *t)
		}
		return nil
	})
	if err != nil || attempts < 0 || attempts >= p.cfg.MaxAttempts {
		return err
	}
	wait := p.backoff(max(attempts, 1))
	var de *domain.Error
	if errors.As(cause, &de) && de.RetryAfter > wait {
		wait = de.RetryAfter
	}
	return &Retry{After: wait, Reason: reason}
}

// enqueueComment gives the target's first comment its job when it is due and waiting:
// called in the transaction that records the target's post as published.
func enqueueComment(ctx context.Context, tx ports.Tx, post domain.Post, t domain.Target, round int64) error {
	if !t.CommentDue() || t.Comment().AttemptOpen {
		return nil
	}
	return tx.Jobs().PublishComment(ctx, post.CompanyID, post.ID, t.AccountID, post.Version(), t.ExternalID(), round)
}

// newRound tells apart a comment's sends asked for by a person (River keeps one job per
// set of args).
func newRound() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1
}

// RetryComment sends again the failed first comment of the post's target on account
// (the post itself is not sent again), now.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound (post or target, also another
// company's); CodeStale; CodeConflict (no failed comment there).
func (s *Posts) RetryComment(ctx context.Context, actor domain.Actor, id domain.PostID, account domain.AccountID, ifMatch int) (domain.Post, error) {
	return s.commentChange(ctx, actor, id, account, ifMatch, "post.comment_retried", nil, func(p *domain.Post) (bool, error) {
		return true, p.RetryComment(account, s.now())
	})
}

// ResolveComment records a person's answer for a first comment whose outcome is unknown:
// it was published, or it was not and is sent again now.
// Errors: as RetryComment's; CodeConflict when the comment is not unknown.
func (s *Posts) ResolveComment(ctx context.Context, actor domain.Actor, id domain.PostID, account domain.AccountID, published bool, ifMatch int) (domain.Post, error) {
	return s.commentChange(ctx, actor, id, account, ifMatch, "post.comment_resolved", map[string]string{"published": fmt.Sprint(published)},
		func(p *domain.Post) (bool, error) { return p.ResolveComment(account, published, s.now()) })
}

func (s *Posts) commentChange(ctx context.Context, actor domain.Actor, id domain.PostID, account domain.AccountID, ifMatch int, action string,
	details map[string]string, change func(p *domain.Post) (bool, error)) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := c.CheckActive(); err != nil {
			return err
		}
		if p, err = lockVersion(ctx, tx, actor.CompanyID, id, ifMatch); err != nil {
			return err
		}
		again, err := change(&p)
		if err != nil {
			return err
		}
		t, _ := p.Target(account)
		if err := tx.Posts().SaveTarget(ctx, p.CompanyID, p.ID, *t); err != nil {
			return err
		}
		if again {
			if err := enqueueComment(ctx, tx, p, *t, newRound()); err != nil {
				return err
			}
		}
		d := map[string]string{"account": string(account)}
		for k, v := range details {
			d[k] = v
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: action,
			Subject: string(p.ID), Details: d, At: s.now()})
	})
	return p, err
}
