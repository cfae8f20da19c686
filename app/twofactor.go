package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TOTPIssuer names Herald in people's authenticator apps.
const TOTPIssuer = "Herald"

// MFATokenPrefix starts the token of a sign-in waiting for its second factor.
const MFATokenPrefix = TokenPrefix + "mfa_"

// TOTPEnrolment is a begun enrolment of an authenticator app, shown once: the secret for
// typing in (base32), the otpauth:// address and the same as a QR code (PNG).
type TOTPEnrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// QRDataURL returns the QR code as a data: URL for an img element.
func (e TOTPEnrolment) QRDataURL() string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG)
}

// TwoFactorStatus returns the person's two-factor sign-in settings.
func (a *Auth) TwoFactorStatus(ctx context.Context, user domain.UserID) (domain.TwoFactorStatus, error) {
	var st domain.TwoFactorStatus
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		s, err := tx.TwoFactor().TOTP(ctx, user)
		switch domain.CodeOf(err) {
		case domain.CodeNotFound:
			return nil
		case "":
		default:
			return err
		}
		st.Enabled, st.EnabledAt, st.Pending = !s.EnabledAt.IsZero(), s.EnabledAt, s.EnabledAt.IsZero()
		st.RecoveryCodesLeft, err = tx.TwoFactor().RecoveryCodesLeft(ctx, user)
		return err
	})
	return st, err
}

// BeginTOTP starts enrolling an authenticator app for the session's person: a new secret,
// sealed at rest, that works once ConfirmTOTP gets a code of it. Beginning again replaces
// a pending secret. Errors: CodeConflict (two-factor sign-in is already on).
func (a *Auth) BeginTOTP(ctx context.Context, s domain.Session) (TOTPEnrolment, error) {
	if a.otp == nil {
		return TOTPEnrolment{}, errNoOTP
	}
	secret, err := a.otp.NewSecret()
	if err != nil {
		return TOTPEnrolment{}, err
	}
	e, err := a.enrolment(s.User, secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	sealed, err := a.cipher.Seal([]byte(secret), totpAAD(s.User.ID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("app: seal totp secret: %w", err)
	}
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.TwoFactor().BeginTOTP(ctx, ports.TOTPSecret{UserID: s.User.ID, Sealed: sealed, CreatedAt: a.now()})
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return e, nil
}

// PendingTOTP shows again the enrolment that waits for its first code (after a mistyped
// code), so the person need not scan a new one. Errors: CodeNotFound (none waits).
func (a *Auth) PendingTOTP(ctx context.Context, s domain.Session) (TOTPEnrolment, error) {
	var sec ports.TOTPSecret
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		sec, err = tx.TwoFactor().TOTP(ctx, s.User.ID)
		return err
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if !sec.EnabledAt.IsZero() {
		return TOTPEnrolment{}, domain.Errorf(domain.CodeNotFound, "No authenticator waits for its first code.")
	}
	secret, err := a.cipher.Open(sec.Sealed, totpAAD(s.User.ID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("app: open totp secret of %s: %w", s.User.ID, err)
	}
	return a.enrolment(s.User, string(secret))
}

// enrolment is secret as people add it to their app: the key, its otpauth:// address and
// that address as a QR code.
func (a *Auth) enrolment(u domain.User, secret string) (TOTPEnrolment, error) {
	if a.otp == nil {
		return TOTPEnrolment{}, errNoOTP
	}
	url, err := a.otp.URL(TOTPIssuer, u.Email, secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	qr, err := a.otp.QRCode(url, 240)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: secret, URL: url, QRPNG: qr}, nil
}

// errNoOTP answers two-factor use cases when Deps.OTP is missing.
var errNoOTP = domain.Errorf(domain.CodeUnavailable, "Two-factor sign-in is not available on this Herald.")

// ConfirmTOTP turns two-factor sign-in on with the first code of the pending secret and
// returns the person's recovery codes, shown this once. Other sessions stay signed in.
// Errors: CodeInvalid (code), CodeConflict (no enrolment begun, or already on),
// CodeRateLimited.
func (a *Auth) ConfirmTOTP(ctx context.Context, s domain.Session, code string) ([]string, error) {
	now := a.now()
	if err := a.throttle(ctx, now, twoFactorKey(s.User.ID), a.limits.PerEmail); err != nil {
		return nil, err
	}
	var codes []string
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		sec, err := tx.TwoFactor().LockTOTP(ctx, s.User.ID)
		if domain.CodeOf(err) == domain.CodeNotFound || (err == nil && !sec.EnabledAt.IsZero()) {
			return domain.Errorf(domain.CodeConflict, "Start setting up two-factor sign-in first: there is no authenticator waiting for its first code.")
		}
		if err != nil {
			return err
		}
		step, err := a.matchTOTP(sec, code, now)
		if err != nil {
			return err
		}
		if err := tx.TwoFactor().EnableTOTP(ctx, s.User.ID, step, now); err != nil {
			return err
		}
		if codes, err = replaceRecoveryCodes(ctx, tx, s.User.ID, now); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: s.User.ID, Action: "user.two_factor_enabled", Subject: string(s.User.ID), At: now})
	})
	return codes, err
}

