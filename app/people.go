package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// EmailsPerWindow is how many verification or password-reset emails one address (and one
// person) may ask for in a throttling window: enough for a lost email, too few to flood.
const EmailsPerWindow = 3

// The prefixes of person tokens, after TokenPrefix, so a leaked one says what it is.
const (
	verifyTokenPrefix = TokenPrefix + "vfy_"
	resetTokenPrefix  = TokenPrefix + "pwr_"
)

// errLinkUnknown is the one answer for a link Herald never made (or forgot a week after it
// expired).
var errLinkUnknown = domain.Errorf(domain.CodeNotFound, "This link does not work: it is unknown or too old. Ask for a new one.")

// personTokenPrefix returns the prefix of purpose's tokens.
func personTokenPrefix(p domain.PersonTokenPurpose) string {
	if p == domain.PurposePasswordReset {
		return resetTokenPrefix
	}
	return verifyTokenPrefix
}

// issuePersonToken stores a new single-use link of purpose for u's address in tx and returns
// its secret (shown only in the email).
func issuePersonToken(ctx context.Context, tx ports.Tx, u domain.User, purpose domain.PersonTokenPurpose, lifetime time.Duration, now time.Time) (string, domain.PersonToken, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", domain.PersonToken{}, fmt.Errorf("app: person token: %w", err)
	}
	secret := personTokenPrefix(purpose) + base64.RawURLEncoding.EncodeToString(raw)
	t := domain.PersonToken{UserID: u.ID, Purpose: purpose, Email: u.Email, ExpiresAt: now.Add(lifetime).UTC(), CreatedAt: now.UTC()}
	if err := tx.PersonTokens().Create(ctx, &t, hashSecret(secret)); err != nil {
		return "", domain.PersonToken{}, err
	}
	return secret, t, nil
}

// takePersonToken locks the link secret of purpose in tx and checks that it still works.
// Errors: CodeNotFound (unknown), CodeGone (used or expired).
func takePersonToken(ctx context.Context, tx ports.Tx, purpose domain.PersonTokenPurpose, secret string, now time.Time) (domain.PersonToken, error) {
	if !strings.HasPrefix(secret, personTokenPrefix(purpose)) || len(secret) > 100 {
		return domain.PersonToken{}, errLinkUnknown
	}
	t, err := tx.PersonTokens().Lock(ctx, purpose, hashSecret(secret))
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.PersonToken{}, errLinkUnknown
	}
	if err != nil {
		return domain.PersonToken{}, err
	}
	return t, t.Check(now)
}

// mailOn reports whether emails can reach people (an SMTP server and templates).
func (m *Mail) mailOn() bool { return m != nil && m.templates != nil && m.mailer != nil }

// queueVerification sends u a link that verifies their address, in tx.
func (a *Auth) queueVerification(ctx context.Context, tx ports.Tx, u domain.User, now time.Time) error {
	secret, t, err := issuePersonToken(ctx, tx, u, domain.PurposeVerifyEmail, domain.VerifyEmailLifetime, now)
	if err != nil {
		return err
	}
	return a.mail.queue(ctx, tx, domain.Email{UserID: u.ID, To: u.Email, Template: domain.EmailVerify,
		EventKey: "verify_email:" + string(t.ID), CreatedAt: now,
		Data: map[string]string{"name": u.Name, "link": a.mail.URL("/verify-email?token=" + url.QueryEscape(secret)),
			"expires": emailTime(t.ExpiresAt)}})
}

// VerifyEmail marks the address a verification link was sent to verified, once; the
// person need not be signed in (the link is the proof). Errors: CodeNotFound (unknown link),
// CodeGone (used or expired), CodeConflict (the person's address changed since).
func (a *Auth) VerifyEmail(ctx context.Context, secret string) (domain.User, error) {
	now := a.now()
	var u domain.User
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		t, err := takePersonToken(ctx, tx, domain.PurposeVerifyEmail, secret, now)
		if err != nil {
			return err
		}
		if u, err = tx.Users().Get(ctx, t.UserID); err != nil {
			return err
		}
		if u.Email != t.Email {
			return domain.Errorf(domain.CodeConflict, "This link was for %s, which is no longer your address. Ask for a new one.", t.Email)
		}
		if _, err := tx.PersonTokens().UseAll(ctx, u.ID, domain.PurposeVerifyEmail, now); err != nil {
			return err
		}
		if u.Verified() {
			return nil
		}
		u.EmailVerifiedAt = now.UTC()
		if err := tx.Users().SetEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: u.ID, Action: "user.email_verified", Subject: string(u.ID), At: now})
	})
	return u, err
}

