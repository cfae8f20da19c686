package app

import (
	"context"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// successes remembers, per account, when this process last wrote its last success, so a
// burst of successful calls costs at most one write per domain.SuccessResolution (the store
// checks the same across processes).
type successes struct {
	mu sync.Mutex
	m  map[domain.AccountID]time.Time
}

// due reports whether the account's success at at should be written, and notes it.
func (s *successes) due(id domain.AccountID, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.m[id]; ok && at.Sub(last) < domain.SuccessResolution && !at.Before(last) {
		return false
	}
	if s.m == nil || len(s.m) > 10_000 {
		s.m = map[domain.AccountID]time.Time{}
	}
	s.m[id] = at
	return true
}

// recordSuccess records that the platform answered a call for the account with a success
// at at. It never fails the call it follows: a write that fails is logged.
func (cr *Credentials) recordSuccess(ctx context.Context, acct domain.Account, at time.Time) {
	if acct.ID == "" || !cr.successes.due(acct.ID, at) {
		return
	}
	err := cr.store.InTx(context.WithoutCancel(ctx), func(tx ports.Tx) error {
		return tx.Accounts().RecordSuccess(ctx, acct.CompanyID, acct.ID, at)
	})
	if err != nil {
		cr.log.WarnContext(ctx, "recording an account's last success failed", "account", acct.ID, "err", err)
	}
}

// WarnExpiring tells every company whose account's token cannot be renewed and expires
// within domain.ExpiryWarningAhead: an account.expiring webhook event (to the endpoints
// subscribed to it) and an audit entry, once per expiry (a reconnect brings a new expiry,
// warned about in its turn). It returns how many accounts it warned about, and the first
// error met after trying them all. It is run by the periodic token renewal job.
func (cr *Credentials) WarnExpiring(ctx context.Context) (int, error) {
	now := cr.now()
	var due []domain.Account
	if err := cr.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Accounts().ExpiringUnwarned(ctx, now.Add(domain.ExpiryWarningAhead), 500)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, acct := range due {
		if !acct.ExpiresSoon(now) {
			continue
		}
		warned := false
		err := cr.store.InTx(ctx, func(tx ports.Tx) error {
			var err error
			if warned, err = tx.Accounts().MarkExpiryWarned(ctx, acct.CompanyID, acct.ID, acct.TokenExpiresAt); err != nil || !warned {
				return err // reconnected meanwhile, or another process warned
			}
			end := acct.TokenExpiresAt.UTC().Format(time.RFC3339)
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: acct.CompanyID, Action: "account.expiring", Subject: string(acct.ID),
				Details: map[string]string{"platform": string(acct.Platform), "name": acct.DisplayName, "token_expires_at": end}, At: now}); err != nil {
				return err
			}
			if err := emitEvent(ctx, tx, acct.CompanyID, domain.EventAccountExpiring, accountEventData(acct), now); err != nil {
				return err
			}
			return cr.notify.accountExpiring(ctx, tx, acct)
		})
		switch {
		case err != nil:
			if first == nil {
				first = err
			}
			cr.log.WarnContext(ctx, "warning of an account's expiry failed", "account", acct.ID, "err", err)
		case warned:
			n++
		}
	}
	return n, first
}
