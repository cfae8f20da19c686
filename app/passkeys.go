package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// PasskeySessionName names the sessions a passkey started (domain.Token.Name), so the
// rest of Herald can tell that a session was begun with a phishing-resistant second factor.
const PasskeySessionName = "passkey"

// RecentSignIn is how long after signing in a person may add a passkey without giving
// their password again.
const RecentSignIn = 10 * time.Minute

// Passkeys holds the use cases of passkeys (WebAuthn): adding one to a signed-in person,
// listing, renaming and deleting them, and signing in with one without typing an email.
type Passkeys struct {
	store      ports.Store
	ceremonies ports.PasskeyCeremonies // nil: passkeys are off
	auth       *Auth
}

// NewPasskeys returns the passkey use cases over auth's store, clock, hasher and limits;
// with nil ceremonies every ceremony answers CodeUnavailable.
func NewPasskeys(store ports.Store, ceremonies ports.PasskeyCeremonies, auth *Auth) *Passkeys {
	return &Passkeys{store: store, ceremonies: ceremonies, auth: auth}
}

// Enabled says whether passkeys are configured.
func (p *Passkeys) Enabled() bool { return p != nil && p.ceremonies != nil }

// Ceremony is a begun WebAuthn ceremony: Options go to navigator.credentials.create or
// .get (the JSON of the WebAuthn specification, {"publicKey": ...}); ID comes back with
// the browser's answer. Herald keeps the ceremony's state under the ID's hash.
type Ceremony struct {
	ID      string
	Options []byte
}

func (p *Passkeys) off() error {
	if !p.Enabled() {
		return domain.Errorf(domain.CodeUnavailable, "Passkeys are not configured on this Herald.")
	}
	return nil
}

// BeginRegistration starts adding a passkey to the session's person. It needs a sign-in of
// the last RecentSignIn or the person's password. Errors: CodeInvalid (password missing or
// wrong), CodeConflict (MaxPasskeys reached), CodeRateLimited, CodeUnavailable.
func (p *Passkeys) BeginRegistration(ctx context.Context, s domain.Session, password string) (Ceremony, error) {
	if err := p.off(); err != nil {
		return Ceremony{}, err
	}
	now := p.auth.now()
	recent := s.Token.Kind == domain.TokenSession && now.Sub(s.Token.CreatedAt) < RecentSignIn
	if !recent || password != "" {
		if err := p.checkPassword(ctx, s, password, now); err != nil {
			return Ceremony{}, err
		}
	}
	existing, err := p.List(ctx, s.User.ID)
	if err != nil {
		return Ceremony{}, err
	}
	if len(existing) >= domain.MaxPasskeys {
		return Ceremony{}, domain.Errorf(domain.CodeConflict, "You have %d passkeys, the most Herald keeps; delete one first.", len(existing))
	}
	options, state, err := p.ceremonies.BeginRegistration(ports.PasskeyUser{ID: s.User.ID, Name: s.User.Email, DisplayName: s.User.Name}, existing)
	if err != nil {
		return Ceremony{}, err
	}
	return p.save(ctx, domain.CeremonyRegister, s.User.ID, options, state, now)
}

// checkPassword verifies the session's person's password, throttled as password changes.
func (p *Passkeys) checkPassword(ctx context.Context, s domain.Session, password string, now time.Time) error {
	if password == "" {
		return domain.InvalidField("password", "is required: you signed in more than 10 minutes ago, so give your password again")
	}
	if err := p.auth.throttle(ctx, now, "password-user:"+string(s.User.ID), p.auth.limits.PerEmail); err != nil {
		return err
	}
	if len(password) > domain.MaxPasswordBytes {
		password = password[:domain.MaxPasswordBytes]
	}
	var hash string
	if err := p.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		_, hash, err = tx.Users().ByEmail(ctx, s.User.Email)
		return err
	}); err != nil {
		return err
	}
	ok, err := p.auth.hasher.Verify(hash, password)
	if err != nil {
		return fmt.Errorf("app: verify password of %s: %w", s.User.ID, err)
	}
	if !ok {
		return domain.InvalidField("password", "is not your current password")
	}
	return nil
}

