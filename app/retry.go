package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// MaxRetryFailed bounds how many posts one RetryFailed reschedules; the rest stay failed
// for the next call.
const MaxRetryFailed = 1000

// FailedPerAccount counts, per account of the actor's company, the posts that failed on it
// and RetryFailed would send again. An account with none is absent from the map.
// Errors: CodeForbidden.
func (s *Posts) FailedPerAccount(ctx context.Context, actor domain.Actor) (map[domain.AccountID]int, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return nil, err
	}
	var out map[domain.AccountID]int
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Posts().FailedPerAccount(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// RetryFailed sends again every post that failed on the account (up to MaxRetryFailed, by
// their time): each at its own time when that is still ahead, otherwise now, and only to
// that account (a partially published post keeps what went out). It is what a person does
// after reconnecting an account. Every post is checked against the account's platform
// rules, and all of them are rescheduled in one transaction, or none. It returns the
// posts, as they are now.
// Errors: CodeForbidden (role); CodeSuspended (a suspended company); CodeNotFound (also another
// company's account); CodeConflict (the account is not active: reconnect it first);
// CodeInvalid (a post breaks the platform's rules, named).
func (s *Posts) RetryFailed(ctx context.Context, actor domain.Actor, account domain.AccountID) ([]domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return nil, err
	}
	now := s.now()
	out := []domain.Post{}
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		out = out[:0]
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := c.CheckActive(); err != nil {
			return err
		}
		acct, err := tx.Accounts().Get(ctx, actor.CompanyID, account)
		if err != nil {
			return err
		}
		if acct.Status != domain.AccountActive {
			return domain.Errorf(domain.CodeConflict, "The %s account %s is %s: reconnect it before retrying its failed posts.",
				acct.Platform.Title(), acct.DisplayName, strings.ReplaceAll(string(acct.Status), "_", " "))
		}
		ids, err := tx.Posts().FailedOn(ctx, actor.CompanyID, account, MaxRetryFailed)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p, err := tx.Posts().Lock(ctx, actor.CompanyID, id)
			if err != nil {
				return err
			}
			t, _ := p.Target(account)
			if t == nil {
				continue
			}
			library, err := tx.Media().GetMany(ctx, actor.CompanyID, p.MediaFor(*t))
			if err != nil {
				return err
			}
			if problems := domain.CheckRules(t.Platform, p.TextFor(*t), p.MediaKindsFor(*t, library)); len(problems) > 0 {
				return domain.InvalidField("posts."+string(p.ID), fmt.Sprintf("the post due %s breaks %s's rules: %s",
					p.ScheduledFor().UTC().Format("2 Jan 2006 15:04 UTC"), t.Platform.Title(), strings.Join(problems, "; ")))
			}
			scheduled, err := p.RetryFailedTarget(account, now)
			if err != nil {
				return err
			}
			if scheduled {
				err = tx.Jobs().PublishPost(ctx, p.CompanyID, p.ID, p.Version(), p.ScheduledFor())
			} else {
				err = tx.Jobs().PublishTargets(ctx, p.CompanyID, p.ID, p.Version(), []domain.AccountID{account})
			}
			if err != nil {
				return err
			}
			if err := tx.Posts().Update(ctx, &p); err != nil {
				return err
			}
			if scheduled {
				if err := emitPost(ctx, tx, p, now); err != nil {
					return err
				}
			}
			when := "now"
			if scheduled {
				when = p.ScheduledFor().Format(time.RFC3339)
			}
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "post.retried",
				Subject: string(p.ID), Details: map[string]string{"account": string(account), "at": when}, At: now}); err != nil {
				return err
			}
			out = append(out, p)
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "account.failed_posts_retried",
			Subject: string(account), Details: map[string]string{"platform": string(acct.Platform), "name": acct.DisplayName, "posts": strconv.Itoa(len(out))}, At: now})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