// TwoFactorDisable is what a person gives to turn two-factor sign-in off: their password
// and a code of their authenticator (or one of their recovery codes).
type TwoFactorDisable struct {
	Password, Code string
}

// DisableTOTP turns the person's two-factor sign-in off, deletes their recovery codes and
// ends every other session of theirs (the one it was called with stays). Errors:
// CodeInvalid (password or code wrong, naming the field), CodeConflict (it is not on),
// CodeRateLimited.
func (a *Auth) DisableTOTP(ctx context.Context, s domain.Session, in TwoFactorDisable) error {
	now := a.now()
	if err := a.throttle(ctx, now, twoFactorKey(s.User.ID), a.limits.PerEmail); err != nil {
		return err
	}
	v := domain.Violations{}
	if in.Password == "" {
		v.Add("password", "is required")
	}
	if strings.TrimSpace(in.Code) == "" {
		v.Add("code", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.checkPassword(ctx, s.User, in.Password, "password"); err != nil {
		return err
	}
	keep := domain.TokenID("")
	if s.Token.Kind == domain.TokenSession {
		keep = s.Token.ID
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		method, err := a.verifySecondFactor(ctx, tx, s.User.ID, in.Code, now)
		if err != nil {
			return err
		}
		if err := tx.TwoFactor().DeleteTOTP(ctx, s.User.ID); err != nil {
			return err
		}
		n, err := tx.Tokens().DeleteSessions(ctx, s.User.ID, keep)
		if err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: s.User.ID, Action: "user.two_factor_disabled", Subject: string(s.User.ID),
			Details: map[string]string{"method": method, "sessions_ended": fmt.Sprint(n)}, At: now})
	})
}

// RegenerateRecoveryCodes replaces every recovery code of the person with new ones, shown
// this once, after a code of their authenticator. Errors: CodeInvalid (code), CodeConflict
// (two-factor sign-in is not on), CodeRateLimited.
func (a *Auth) RegenerateRecoveryCodes(ctx context.Context, s domain.Session, code string) ([]string, error) {
	now := a.now()
	if err := a.throttle(ctx, now, twoFactorKey(s.User.ID), a.limits.PerEmail); err != nil {
		return nil, err
	}
	var codes []string
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		if err := a.verifyTOTP(ctx, tx, s.User.ID, code, now); err != nil {
			return err
		}
		var err error
		if codes, err = replaceRecoveryCodes(ctx, tx, s.User.ID, now); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: s.User.ID, Action: "user.recovery_codes_regenerated", Subject: string(s.User.ID), At: now})
	})
	return codes, err
}

// CompleteLogin finishes a sign-in that Login answered with an MFA token: code is a code of
// the person's authenticator app or one of their recovery codes. It answers as Login does.
// Errors: CodeUnauthenticated (unknown, used or expired token: sign in again),
// CodeInvalid (field code), CodeRateLimited.
func (a *Auth) CompleteLogin(ctx context.Context, mfaToken, code, ip string) (domain.User, Issued, error) {
	if strings.TrimSpace(code) == "" {
		return domain.User{}, Issued{}, domain.InvalidField("code", "is required: the 6 digits your authenticator app shows, or a recovery code")
	}
	return a.CompleteSecondFactor(ctx, mfaToken, ip, func(ctx context.Context, tx ports.Tx, u domain.User, now time.Time) (string, error) {
		return a.verifySecondFactor(ctx, tx, u.ID, code, now)
	})
}

// SecondFactorCheck verifies a second factor of u inside the sign-in's transaction and
// returns the method it was ("totp", "recovery_code", or another factor's name); a wrong
// factor is an error (CodeInvalid), and the transaction rolls back.
type SecondFactorCheck func(ctx context.Context, tx ports.Tx, u domain.User, now time.Time) (method string, err error)

