package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// ConnectFlowLifetime is how long a started connect flow waits for the platform's redirect.
const ConnectFlowLifetime = 10 * time.Minute

// refreshMargin is how long before its expiry a token is refreshed, so a publish never
// starts with a token about to expire.
const refreshMargin = 5 * time.Minute

// Accounts holds the use cases of connected social accounts: connecting through a
// platform's consent page, listing, disconnecting, and keeping their tokens fresh.
type Accounts struct {
	store     ports.Store
	authz     ports.Authorizer
	cipher    ports.TokenCipher
	platforms map[domain.Platform]ports.Platform
	callback  func(domain.Platform) string // the redirect URL registered with each platform
	now       func() time.Time
	log       *slog.Logger
	cache     credentialCache
	flights   flights
	successes successes
}

// credentialCache keeps accounts' opened credentials in memory for a short while, so a
// burst of posts to one account reads and decrypts its tokens once. A stale entry is
// harmless: a token the platform refuses goes through the locked refresh path, which
// reads the row again, and disconnecting fails the account's targets in its transaction.
type credentialCache struct {
	mu sync.Mutex
	m  map[domain.AccountID]cachedCredentials
}

type cachedCredentials struct {
	account domain.Account
	creds   domain.Credentials
	until   time.Time
}

// credentialCacheTTL bounds how long this process trusts what it read.
const credentialCacheTTL = 30 * time.Second

func (c *credentialCache) get(id domain.AccountID, now time.Time) (cachedCredentials, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return e, ok && now.Before(e.until)
}

func (c *credentialCache) put(a domain.Account, creds domain.Credentials, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[domain.AccountID]cachedCredentials{}
	}
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[a.ID] = cachedCredentials{account: a, creds: creds, until: now.Add(credentialCacheTTL)}
}