// FinishRegistration checks the browser's answer to the ceremony id and keeps the new
// passkey under name ("" names it "Passkey"). The ceremony works once. Errors: CodeInvalid
// (name; a ceremony that is unknown, used, expired or someone else's; an unreadable
// answer), CodeUnauthenticated (an answer that does not verify), CodeConflict (the passkey
// is registered already), CodeUnavailable.
func (p *Passkeys) FinishRegistration(ctx context.Context, s domain.Session, id, name string, response []byte, ip string) (domain.Passkey, error) {
	if err := p.off(); err != nil {
		return domain.Passkey{}, err
	}
	now := p.auth.now()
	if name == "" {
		name = "Passkey"
	}
	name, err := domain.PasskeyName(name)
	if err != nil {
		return domain.Passkey{}, err
	}
	user, state, err := p.take(ctx, id, domain.CeremonyRegister, now)
	if domain.CodeOf(err) == domain.CodeNotFound || (err == nil && user != s.User.ID) {
		return domain.Passkey{}, domain.InvalidField("ceremony_id", "is unknown, expired or used already: start adding the passkey again")
	}
	if err != nil {
		return domain.Passkey{}, err
	}
	existing, err := p.List(ctx, s.User.ID)
	if err != nil {
		return domain.Passkey{}, err
	}
	pk, err := p.ceremonies.FinishRegistration(ports.PasskeyUser{ID: s.User.ID, Name: s.User.Email, DisplayName: s.User.Name}, existing, state, response)
	if err != nil {
		return domain.Passkey{}, err
	}
	pk.UserID, pk.Name, pk.CreatedAt = s.User.ID, name, now
	err = p.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Passkeys().Create(ctx, &pk); err != nil {
			if domain.CodeOf(err) == domain.CodeConflict {
				return domain.Errorf(domain.CodeConflict, "That passkey is registered with Herald already.")
			}
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: s.User.ID, IP: ip, Action: "passkey.added", Subject: string(pk.ID),
			Details: map[string]string{"name": pk.Name}, At: now})
	})
	if err != nil {
		return domain.Passkey{}, err
	}
	return pk, nil
}

// List returns the person's passkeys, oldest first.
func (p *Passkeys) List(ctx context.Context, user domain.UserID) ([]domain.Passkey, error) {
	var out []domain.Passkey
	err := p.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Passkeys().List(ctx, user)
		return err
	})
	return out, err
}

// HasPasskey says whether the person has a passkey: a company that requires two-factor
// sign-in accepts them, because a passkey is a phishing-resistant second factor.
func (p *Passkeys) HasPasskey(ctx context.Context, user domain.UserID) (bool, error) {
	ks, err := p.List(ctx, user)
	return len(ks) > 0, err
}

// Rename gives the person's passkey id a new name. Errors: CodeInvalid (name),
// CodeNotFound (also another person's passkey).
func (p *Passkeys) Rename(ctx context.Context, user domain.UserID, id domain.PasskeyID, name, ip string) error {
	name, err := domain.PasskeyName(name)
	if err != nil {
		return err
	}
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Passkeys().Rename(ctx, user, id, name); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, IP: ip, Action: "passkey.renamed", Subject: string(id),
			Details: map[string]string{"name": name}, At: p.auth.now()})
	})
}

// Delete removes the person's passkey id: it signs nobody in any more. Errors:
// CodeNotFound (also another person's passkey).
func (p *Passkeys) Delete(ctx context.Context, user domain.UserID, id domain.PasskeyID, ip string) error {
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		pk, err := tx.Passkeys().Delete(ctx, user, id)
		if err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, IP: ip, Action: "passkey.deleted", Subject: string(id),
			Details: map[string]string{"name": pk.Name}, At: p.auth.now()})
	})
}