// CompleteSecondFactor is the one path by which a sign-in waiting for its second factor
// (Login's MFA token) becomes a session: it counts the attempt (a challenge takes
// domain.MFAChallengeAttempts, the person's codes are throttled like passwords), runs check,
// and when it passes, ends the challenge, remembers the address, audits the sign-in and
// issues the session. Every second factor (TOTP, recovery codes, passkeys) goes through it.
// Errors: CodeUnauthenticated (unknown, used, expired or exhausted token), check's error,
// CodeRateLimited.
func (a *Auth) CompleteSecondFactor(ctx context.Context, mfaToken, ip string, check SecondFactorCheck) (domain.User, Issued, error) {
	now := a.now()
	expired := domain.Errorf(domain.CodeUnauthenticated, "This sign-in has expired or was already used. Sign in again with your email and password.")
	if !strings.HasPrefix(mfaToken, MFATokenPrefix) || len(mfaToken) > 200 {
		return domain.User{}, Issued{}, expired
	}
	if err := a.throttle(ctx, now, "login-ip:"+ip, a.limits.PerIP); err != nil {
		return domain.User{}, Issued{}, err
	}
	hash := hashSecret(mfaToken)
	var ch domain.MFAChallenge
	// The attempt is counted in a transaction of its own, so a wrong code (which rolls
	// the check back) still counts.
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		ch, err = tx.TwoFactor().CountChallengeAttempt(ctx, hash, now)
		if err != nil {
			return err
		}
		if ch.Attempts > domain.MFAChallengeAttempts {
			_, err = tx.TwoFactor().TakeChallenge(ctx, ch.ID)
		}
		return err
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.User{}, Issued{}, expired
	}
	if err != nil {
		return domain.User{}, Issued{}, err
	}
	if ch.Attempts > domain.MFAChallengeAttempts {
		return domain.User{}, Issued{}, domain.Errorf(domain.CodeUnauthenticated, "Too many wrong codes for this sign-in. Sign in again with your email and password.")
	}
	if err := a.throttle(ctx, now, twoFactorKey(ch.UserID), a.limits.PerEmail); err != nil {
		return domain.User{}, Issued{}, err
	}
	var u domain.User
	var issued Issued
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if u, err = tx.Users().Get(ctx, ch.UserID); err != nil {
			return err
		}
		method, err := check(ctx, tx, u, now)
		if err != nil {
			return err
		}
		if took, err := tx.TwoFactor().TakeChallenge(ctx, ch.ID); err != nil {
			return err
		} else if !took {
			return expired
		}
		if err := tx.Users().RememberAddress(ctx, u.ID, addressHash(u.ID, ip), now); err != nil {
			return err
		}
		if err := tx.Audit().Record(ctx, domain.AuditEntry{ActorID: u.ID, IP: ip, Action: "user.signed_in_two_factor", Subject: string(u.ID),
			Details: map[string]string{"method": method}, At: now}); err != nil {
			return err
		}
		issued, err = issue(ctx, tx, domain.Token{UserID: u.ID, Kind: domain.TokenSession, Name: "login", CreatedAt: now, ExpiresAt: now.Add(domain.SessionLifetime)})
		return err
	})
	if err != nil {
		return domain.User{}, Issued{}, err
	}
	return u, issued, nil
}

// startChallenge makes the sign-in of u wait for a second factor: Issued carries the MFA
// token instead of a session.
func (a *Auth) startChallenge(ctx context.Context, u domain.User, now time.Time) (Issued, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Issued{}, fmt.Errorf("app: mfa token: %w", err)
	}
	token := MFATokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	ch := domain.MFAChallenge{UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(domain.MFAChallengeLifetime)}
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		if _, err := tx.TwoFactor().DeleteExpiredChallenges(ctx, now); err != nil {
			return err
		}
		return tx.TwoFactor().CreateChallenge(ctx, &ch, hashSecret(token))
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{MFAToken: token, MFAExpiresAt: ch.ExpiresAt, MFAMethods: []string{domain.MFAMethodTOTP, domain.MFAMethodRecoveryCode}}, nil
}

// hasSecondFactor reports whether signing in as user needs a second factor.
func hasSecondFactor(ctx context.Context, tx ports.Tx, user domain.UserID) (bool, error) {
	s, err := tx.TwoFactor().TOTP(ctx, user)
	switch domain.CodeOf(err) {
	case "":
		return !s.EnabledAt.IsZero(), nil
	case domain.CodeNotFound:
		return false, nil
	}
	return false, err
}

// CheckTwoFactorRequirement returns CodeTwoFactorRequired when the actor's company
// requires two-factor sign-in and the actor has none: no authenticator app, and this
// session was not started with a passkey. Every request in a company passes it.
func (a *Auth) CheckTwoFactorRequirement(ctx context.Context, actor domain.Actor) error {
	if actor.CompanyID == "" || actor.Passkey {
		return nil // a passkey sign-in is two factors in one
	}
	var missing bool
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		missing, err = tx.TwoFactor().Missing(ctx, actor.CompanyID, actor.UserID)
		return err
	})
	if err != nil {
		return err
	}
	if missing {
		return domain.TwoFactorRequiredError("")
	}
	return nil
}