func (c *credentialCache) forget(id domain.AccountID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// NewAccounts returns the account use cases for the configured platforms. callback gives
// the absolute address of the OAuth redirect target for a platform.
func NewAccounts(store ports.Store, authz ports.Authorizer, cipher ports.TokenCipher, platforms []ports.Platform,
	callback func(domain.Platform) string, now func() time.Time, log *slog.Logger) *Accounts {
	byName := make(map[domain.Platform]ports.Platform, len(platforms))
	for _, p := range platforms {
		byName[p.Platform()] = p
	}
	return &Accounts{store: store, authz: authz, cipher: cipher, platforms: byName, callback: callback, now: now, log: log}
}

// Platforms returns the platforms that can be connected here, in display order.
func (a *Accounts) Platforms() []domain.Platform {
	var out []domain.Platform
	for _, p := range domain.Platforms {
		if _, ok := a.platforms[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

func (a *Accounts) platform(name string) (ports.Platform, error) {
	p, err := domain.ParsePlatform(name)
	if err != nil {
		return nil, err
	}
	impl, ok := a.platforms[p]
	if !ok {
		return nil, domain.Errorf(domain.CodeNotFound, "%s is not set up on this Herald: its client id and secret are not configured.", p.Title())
	}
	return impl, nil
}

// List returns the actor's company's accounts that are not disconnected.
// Errors: CodeForbidden.
func (a *Accounts) List(ctx context.Context, actor domain.Actor) ([]domain.Account, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAccounts, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.Account
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Accounts().List(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// PostsToFail counts, per account of the actor's company, the scheduled (or publishing)
// posts whose target on it is not final: the posts Disconnect would fail there. An account
// with none is absent from the map.
// Errors: CodeForbidden.
func (a *Accounts) PostsToFail(ctx context.Context, actor domain.Actor) (map[domain.AccountID]int, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAccounts, domain.ActionRead); err != nil {
		return nil, err
	}
	var out map[domain.AccountID]int
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Posts().UnfinishedPerAccount(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// Connect starts connecting an account of platform to the actor's company and returns the
// platform's consent page address. The state and PKCE verifier stay server-side, single
// use, for ConnectFlowLifetime; returnTo is the web app path to go back to afterwards.
// A company whose plan has no room for another account may still start a flow on a
// platform it has accounts on, to reconnect one of them; Callback decides for sure.
// Errors: CodeForbidden; CodeLimit (no room, and no account to reconnect on the platform);
// CodeNotFound (unknown or unconfigured platform).
func (a *Accounts) Connect(ctx context.Context, actor domain.Actor, platform, returnTo string) (string, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAccounts, domain.ActionWrite); err != nil {
		return "", err
	}
	impl, err := a.platform(platform)
	if err != nil {
		return "", err
	}
	err = a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		live, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		for _, acct := range live {
			if acct.Platform == impl.Platform() {
				return nil // maybe a reconnection
			}
		}
		return c.Plan.CheckAccounts(len(live), 1)
	})
	if err != nil {
		return "", err
	}
	state := rand.Text() + rand.Text() // 52 base32 characters, 260 random bits
	verifier := newVerifier()
	sealed, err := a.cipher.Seal([]byte(verifier), stateAAD(state))
	if err != nil {
		return "", fmt.Errorf("app: seal verifier: %w", err)
	}
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.OAuthStates().Save(ctx, ports.OAuthState{Hash: hashState(state), CompanyID: actor.CompanyID, UserID: actor.UserID,
			Platform: impl.Platform(), Verifier: sealed, ReturnTo: safeReturn(returnTo), ExpiresAt: a.now().Add(ConnectFlowLifetime)})
	})
	if err != nil {
		return "", err
	}
	return impl.AuthCodeURL(state, verifier, a.callback(impl.Platform())), nil
}

// newVerifier returns a PKCE code verifier: 32 random octets, base64url (RFC 7636 4.1).
func newVerifier() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashState(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

func stateAAD(state string) []byte {
	return []byte("herald/v1|oauth_state|" + string(hashState(state)))
}

// safeReturn keeps only paths of the web app (domain.LocalPath) without a fragment, so the
// callback cannot be made to redirect elsewhere; anything else is "/accounts".
func safeReturn(p string) string {
	p = domain.LocalPathOr(p, "/accounts")
	if strings.Contains(p, "#") {
		return "/accounts"
	}
	return p
}

// ErrConnectExpired is the cause of Callback's error when the state is unknown, used or
// expired.
var ErrConnectExpired = errors.New("connect flow unknown, used or expired")

// ErrConnectOtherUser is the cause of Callback's error when the person signed in is not the
// one who started the flow.
var ErrConnectOtherUser = errors.New("connect flow started by another user")

// Connected is the outcome of a connect flow: the accounts it created or refreshed, and
// where the person goes next.
type Connected struct {
	Accounts []domain.Account
	ReturnTo string
}

// Callback finishes a connect flow with the platform's redirect parameters for user, the
// person signed in to Herald in the browser (or the script's token) that brought them. The
// state is secret and taken once; it names who started the flow, and only that person can
// finish it, so a flow started by one person cannot connect someone else's social account
// into their company. Without a user nothing is read or taken (the person signs in first and
// comes back); another user is refused and the flow stays open for its starter. The starter
// must still be allowed to connect accounts in that company. Reconnecting an account updates
// it, whatever the plan; new accounts are connected while the plan has room, and when some did
// not fit the others are still connected and CodeLimit is returned with them.
// Errors: CodeUnauthenticated (no user); CodeNotFound (unknown platform); CodeInvalid (unknown,
// used or expired state: ErrConnectExpired; another user: ErrConnectOtherUser; or the
// platform refused the code); CodeForbidden (consent denied, or not allowed); CodeLimit.
func (a *Accounts) Callback(ctx context.Context, user domain.UserID, platform, state, code, errCode, errDescription string) (Connected, error) {
	if user == "" {
		return Connected{ReturnTo: "/accounts"}, domain.Errorf(domain.CodeUnauthenticated, "Sign in to Herald as the person who started connecting the account to finish it.")
	}
	impl, err := a.platform(platform)
	if err != nil {
		return Connected{ReturnTo: "/accounts"}, err
	}
	var st ports.OAuthState
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		st, err = tx.OAuthStates().Take(ctx, hashState(state), a.now())
		if err == nil && st.UserID != user {
			return &domain.Error{Code: domain.CodeInvalid, Err: ErrConnectOtherUser,
				Message: "This connection was started by someone else, so nothing was connected. Sign in as the person who started it, or start connecting again."}
		}
		return err // another user's error rolls back: the flow stays open for its starter
	})
	if errors.Is(err, ErrConnectOtherUser) {
		return Connected{ReturnTo: "/accounts"}, err
	}
	if state == "" || domain.CodeOf(err) == domain.CodeNotFound {
		return Connected{ReturnTo: "/accounts"}, &domain.Error{Code: domain.CodeInvalid, Err: ErrConnectExpired, Message: fmt.Sprintf(
			"This connection link is unknown, was already used or expired (they last %d minutes). Start connecting again.", int(ConnectFlowLifetime.Minutes()))}
	}
	if err != nil {
		return Connected{ReturnTo: "/accounts"}, err
	}
	out := Connected{ReturnTo: safeReturn(st.ReturnTo)}
	if st.Platform != impl.Platform() {
		return out, domain.Errorf(domain.CodeInvalid, "This connection link was started for another platform. Start connecting again.")
	}
	if errCode != "" {
		if errCode == "access_denied" {
			return out, domain.Errorf(domain.CodeForbidden, "%s was not connected: permission was not given on %s's page.", impl.Platform().Title(), impl.Platform().Title())
		}
		return out, domain.Errorf(domain.CodeInvalid, "%s refused the connection: %s.", impl.Platform().Title(), firstNonEmpty(errDescription, errCode))
	}
	if code == "" {
		return out, domain.Errorf(domain.CodeInvalid, "%s sent no authorization code back. Start connecting again.", impl.Platform().Title())
	}
	actor, err := a.actorIn(ctx, user, st.CompanyID)
	if err != nil {
		return out, err
	}
	if err := a.authz.Can(ctx, actor, domain.ResourceAccounts, domain.ActionWrite); err != nil {
		return out, err
	}
	verifier, err := a.cipher.Open(st.Verifier, stateAAD(state))
	if err != nil {
		return out, fmt.Errorf("app: open verifier: %w", err)
	}
	ids, err := impl.Exchange(ctx, code, string(verifier), a.callback(impl.Platform()))
	if err != nil {
		return out, err
	}
	if len(ids) == 0 {
		return out, domain.Errorf(domain.CodeInvalid, "%s gave access to no account that Herald can publish to.", impl.Platform().Title())
	}
	now := a.now()
	var limited error
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		out.Accounts, limited = out.Accounts[:0], nil
		c, err := tx.PlanUsage().Lock(ctx, st.CompanyID)
		if err != nil {
			return err
		}
		live, err := tx.Accounts().List(ctx, st.CompanyID)
		if err != nil {
			return err
		}
		known := map[string]bool{} // this platform's live accounts, by external id
		for _, acct := range live {
			if acct.Platform == impl.Platform() {
				known[acct.ExternalID] = true
			}
		}
		connected := len(live)
		for _, id := range ids {
			if !known[id.ExternalID] {
				if err := c.Plan.CheckAccounts(connected, 1); err != nil {
					limited = err
					continue
				}
				connected++
			}
			acct := domain.Account{CompanyID: st.CompanyID, Platform: impl.Platform(), ExternalID: id.ExternalID,
				DisplayName: id.DisplayName, TokenExpiresAt: id.Credentials.Expiry, ConnectedAt: now, Scopes: id.Credentials.Scopes}
			sealed, err := a.seal(acct, id.Credentials)
			if err != nil {
				return err
			}
			if err := tx.Accounts().Connect(ctx, &acct, sealed); err != nil {
				return err
			}
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: st.CompanyID, ActorID: user, Action: "account.connected",
				Subject: string(acct.ID), Details: map[string]string{"platform": string(acct.Platform), "name": acct.DisplayName}, At: now}); err != nil {
				return err
			}
			if err := emitAccount(ctx, tx, acct, domain.EventAccountConnected, now); err != nil {
				return err
			}
			out.Accounts = append(out.Accounts, acct)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, limited
}