// BeginLogin starts a sign-in with a passkey: no email is asked, the passkey names its
// person. Attempts count against the client address's sign-in limit. Errors:
// CodeRateLimited, CodeUnavailable.
func (p *Passkeys) BeginLogin(ctx context.Context, ip string) (Ceremony, error) {
	if err := p.off(); err != nil {
		return Ceremony{}, err
	}
	now := p.auth.now()
	if err := p.auth.throttle(ctx, now, "login-ip:"+ip, p.auth.limits.PerIP); err != nil {
		return Ceremony{}, err
	}
	options, state, err := p.ceremonies.BeginLogin()
	if err != nil {
		return Ceremony{}, err
	}
	return p.save(ctx, domain.CeremonyLogin, "", options, state, now)
}

// FinishLogin checks the authenticator's assertion for the ceremony id and starts a session
// as Auth.Login does (named PasskeySessionName). The ceremony works once, whatever the
// outcome. Errors: CodeUnauthenticated (a ceremony that is unknown, used or expired; an
// assertion that does not verify: wrong origin, challenge or signature, an unknown passkey,
// another person's, a counter that went backwards), CodeInvalid (an unreadable answer),
// CodeRateLimited, CodeUnavailable.
func (p *Passkeys) FinishLogin(ctx context.Context, id string, response []byte, ip string) (domain.User, Issued, error) {
	if err := p.off(); err != nil {
		return domain.User{}, Issued{}, err
	}
	now := p.auth.now()
	if err := p.auth.throttle(ctx, now, "login-ip:"+ip, p.auth.limits.PerIP); err != nil {
		return domain.User{}, Issued{}, err
	}
	_, state, err := p.take(ctx, id, domain.CeremonyLogin, now)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.User{}, Issued{}, domain.Errorf(domain.CodeUnauthenticated, "That passkey sign-in expired or was used already. Try again.")
	}
	if err != nil {
		return domain.User{}, Issued{}, err
	}
	var u domain.User
	var issued Issued
	err = p.store.InTx(ctx, func(tx ports.Tx) error {
		pk, err := p.ceremonies.FinishLogin(state, response, func(credentialID []byte) (domain.Passkey, error) {
			return tx.Passkeys().LockByCredential(ctx, credentialID)
		})
		if err != nil {
			return err
		}
		pk.LastUsedAt = now
		if err := tx.Passkeys().RecordUse(ctx, pk); err != nil {
			return err
		}
		if u, err = tx.Users().Get(ctx, pk.UserID); err != nil {
			return err
		}
		if err := tx.Users().RememberAddress(ctx, u.ID, addressHash(u.ID, ip), now); err != nil {
			return err
		}
		issued, err = issue(ctx, tx, domain.Token{UserID: u.ID, Kind: domain.TokenSession, Name: PasskeySessionName, CreatedAt: now,
			ExpiresAt: now.Add(domain.SessionLifetime)})
		return err
	})
	if err != nil {
		return domain.User{}, Issued{}, err
	}
	return u, issued, nil
}

// save keeps a begun ceremony's state under the hash of a new random id.
func (p *Passkeys) save(ctx context.Context, kind domain.PasskeyCeremony, user domain.UserID, options, state []byte, now time.Time) (Ceremony, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Ceremony{}, fmt.Errorf("app: ceremony id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.Passkeys().SaveCeremony(ctx, hashSecret(id), kind, user, state, now.Add(domain.PasskeyCeremonyLifetime))
	})
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{ID: id, Options: options}, nil
}

// take removes the ceremony id of kind in a transaction of its own, so it is used up even
// when what follows fails. Errors: CodeNotFound.
func (p *Passkeys) take(ctx context.Context, id string, kind domain.PasskeyCeremony, now time.Time) (domain.UserID, []byte, error) {
	if id == "" || len(id) > 100 {
		return "", nil, domain.Errorf(domain.CodeNotFound, "That passkey ceremony does not exist.")
	}
	var user domain.UserID
	var state []byte
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		user, state, err = tx.Passkeys().TakeCeremony(ctx, hashSecret(id), kind, now)
		return err
	})
	return user, state, err
}