// verifySecondFactor accepts a code of the user's authenticator, or else one of their
// unused recovery codes (then used up), and returns which it was.
func (a *Auth) verifySecondFactor(ctx context.Context, tx ports.Tx, user domain.UserID, code string, now time.Time) (string, error) {
	if _, ok := domain.NormalizeTOTPCode(code); ok {
		return domain.MFAMethodTOTP, a.verifyTOTP(ctx, tx, user, code, now)
	}
	err := tx.TwoFactor().UseRecoveryCode(ctx, user, recoveryHash(user, code), now)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return "", domain.InvalidField("code", "is not a code of your authenticator app or an unused recovery code")
	}
	if err != nil {
		return "", err
	}
	if err := tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, Action: "user.recovery_code_used", Subject: string(user), At: now}); err != nil {
		return "", err
	}
	return domain.MFAMethodRecoveryCode, nil
}

// verifyTOTP accepts a code of the user's enabled authenticator and records its step, so
// the same code (or an older one) never works again.
func (a *Auth) verifyTOTP(ctx context.Context, tx ports.Tx, user domain.UserID, code string, now time.Time) error {
	sec, err := tx.TwoFactor().LockTOTP(ctx, user)
	if domain.CodeOf(err) == domain.CodeNotFound || (err == nil && sec.EnabledAt.IsZero()) {
		return domain.Errorf(domain.CodeConflict, "Two-factor sign-in is not on.")
	}
	if err != nil {
		return err
	}
	step, err := a.matchTOTP(sec, code, now)
	if err != nil {
		return err
	}
	return tx.TwoFactor().UseStep(ctx, user, step)
}

// matchTOTP returns the time step code belongs to, within one step of now either way,
// refusing a step at or before the last one used. Every candidate is computed and
// compared in constant time.
func (a *Auth) matchTOTP(sec ports.TOTPSecret, code string, now time.Time) (int64, error) {
	if a.otp == nil {
		return 0, errNoOTP
	}
	code, ok := domain.NormalizeTOTPCode(code)
	if !ok {
		return 0, domain.InvalidField("code", fmt.Sprintf("must be the %d digits your authenticator app shows", domain.TOTPDigits))
	}
	secret, err := a.cipher.Open(sec.Sealed, totpAAD(sec.UserID))
	if err != nil {
		return 0, fmt.Errorf("app: open totp secret of %s: %w", sec.UserID, err)
	}
	cur := domain.TOTPStep(now)
	matched := int64(-1)
	for d := int64(-domain.TOTPSkew); d <= domain.TOTPSkew; d++ {
		want, err := a.otp.Code(string(secret), domain.TOTPStepTime(cur+d))
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = cur + d
		}
	}
	switch {
	case matched < 0:
		return 0, domain.InvalidField("code", "is not the current code of your authenticator app")
	case matched <= sec.LastStep:
		return 0, domain.InvalidField("code", "was used already: wait for the next code")
	}
	return matched, nil
}

// checkPassword verifies the person's password, or returns CodeInvalid on field.
func (a *Auth) checkPassword(ctx context.Context, u domain.User, password, field string) error {
	var hash string
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		_, hash, err = tx.Users().ByEmail(ctx, u.Email)
		return err
	}); err != nil {
		return err
	}
	if len(password) > domain.MaxPasswordBytes {
		password = password[:domain.MaxPasswordBytes]
	}
	ok, err := a.hasher.Verify(hash, password)
	if err != nil {
		return fmt.Errorf("app: verify password of %s: %w", u.ID, err)
	}
	if !ok {
		return domain.InvalidField(field, "is not your current password")
	}
	return nil
}

// replaceRecoveryCodes stores new recovery codes for user, invalidating the old ones, and
// returns them (grouped xxxx-xxxx-xxxx) for showing once.
func replaceRecoveryCodes(ctx context.Context, tx ports.Tx, user domain.UserID, now time.Time) ([]string, error) {
	codes := make([]string, domain.RecoveryCodeCount)
	hashes := make([][]byte, domain.RecoveryCodeCount)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i := range codes {
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("app: recovery code: %w", err)
		}
		c := strings.ToLower(enc.EncodeToString(raw))[:12] // 60 random bits
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:]
		hashes[i] = recoveryHash(user, c)
	}
	if err := tx.TwoFactor().ReplaceRecoveryCodes(ctx, user, hashes, now); err != nil {
		return nil, err
	}
	return codes, nil
}

// recoveryHash is the stored hash of a recovery code: codes carry 60 random bits and are
// throttled like passwords, so a salted SHA-256 is enough and lets them be looked up.
func recoveryHash(user domain.UserID, code string) []byte {
	h := sha256.Sum256([]byte("herald/v1|recovery_code|" + string(user) + "|" + domain.NormalizeRecoveryCode(code)))
	return h[:]
}

// totpAAD binds a sealed TOTP secret to its person.
func totpAAD(user domain.UserID) []byte { return []byte("herald/v1|totp|" + string(user)) }

// twoFactorKey is the throttling key of a person's second-factor codes.
func twoFactorKey(user domain.UserID) string { return "2fa-user:" + string(user) }