// actorIn returns the user as an actor in company, or CodeForbidden when they no longer
// belong to it.
func (a *Accounts) actorIn(ctx context.Context, user domain.UserID, company domain.CompanyID) (domain.Actor, error) {
	var actor domain.Actor
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		u, err := tx.Users().Get(ctx, user)
		if err != nil {
			return err
		}
		m, err := tx.Memberships().Get(ctx, company, user)
		if domain.CodeOf(err) == domain.CodeNotFound && !u.IsSuperadmin {
			return domain.Errorf(domain.CodeForbidden, "You no longer belong to the company this connection was started for.")
		}
		actor = domain.Actor{UserID: user, CompanyID: company, Role: m.Role, IsSuperadmin: u.IsSuperadmin}
		if domain.CodeOf(err) == domain.CodeNotFound {
			return nil
		}
		return err
	})
	return actor, err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Disconnect disconnects the account: its tokens are erased, and its targets that are not
// yet published fail with a reason saying so.
// Errors: CodeForbidden; CodeNotFound (also another company's account).
func (a *Accounts) Disconnect(ctx context.Context, actor domain.Actor, id domain.AccountID) error {
	if err := a.authz.Can(ctx, actor, domain.ResourceAccounts, domain.ActionWrite); err != nil {
		return err
	}
	now := a.now()
	defer a.cache.forget(id)
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		acct, _, err := tx.Accounts().Credentials(ctx, actor.CompanyID, id, true)
		if err != nil {
			return err
		}
		if acct.Status == domain.AccountDisconnected {
			return domain.Errorf(domain.CodeNotFound, "That account does not exist.")
		}
		reason := fmt.Sprintf("The %s account %s was disconnected.", acct.Platform.Title(), acct.DisplayName)
		if err := tx.Accounts().SetStatus(ctx, actor.CompanyID, id, domain.AccountDisconnected, reason); err != nil {
			return err
		}
		if err := tx.Accounts().Erase(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		if err := failTargetsOf(ctx, tx, actor.CompanyID, id, reason, now); err != nil {
			return err
		}
		acct.Status, acct.StatusReason = domain.AccountDisconnected, reason
		if err := emitAccount(ctx, tx, acct, domain.EventAccountDisconnected, now); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "account.disconnected",
			Subject: string(id), Details: map[string]string{"platform": string(acct.Platform), "name": acct.DisplayName}, At: now})
	})
}

