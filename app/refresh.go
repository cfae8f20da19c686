package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// refreshMargin is how long before its expiry a token is refreshed, so a publish never
// starts with a token about to expire.
const refreshMargin = 5 * time.Minute

// credentials returns usable credentials for the account (see renew), refreshing them when
// they expire within refreshMargin.
func (cr *Credentials) credentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, rejected string) (domain.Account, domain.Credentials, error) {
	return cr.renew(ctx, company, id, rejected, refreshMargin)
}

// Refresh timing: one call to a platform's token endpoint, and the lease that keeps other
// processes from calling it for the same account meanwhile (longer than the call).
const (
	refreshCallTimeout = 20 * time.Second
	refreshLease       = 30 * time.Second
	// refreshPoll is how often a process waits to see another's refresh finish.
	refreshPoll = 200 * time.Millisecond
)

// flights makes refresh single-flight per account inside the process: the first caller
// refreshes, the others wait for its result without holding a connection.
type flights struct {
	mu sync.Mutex
	m  map[domain.AccountID]*flight
}

type flight struct {
	done  chan struct{}
	acct  domain.Account
	creds domain.Credentials
	err   error
}

// join returns the account's flight in progress, or a new one that the caller leads
// (lead is true) and must land.
func (f *flights) join(id domain.AccountID) (fl *flight, lead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[id]; ok {
		return fl, false
	}
	if f.m == nil {
		f.m = map[domain.AccountID]*flight{}
	}
	fl = &flight{done: make(chan struct{})}
	f.m[id] = fl
	return fl, true
}

func (f *flights) land(id domain.AccountID, fl *flight, acct domain.Account, creds domain.Credentials, err error) {
	fl.acct, fl.creds, fl.err = acct, creds, err
	f.mu.Lock()
	delete(f.m, id)
	f.mu.Unlock()
	close(fl.done)
}

// renew returns the account's credentials, refreshed first when they expire within margin
// or when the stored access token is still rejected, the one the platform just refused.
// Refresh is single-flight per account: within the process the first caller refreshes
// and the others wait for its result; across processes a lease in the account's row
// decides who calls the platform. No connection and no lock is held while the platform
// answers (a burst of publishes on one expiring account would otherwise hold the whole
// pool waiting for the lock). The intent is committed before the call and the new token
// saved before it is used. The platform decides whether it can refresh (some renew an
// access token without a refresh token). Only a definite refusal (CodeUnauthenticated) of
// a token that is no longer usable moves the account to reauth_required: a refusal to
// renew a token that still works early changes nothing.
func (cr *Credentials) renew(ctx context.Context, company domain.CompanyID, id domain.AccountID, rejected string, margin time.Duration) (domain.Account, domain.Credentials, error) {
	usable := func(c domain.Credentials) bool {
		return c.Fresh(cr.now(), margin) && (rejected == "" || c.AccessToken != rejected)
	}
	if e, ok := cr.cache.get(id, cr.now()); ok && rejected == "" && e.account.CompanyID == company && e.creds.Fresh(cr.now(), margin) {
		return e.account, e.creds, nil
	}
	for {
		var acct domain.Account
		var creds domain.Credentials
		err := cr.store.Read(ctx, func(tx ports.Tx) error {
			var sealed ports.Sealed
			var err error
			if acct, sealed, err = tx.Accounts().Credentials(ctx, company, id, false); err != nil {
				return err
			}
			creds, err = cr.open(acct, sealed)
			return err
		})
		if err != nil || acct.Status != domain.AccountActive {
			return acct, creds, err
		}
		if usable(creds) {
			cr.cache.put(acct, creds, cr.now())
			return acct, creds, nil
		}
		cr.cache.forget(id)
		impl, ok := cr.platforms.Get(acct.Platform)
		if !ok {
			return acct, creds, domain.Errorf(domain.CodeUnavailable, "%s is not configured on this Herald any more.", acct.Platform.Title())
		}
		fl, lead := cr.flights.join(id)
		if !lead {
			select {
			case <-fl.done:
			case <-ctx.Done():
				return acct, creds, ctx.Err()
			}
			if fl.err != nil || fl.acct.Status != domain.AccountActive || usable(fl.creds) {
				return fl.acct, fl.creds, fl.err
			}
			continue // it renewed a token this caller had just seen refused: look again
		}
		acct, creds, err = cr.refresh(ctx, impl, company, id, rejected, usable)
		cr.flights.land(id, fl, acct, creds, err)
		return acct, creds, err
	}
}

