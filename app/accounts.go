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
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// ConnectFlowLifetime is how long a started connect flow waits for the platform's redirect.
const ConnectFlowLifetime = 10 * time.Minute

// Accounts holds the use cases of connected social accounts: connecting through a
// platform's consent page, listing, disconnecting, and keeping their tokens fresh.
type Accounts struct {
	store     ports.Store
	authz     ports.Authorizer
	creds     *Credentials
	platforms *Platforms
	callback  func(domain.Platform) string // the redirect URL registered with each platform
	now       func() time.Time
	log       *slog.Logger
}

// NewAccounts returns the account use cases for the configured platforms, keeping tokens
// through creds. callback gives the absolute address of the OAuth redirect target for a
// platform.
func NewAccounts(store ports.Store, authz ports.Authorizer, creds *Credentials, platforms *Platforms,
	callback func(domain.Platform) string, now func() time.Time, log *slog.Logger) *Accounts {
	return &Accounts{store: store, authz: authz, creds: creds, platforms: platforms, callback: callback, now: now, log: log}
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
	impl, err := a.platforms.Lookup(platform)
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
	sealed, err := a.creds.sealVerifier(state, verifier)
	if err != nil {
		return "", err
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
	impl, err := a.platforms.Lookup(platform)
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
	verifier, err := a.creds.openVerifier(state, st.Verifier)
	if err != nil {
		return out, err
	}
	ids, err := impl.Exchange(ctx, code, verifier, a.callback(impl.Platform()))
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
			sealed, err := a.creds.seal(acct, id.Credentials)
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
	defer a.creds.cache.forget(id)
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