// failTargetsOf fails every unfinished target on account, in every post of the company.
func failTargetsOf(ctx context.Context, tx ports.Tx, company domain.CompanyID, account domain.AccountID, reason string, now time.Time) error {
	ids, err := tx.Posts().Unfinished(ctx, company, account)
	if err != nil {
		return err
	}
	for _, id := range ids {
		post, err := tx.Posts().Lock(ctx, company, id)
		if err != nil {
			return err
		}
		if !post.FailTarget(account, reason, now) {
			continue
		}
		if err := tx.Posts().Update(ctx, &post); err != nil {
			return err
		}
		if post.Status() != domain.PostScheduled && post.Status() != domain.PostPublishing && post.Status() != domain.PostDraft {
			if err := emitPost(ctx, tx, post, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// seal encrypts c for the account's row; the additional data ties each ciphertext to its
// company, platform, account and field.
func (a *Accounts) seal(acct domain.Account, c domain.Credentials) (ports.Sealed, error) {
	access, err := a.cipher.Seal([]byte(c.AccessToken), tokenAAD(acct, "access"))
	if err != nil {
		return ports.Sealed{}, fmt.Errorf("app: seal token: %w", err)
	}
	out := ports.Sealed{Access: access}
	if c.RefreshToken != "" {
		if out.Refresh, err = a.cipher.Seal([]byte(c.RefreshToken), tokenAAD(acct, "refresh")); err != nil {
			return ports.Sealed{}, fmt.Errorf("app: seal token: %w", err)
		}
	}
	return out, nil
}

func (a *Accounts) open(acct domain.Account, s ports.Sealed) (domain.Credentials, error) {
	if len(s.Access) == 0 {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "The %s account %s has no token; reconnect it.", acct.Platform.Title(), acct.DisplayName)
	}
	access, err := a.cipher.Open(s.Access, tokenAAD(acct, "access"))
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("app: open token of account %s: %w", acct.ID, err)
	}
	c := domain.Credentials{AccessToken: string(access), Expiry: acct.TokenExpiresAt, Scopes: acct.Scopes}
	if len(s.Refresh) > 0 {
		refresh, err := a.cipher.Open(s.Refresh, tokenAAD(acct, "refresh"))
		if err != nil {
			return domain.Credentials{}, fmt.Errorf("app: open refresh token of account %s: %w", acct.ID, err)
		}
		c.RefreshToken = string(refresh)
	}
	return c, nil
}

func tokenAAD(a domain.Account, field string) []byte {
	return []byte("herald/v1|social_account|" + string(a.CompanyID) + "|" + string(a.Platform) + "|" + a.ExternalID + "|" + field)
}

// credentials returns usable credentials for the account (see renew), refreshing them when
// they expire within refreshMargin.
func (a *Accounts) credentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, rejected string) (domain.Account, domain.Credentials, error) {
	return a.renew(ctx, company, id, rejected, refreshMargin)
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
func (a *Accounts) renew(ctx context.Context, company domain.CompanyID, id domain.AccountID, rejected string, margin time.Duration) (domain.Account, domain.Credentials, error) {
	usable := func(c domain.Credentials) bool {
		return c.Fresh(a.now(), margin) && (rejected == "" || c.AccessToken != rejected)
	}
	if e, ok := a.cache.get(id, a.now()); ok && rejected == "" && e.account.CompanyID == company && e.creds.Fresh(a.now(), margin) {
		return e.account, e.creds, nil
	}
	for {
		var acct domain.Account
		var creds domain.Credentials
		err := a.store.Read(ctx, func(tx ports.Tx) error {
			var sealed ports.Sealed
			var err error
			if acct, sealed, err = tx.Accounts().Credentials(ctx, company, id, false); err != nil {
				return err
			}
			creds, err = a.open(acct, sealed)
			return err
		})
		if err != nil || acct.Status != domain.AccountActive {
			return acct, creds, err
		}
		if usable(creds) {
			a.cache.put(acct, creds, a.now())
			return acct, creds, nil
		}
		a.cache.forget(id)
		impl, ok := a.platforms[acct.Platform]
		if !ok {
			return acct, creds, domain.Errorf(domain.CodeUnavailable, "%s is not configured on this Herald any more.", acct.Platform.Title())
		}
		fl, lead := a.flights.join(id)
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
		acct, creds, err = a.refresh(ctx, impl, company, id, rejected, usable)
		a.flights.land(id, fl, acct, creds, err)
		return acct, creds, err
	}
}

// refresh is renew's leader: it takes the account's refresh lease (waiting while another
// process holds it), calls the platform, and records the outcome.
func (a *Accounts) refresh(ctx context.Context, impl ports.Platform, company domain.CompanyID, id domain.AccountID, rejected string,
	usable func(domain.Credentials) bool) (domain.Account, domain.Credentials, error) {
	var acct domain.Account
	var creds domain.Credentials
	var done bool
	var interrupted time.Time // when a refresh began whose result was never recorded
	for {
		wait := false
		err := a.store.InTx(ctx, func(tx ports.Tx) error {
			locked, sealed, err := tx.Accounts().Credentials(ctx, company, id, true)
			if err != nil {
				return err
			}
			acct = locked
			if creds, err = a.open(acct, sealed); err != nil {
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
			now := a.now()
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
				a.cache.put(acct, creds, a.now())
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
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
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
			s, err := a.seal(acct, fresh)
			if err != nil {
				return err
			}
			if err := tx.Accounts().SaveCredentials(ctx, company, id, s, fresh.Expiry); err != nil {
				return err
			}
			st.StartedAt = time.Time{}
			acct.TokenExpiresAt, creds = fresh.Expiry, fresh
			acct.HasRefreshToken = fresh.RefreshToken != ""
			if err := tx.Accounts().RecordSuccess(ctx, company, id, a.now()); err != nil {
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
		if rejected == "" && creds.Fresh(a.now(), 0) {
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
			st.LostAt = a.now()
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
		return emitAccount(ctx, tx, acct, domain.EventAccountReauthRequired, a.now())
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
		a.cache.put(acct, creds, a.now())
	}
	return acct, creds, nil
}

// RenewExpiring refreshes, ahead of time, the tokens of active accounts of every company
// that expire within the next within, so an account that publishes rarely does not lose a
// token that can only be renewed while it is valid (Meta's long-lived tokens). It returns
// how many accounts it renewed and the first error met, after trying them all.
func (a *Accounts) RenewExpiring(ctx context.Context, within time.Duration) (int, error) {
	var due []domain.Account
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Accounts().Expiring(ctx, a.now().Add(within), 500)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, acct := range due {
		before := acct.TokenExpiresAt
		got, _, err := a.renew(ctx, acct.CompanyID, acct.ID, "", within)
		if err != nil {
			if first == nil {
				first = err
			}
			a.log.WarnContext(ctx, "renewing a token ahead of its expiry failed", "account", acct.ID, "platform", acct.Platform, "err", err)
			continue
		}
		if got.TokenExpiresAt.After(before) {
			n++
		}
	}
	return n, first
}

// RotateKeys re-encrypts every account token sealed under a key other than the cipher's
// active one, and returns how many accounts it rewrote. It is the operator's command
// after adding a new key in front of HERALD_ENCRYPTION_KEYS.
func (a *Accounts) RotateKeys(ctx context.Context) (int, error) {
	n := 0
	after := domain.AccountID("")
	for {
		var page []ports.SealedAccount
		if err := a.store.Read(ctx, func(tx ports.Tx) error {
			var err error
			page, err = tx.Accounts().SealedAfter(ctx, after, 200)
			return err
		}); err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, row := range page {
			after = row.Account.ID
			if !a.cipher.Stale(row.Sealed.Access) && (len(row.Sealed.Refresh) == 0 || !a.cipher.Stale(row.Sealed.Refresh)) {
				continue
			}
			if len(row.Sealed.Access) == 0 {
				continue
			}
			err := a.store.InTx(ctx, func(tx ports.Tx) error {
				acct, sealed, err := tx.Accounts().Credentials(ctx, row.Account.CompanyID, row.Account.ID, true)
				if err != nil {
					return err
				}
				creds, err := a.open(acct, sealed)
				if err != nil {
					return err
				}
				s, err := a.seal(acct, creds)
				if err != nil {
					return err
				}
				return tx.Accounts().SaveCredentials(ctx, acct.CompanyID, acct.ID, s, acct.TokenExpiresAt)
			})
			if err != nil {
				return n, err
			}
			n++
		}
	}
}