// ResendVerification emails the person a new verification link, throttled to
// EmailsPerWindow per person. Errors: CodeConflict (already verified), CodeRateLimited,
// CodeUnavailable (no SMTP server: the email could not reach them).
func (a *Auth) ResendVerification(ctx context.Context, user domain.UserID) error {
	now := a.now()
	if !a.mail.mailOn() {
		return domain.Errorf(domain.CodeUnavailable, "Email is not configured on this Herald, so no verification link can be sent.")
	}
	if err := a.throttle(ctx, now, "verify-resend:"+string(user), EmailsPerWindow); err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		u, err := tx.Users().Get(ctx, user)
		if err != nil {
			return err
		}
		if u.Verified() {
			return domain.Errorf(domain.CodeConflict, "Your email address is already verified.")
		}
		return a.queueVerification(ctx, tx, u, now)
	})
}

// RequestPasswordReset emails a single-use link that sets a new password (working for an
// hour) to email when it belongs to someone. The answer, and as nearly as can be the time
// it takes, are the same whether or not it does, so nobody learns who has an account.
// Requests are throttled per client address and per email. Errors: CodeInvalid (not an
// email address), CodeRateLimited.
func (a *Auth) RequestPasswordReset(ctx context.Context, email, ip string) error {
	now := a.now()
	email = domain.NormalizeEmail(email)
	v := domain.Violations{}
	domain.CheckEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.throttle(ctx, now, "reset-ip:"+ip, a.limits.PerIP); err != nil {
		return err
	}
	if err := a.throttle(ctx, now, "reset-email:"+email, EmailsPerWindow); err != nil {
		return err
	}
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		u, _, err := tx.Users().ByEmail(ctx, email)
		if domain.CodeOf(err) == domain.CodeNotFound {
			// The work of an email that is sent, without storing anything, so the answer
			// takes about as long.
			if a.mail != nil && a.mail.templates != nil {
				_, _, _, _ = a.mail.templates.Render(domain.EmailPasswordReset, "", map[string]string{"name": "", "link": a.mail.URL("/password-reset/confirm?token=")})
				_, _ = a.mail.cipher.Seal(make([]byte, 200), emailAAD("password_reset"))
			}
			return nil
		}
		if err != nil {
			return err
		}
		secret, t, err := issuePersonToken(ctx, tx, u, domain.PurposePasswordReset, domain.PasswordResetLifetime, now)
		if err != nil {
			return err
		}
		if err := a.mail.queue(ctx, tx, domain.Email{UserID: u.ID, To: u.Email, Template: domain.EmailPasswordReset,
			EventKey: "password_reset:" + string(t.ID), CreatedAt: now,
			Data: map[string]string{"name": u.Name, "link": a.mail.URL("/password-reset/confirm?token=" + url.QueryEscape(secret)),
				"expires": emailTime(t.ExpiresAt)}}); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: u.ID, IP: ip, Action: "user.password_reset_requested", Subject: string(u.ID), At: now})
	})
	return err
}

// CheckPasswordReset reports whether a password-reset link still works, for its page to
// show the form or say why not. Errors: CodeNotFound (unknown), CodeGone (used or expired).
func (a *Auth) CheckPasswordReset(ctx context.Context, secret string) error {
	return a.store.Read(ctx, func(tx ports.Tx) error {
		_, err := takePersonToken(ctx, tx, domain.PurposePasswordReset, secret, a.now())
		return err
	})
}