// refresh is renew's leader: it takes the account's refresh lease (waiting while another
// process holds it), calls the platform, and records the outcome.
func (cr *Credentials) refresh(ctx context.Context, impl ports.Platform, company domain.CompanyID, id domain.AccountID, rejected string,
	usable func(domain.Credentials) bool) (domain.Account, domain.Credentials, error) {
	var acct domain.Account
	var creds domain.Credentials
	var done bool
	var interrupted time.Time // when a refresh began whose result was never recorded
	for {
		wait := false
		err := cr.store.InTx(ctx, func(tx ports.Tx) error {
			locked, sealed, err := tx.Accounts().Credentials(ctx, company, id, true)
			if err != nil {
				return err
			}
			acct = locked
			if creds, err = cr.open(acct, sealed); err != nil {
				return err
			}
			if acct.Status != domain.AccountActive || usable(creds) {
				done = true // another process refreshed meanwhile
				return nil
			}
			st, err := tx.Accounts().RefreshState(ctx, company, id)
			if err != nil {
				return err
			}
			now := cr.now()
			if st.LeaseUntil.After(now) {
				wait = true
				return nil
			}
			interrupted = st.StartedAt
			st.LeaseUntil, st.StartedAt = now.Add(refreshLease), now
			return tx.Accounts().SetRefreshState(ctx, company, id, st)
		})
		if err != nil || done {
			if err == nil && acct.Status == domain.AccountActive {
				cr.cache.put(acct, creds, cr.now())
			}
			return acct, creds, err
		}
		if !wait {
			break
		}
		select {
		case <-time.After(refreshPoll):
		case <-ctx.Done():
			return acct, creds, ctx.Err()
		}
	}
	rctx, cancel := context.WithTimeout(ctx, refreshCallTimeout)
	fresh, callErr := impl.Refresh(rctx, creds)
	cancel()
	// The outcome is recorded even when the caller gave up meanwhile: a new token must
	// not be lost to a cancelled publish job.
	ctx = context.WithoutCancel(ctx)
	var refused error
	err := cr.store.InTx(ctx, func(tx ports.Tx) error {
		locked, _, err := tx.Accounts().Credentials(ctx, company, id, true)
		if err != nil {
			return err
		}
		st, err := tx.Accounts().RefreshState(ctx, company, id)
		if err != nil {
			return err
		}
		st.LeaseUntil = time.Time{}
		switch {
		case callErr == nil:
			if fresh.RefreshToken == "" {
				fresh.RefreshToken = creds.RefreshToken // an empty refresh token never replaces a stored one
			}
			s, err := cr.seal(acct, fresh)
			if err != nil {
				return err
			}
			if err := tx.Accounts().SaveCredentials(ctx, company, id, s, fresh.Expiry); err != nil {
				return err
			}
			st.StartedAt = time.Time{}
			acct.TokenExpiresAt, creds = fresh.Expiry, fresh
			acct.HasRefreshToken = fresh.RefreshToken != ""
			if err := tx.Accounts().RecordSuccess(ctx, company, id, cr.now()); err != nil {
				return err
			}
			return tx.Accounts().SetRefreshState(ctx, company, id, st)
		case domain.CodeOf(callErr) == domain.CodeInternal:
			// No answer (network, timeout): the platform may have rotated the refresh
			// token, so the intent stays for the next refresher to know.
			return tx.Accounts().SetRefreshState(ctx, company, id, st)
		case domain.CodeOf(callErr) != domain.CodeUnauthenticated:
			st.StartedAt = time.Time{} // the platform answered: nothing was rotated
			return tx.Accounts().SetRefreshState(ctx, company, id, st)
		}
		st.StartedAt = interrupted // an interrupted refresh still explains the next refusal
		if rejected == "" && creds.Fresh(cr.now(), 0) {
			// It cannot be renewed yet still works: use it until it does not.
			return tx.Accounts().SetRefreshState(ctx, company, id, st)
		}
		st.StartedAt = time.Time{}
		refused = callErr
		acct = locked
		reason := fmt.Sprintf("%s no longer accepts Herald's access (%s). Reconnect the account.", acct.Platform.Title(), domain.MessageOf(refused))
		if !interrupted.IsZero() {
			// The refresh before this one ended without its result: the platform had most
			// likely rotated the refresh token to one Herald never stored.
			st.LostAt = cr.now()
			acct.TokenLostAt = st.LostAt
			reason = fmt.Sprintf("Herald was interrupted while renewing its access to %s, and %s no longer accepts the earlier renewal (%s). Reconnect the account: posts due on it wait up to %d hours for that.",
				acct.DisplayName, acct.Platform.Title(), domain.MessageOf(refused), int(domain.TokenLostWait.Hours()))
		}
		if err := tx.Accounts().SetRefreshState(ctx, company, id, st); err != nil {
			return err
		}
		was := acct.Status
		acct.Status, acct.StatusReason = domain.AccountReauthRequired, reason
		if err := tx.Accounts().SetStatus(ctx, company, id, domain.AccountReauthRequired, reason); err != nil {
			return err
		}
		if was == domain.AccountReauthRequired {
			return nil // already asked
		}
		if err := emitAccount(ctx, tx, acct, domain.EventAccountReauthRequired, cr.now()); err != nil {
			return err
		}
		return cr.notify.accountReconnect(ctx, tx, acct, cr.now())
	})
	switch {
	case err != nil:
		return acct, creds, err
	case refused != nil:
		return acct, creds, &domain.Error{Code: domain.CodeUnauthenticated, Message: acct.StatusReason, Err: refused}
	case callErr != nil && domain.CodeOf(callErr) != domain.CodeUnauthenticated:
		return acct, creds, callErr
	}
	if acct.Status == domain.AccountActive {
		cr.cache.put(acct, creds, cr.now())
	}
	return acct, creds, nil
}

// RenewExpiring refreshes, ahead of time, the tokens of active accounts of every company
// that expire within the next within, so an account that publishes rarely does not lose a
// token that can only be renewed while it is valid (Meta's long-lived tokens). It returns
// how many accounts it renewed and the first error met, after trying them all.
func (cr *Credentials) RenewExpiring(ctx context.Context, within time.Duration) (int, error) {
	var due []domain.Account
	if err := cr.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Accounts().Expiring(ctx, cr.now().Add(within), 500)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, acct := range due {
		before := acct.TokenExpiresAt
		got, _, err := cr.renew(ctx, acct.CompanyID, acct.ID, "", within)
		if err != nil {
			if first == nil {
				first = err
			}
			cr.log.WarnContext(ctx, "renewing a token ahead of its expiry failed", "account", acct.ID, "platform", acct.Platform, "err", err)
			continue
		}
		if got.TokenExpiresAt.After(before) {
			n++
		}
	}
	return n, first
}
