package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// metricsBatch is how many of one account's targets one collection asks about.
const metricsBatch = 100

// Analytics holds the use cases of post metrics: collecting them from the platforms on a
// decaying schedule, and (later) reading them back.
type Analytics struct {
	store    ports.Store
	accounts *Accounts
	schedule domain.MetricsSchedule
	now      func() time.Time
	log      *slog.Logger
}

// NewAnalytics returns the analytics use cases, collecting on schedule with accounts' tokens.
func NewAnalytics(store ports.Store, accounts *Accounts, schedule domain.MetricsSchedule, now func() time.Time, log *slog.Logger) *Analytics {
	return &Analytics{store: store, accounts: accounts, schedule: schedule, now: now, log: log}
}

// since is the oldest publishing time still collected: the schedule's end.
func (a *Analytics) since(now time.Time) time.Time {
	if len(a.schedule) == 0 {
		return now
	}
	return now.Add(-a.schedule[len(a.schedule)-1].Until)
}

// DueAccounts returns the accounts, of every company, with metrics due now.
func (a *Analytics) DueAccounts(ctx context.Context) ([]ports.AccountRef, error) {
	now := a.now()
	var out []ports.AccountRef
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Metrics().DueAccounts(ctx, now, a.since(now), 10_000)
		return err
	})
	return out, err
}

// CollectAccount collects the due metrics of one account's published posts, in one batch,
// and returns how many it stored. A platform's rate limit stops the batch and returns
// *Retry with the platform's wait, so the account's collection is snoozed, not failed; the
// rest stays due. An account whose token is refused needs a person; its collection waits.
func (a *Analytics) CollectAccount(ctx context.Context, company domain.CompanyID, account domain.AccountID) (int, error) {
	acct, creds, err := a.accounts.credentials(ctx, company, account, "")
	if domain.CodeOf(err) == domain.CodeUnauthenticated || domain.CodeOf(err) == domain.CodeNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	impl, ok := a.accounts.platforms[acct.Platform]
	if !ok || acct.Status != domain.AccountActive {
		return 0, nil
	}
	now := a.now()
	var due []ports.DueTarget
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Metrics().Due(ctx, company, account, now, a.since(now), metricsBatch)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, t := range due {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := impl.Metrics(cctx, creds, acct, t.ExternalID)
		cancel()
		at := a.now()
		switch code := domain.CodeOf(err); {
		case err == nil:
			err = a.store.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Record(ctx, company, t.Post, account, at, m, a.schedule.Next(t.PublishedAt, at))
			})
			if err != nil {
				return n, err
			}
			n++
		case code == domain.CodeRateLimited:
			wait := time.Minute
			var de *domain.Error
			if errors.As(err, &de) && de.RetryAfter > 0 {
				wait = de.RetryAfter
			}
			return n, &Retry{After: wait, Reason: domain.MessageOf(err)}
		case code == domain.CodeUnauthenticated:
			return n, nil // the next publish or renewal asks for a refresh; a person may have to reconnect
		default:
			// The platform could not say now (down, or the post is gone): try again on the schedule.
			next := a.schedule.Next(t.PublishedAt, at)
			if code == domain.CodeUnavailable || code == domain.CodeInternal {
				next = at.Add(15 * time.Minute)
			}
			a.log.WarnContext(ctx, "collecting a post's metrics failed", "account", account, "post", t.Post, "err", err)
			if err := a.store.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Postpone(ctx, company, t.Post, account, next)
			}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