// ResetPassword sets a new password with a password-reset link, once: every other reset
// link of the person stops working, every session and login token of theirs ends (personal
// API tokens stay), and their address counts as verified (they read the email). The person
// then signs in with the new password. Errors: CodeNotFound (unknown link), CodeGone (used
// or expired), CodeInvalid (field password), CodeRateLimited.
func (a *Auth) ResetPassword(ctx context.Context, secret, password, ip string) (domain.User, error) {
	now := a.now()
	if err := a.throttle(ctx, now, "reset-ip:"+ip, a.limits.PerIP); err != nil {
		return domain.User{}, err
	}
	if err := a.CheckPasswordReset(ctx, secret); err != nil {
		return domain.User{}, err
	}
	v := domain.Violations{}
	domain.CheckPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return domain.User{}, fmt.Errorf("app: hash password: %w", err)
	}
	var u domain.User
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		t, err := takePersonToken(ctx, tx, domain.PurposePasswordReset, secret, now)
		if err != nil {
			return err
		}
		if u, err = tx.Users().Get(ctx, t.UserID); err != nil {
			return err
		}
		if u.Email != t.Email {
			return domain.Errorf(domain.CodeGone, "This link was for %s, which is no longer your address. Ask for a new one.", t.Email)
		}
		if _, err := tx.PersonTokens().UseAll(ctx, u.ID, domain.PurposePasswordReset, now); err != nil {
			return err
		}
		if err := tx.Users().SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		n, err := tx.Tokens().DeleteSessions(ctx, u.ID, "")
		if err != nil {
			return err
		}
		if !u.Verified() {
			u.EmailVerifiedAt = now.UTC()
			if err := tx.Users().SetEmailVerified(ctx, u.ID, now); err != nil {
				return err
			}
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: u.ID, IP: ip, Action: "user.password_reset", Subject: string(u.ID),
			Details: map[string]string{"sessions_ended": fmt.Sprint(n)}, At: now})
	})
	if err != nil {
		return domain.User{}, err
	}
	return u, nil
}

// errVerifyFirst refuses invitations to people whose address is not verified; the
// invitation is left as it was.
var errVerifyFirst = domain.Errorf(domain.CodeForbidden, "Verify your email address first: open the link we emailed you, or ask for a new one. The invitation keeps working meanwhile.")

// IsVerifyFirst reports whether err is the refusal of an invitation to a person whose
// address is not verified yet, so pages can offer to resend the link.
func IsVerifyFirst(err error) bool { return errors.Is(err, errVerifyFirst) }

// queueInvitationEmail emails the invitee the invitation's link, in tx. Its event is the
// invitation's link: a renewal (a new link) sends a new email, a retry never two.
func (t *Teams) queueInvitationEmail(ctx context.Context, tx ports.Tx, actor domain.Actor, inv domain.Invitation, secret string) error {
	if t.mail == nil {
		return nil
	}
	inviter, err := tx.Users().Get(ctx, actor.UserID)
	if err != nil {
		return err
	}
	c, err := tx.Companies().Get(ctx, inv.CompanyID)
	if err != nil {
		return err
	}
	h := hashSecret(secret)
	return t.mail.queue(ctx, tx, domain.Email{CompanyID: inv.CompanyID, To: inv.Email, Template: domain.EmailInvitation,
		EventKey: "invitation:" + string(inv.ID) + ":" + hex.EncodeToString(h[:8]), CreatedAt: t.now(),
		Data: map[string]string{"company": c.Name, "inviter": inviter.Name, "role": string(inv.Role), "link": t.acceptURL(secret),
			"expires": emailTime(inv.ExpiresAt)}})
}

// MailEnabled reports whether invitations reach people by email; without it the inviter
// sends the link themselves.
func (t *Teams) MailEnabled() bool { return t.mail.mailOn() }

// registerAddress decides, in tx, about the address of u, who just registered: with an
// invitation sent to that very address the link proved it (it was emailed there); without
// a way to send email nobody could ever prove it, so it counts as verified; otherwise a
// verification link is emailed.
func (a *Auth) registerAddress(ctx context.Context, tx ports.Tx, u *domain.User, invitation string, now time.Time) error {
	proved := !a.mail.mailOn()
	if invitation != "" && !proved && plausibleInvitationToken(invitation) {
		inv, err := tx.Invitations().ByToken(ctx, hashSecret(invitation), now)
		if err != nil && domain.CodeOf(err) != domain.CodeNotFound {
			return err
		}
		proved = err == nil && inv.Email == u.Email
	}
	if proved {
		u.EmailVerifiedAt = now.UTC()
		return tx.Users().SetEmailVerified(ctx, u.ID, now)
	}
	return a.queueVerification(ctx, tx, *u, now)
}

// emailTime writes t for an email, in UTC (emails do not know the reader's zone).
func emailTime(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") }
