package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// rfc6238 computes a 6-digit TOTP code (HMAC-SHA-1, 30 s steps) of the base32 secret at t,
// written from the RFC and not from the library the app uses, so the two check each other.
func rfc6238(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

func TestRFC6238_TestVector(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082 with 6.
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	if got := rfc6238(t, secret, time.Unix(59, 0)); got != "287082" {
		t.Fatalf("rfc6238 = %s, want 287082", got)
	}
}

// mfa is an app with a stopped clock and a person who signs in with a password.
type mfa struct {
	*apptest.App
	t        *testing.T
	ctx      context.Context
	email    string
	password string
	user     domain.User
	company  domain.CompanyID
	session  domain.Session
	secret   string // the session's bearer secret
}

func newMFA(t *testing.T, opts ...apptest.Option) *mfa {
	t.Helper()
	clock := apptest.NewClock()
	clock.Set(time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC)) // the start of a 30 s step
	a := apptest.New(t, append(opts, apptest.WithClock(clock))...)
	m := &mfa{App: a, t: t, ctx: a.Ctx, email: "ada@example.com", password: "correct horse battery"}
	r, err := a.Auth.Register(a.Ctx, app.Registration{Email: m.email, Password: m.password, Name: "Ada", Company: "Ada Ltd"}, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	m.user, m.company, m.secret = r.User, r.Company.ID, r.Session.Secret
	if m.session, err = a.Auth.Authenticate(a.Ctx, r.Session.Secret); err != nil {
		t.Fatal(err)
	}
	return m
}

// enrol turns two-factor sign-in on and returns the secret and the recovery codes.
func (m *mfa) enrol() (string, []string) {
	m.t.Helper()
	e, err := m.Auth.BeginTOTP(m.ctx, m.session)
	if err != nil {
		m.t.Fatal(err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/Herald:") || !strings.Contains(e.URL, "secret="+e.Secret) || len(e.QRPNG) < 100 {
		m.t.Fatalf("enrolment: url %q, %d bytes of QR", e.URL, len(e.QRPNG))
	}
	if _, err := m.Auth.ConfirmTOTP(m.ctx, m.session, "000000x"); domain.FieldsOf(err)["code"] == "" {
		m.t.Fatalf("malformed code: %v, want a problem on code", err)
	}
	codes, err := m.Auth.ConfirmTOTP(m.ctx, m.session, rfc6238(m.t, e.Secret, m.Clock.Now()))
	if err != nil {
		m.t.Fatal(err)
	}
	if len(codes) != domain.RecoveryCodeCount {
		m.t.Fatalf("%d recovery codes, want %d", len(codes), domain.RecoveryCodeCount)
	}
	return e.Secret, codes
}

// challenge signs in with the password and returns the MFA token.
func (m *mfa) challenge() string {
	m.t.Helper()
	_, issued, err := m.Auth.Login(m.ctx, m.email, m.password, "10.0.0.1")
	if err != nil {
		m.t.Fatal(err)
	}
	if issued.Secret != "" || issued.MFAToken == "" {
		m.t.Fatalf("login of a person with 2FA: secret %q, mfa token %q", issued.Secret, issued.MFAToken)
	}
	return issued.MFAToken
}

func (m *mfa) complete(token, code string) (app.Issued, error) {
	_, issued, err := m.Auth.CompleteLogin(m.ctx, token, code, "10.0.0.1")
	return issued, err
}

func (m *mfa) step(n int) { m.Clock.Advance(time.Duration(n) * domain.TOTPPeriod) }

func TestTwoFactor_SignInNeedsTheCurrentCodeOnce(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, _ := m.enrol()
	st, err := m.Auth.TwoFactorStatus(m.ctx, m.user.ID)
	if err != nil || !st.Enabled || st.RecoveryCodesLeft != 10 {
		t.Fatalf("status %+v, %v", st, err)
	}
	if n := m.Count(t, `SELECT count(*) FROM user_totp WHERE position($1::bytea in sealed_secret) > 0`, []byte(secret)); n != 0 {
		t.Fatal("the TOTP secret is stored in clear")
	}

	token := m.challenge()
	// The code that confirmed the enrolment (this step) is used up.
	if _, err := m.complete(token, rfc6238(t, secret, m.Clock.Now())); !strings.Contains(domain.FieldsOf(err)["code"], "used already") {
		t.Fatalf("replayed code: %v", err)
	}
	if _, err := m.complete(token, "123456"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("wrong code: %v", err)
	}
	m.step(1)
	issued, err := m.complete(token, rfc6238(t, secret, m.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Auth.Authenticate(m.ctx, issued.Secret)
	if err != nil || s.User.ID != m.user.ID {
		t.Fatalf("the session of the completed sign-in: %+v, %v", s, err)
	}
	// The challenge is gone once used.
	m.step(1)
	if _, err := m.complete(token, rfc6238(t, secret, m.Clock.Now())); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Fatalf("used challenge: %v", err)
	}
	if n := m.Count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.signed_in_two_factor' AND actor_id = $1`, m.user.ID); n != 1 {
		t.Fatalf("%d sign-in audit entries, want 1", n)
	}
}

func TestTwoFactor_SkewOfOneStepOnlyAndNoReplay(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, _ := m.enrol()
	m.step(10)
	now := m.Clock.Now()
	token := m.challenge()
	if _, err := m.complete(token, rfc6238(t, secret, now.Add(-2*domain.TOTPPeriod))); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("code from two steps ago: %v", err)
	}
	if _, err := m.complete(token, rfc6238(t, secret, now.Add(2*domain.TOTPPeriod))); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("code from two steps ahead: %v", err)
	}
	prev := rfc6238(t, secret, now.Add(-domain.TOTPPeriod))
	if _, err := m.complete(token, prev); err != nil {
		t.Fatalf("code of the step before: %v", err)
	}
	// The same code again, in a new sign-in of the same step: refused.
	if _, err := m.complete(m.challenge(), prev); !strings.Contains(domain.FieldsOf(err)["code"], "used already") {
		t.Fatalf("replay in a new sign-in: %v", err)
	}
	// Having used the step before, the current step's code still works (it is newer).
	if _, err := m.complete(m.challenge(), rfc6238(t, secret, now)); err != nil {
		t.Fatalf("current code after the previous step's: %v", err)
	}
}

func TestTwoFactor_RecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	_, codes := m.enrol()
	if n := m.Count(t, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1`, m.user.ID); n != 10 {
		t.Fatalf("%d stored recovery codes", n)
	}
	if _, err := m.complete(m.challenge(), strings.ToUpper(codes[3])); err != nil {
		t.Fatalf("recovery code (typed in capitals): %v", err)
	}
	if _, err := m.complete(m.challenge(), codes[3]); domain.FieldsOf(err)["code"] == "" {
		t.Fatalf("used recovery code again: %v", err)
	}
	st, _ := m.Auth.TwoFactorStatus(m.ctx, m.user.ID)
	if st.RecoveryCodesLeft != 9 {
		t.Fatalf("%d recovery codes left, want 9", st.RecoveryCodesLeft)
	}
	if n := m.Count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.recovery_code_used' AND actor_id = $1`, m.user.ID); n != 1 {
		t.Fatalf("%d recovery audit entries", n)
	}
}

func TestTwoFactor_ChallengeExpiresAfterFiveMinutes(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, _ := m.enrol()
	token := m.challenge()
	m.Clock.Advance(domain.MFAChallengeLifetime + time.Second)
	if _, err := m.complete(token, rfc6238(t, secret, m.Clock.Now())); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Fatalf("expired challenge: %v", err)
	}
	if _, err := m.complete("hrd_mfa_nonsense", "123456"); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestTwoFactor_ChallengeEndsAfterTooManyWrongCodes(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, _ := m.enrol()
	m.step(1)
	token := m.challenge()
	for i := 0; i < domain.MFAChallengeAttempts; i++ {
		if _, err := m.complete(token, "000000"); domain.CodeOf(err) != domain.CodeInvalid {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := m.complete(token, rfc6238(t, secret, m.Clock.Now())); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Fatalf("the right code after %d wrong ones: %v", domain.MFAChallengeAttempts, err)
	}
}

func TestTwoFactor_WrongCodesAreThrottledPerPerson(t *testing.T) {
	t.Parallel()
	m := newMFA(t, apptest.Limits(app.Limits{Window: 15 * time.Minute, PerIP: 1000, PerEmail: 5, PerAccount: 1000}))
	secret, _ := m.enrol() // two attempts of the person's 5 (a malformed code, then the right one)
	m.step(1)
	for i := 0; i < 3; i++ {
		if _, err := m.complete(m.challenge(), "000000"); domain.CodeOf(err) != domain.CodeInvalid {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	_, err := m.complete(m.challenge(), rfc6238(t, secret, m.Clock.Now()))
	if domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("after 5 attempts in the window: %v, want rate_limited", err)
	}
	// The window passes: the right code works again.
	m.Clock.Advance(15 * time.Minute)
	if _, err := m.complete(m.challenge(), rfc6238(t, secret, m.Clock.Now())); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestTwoFactor_DisableNeedsPasswordAndCodeAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, _ := m.enrol()
	m.step(1)
	other, err := m.complete(m.challenge(), rfc6238(t, secret, m.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	m.step(1)
	code := rfc6238(t, secret, m.Clock.Now())
	if err := m.Auth.DisableTOTP(m.ctx, m.session, app.TwoFactorDisable{Password: "wrong password!!", Code: code}); domain.FieldsOf(err)["password"] == "" {
		t.Fatalf("wrong password: %v", err)
	}
	if err := m.Auth.DisableTOTP(m.ctx, m.session, app.TwoFactorDisable{Password: m.password, Code: "111111"}); domain.FieldsOf(err)["code"] == "" {
		t.Fatalf("wrong code: %v", err)
	}
	if err := m.Auth.DisableTOTP(m.ctx, m.session, app.TwoFactorDisable{Password: m.password, Code: code}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Auth.Authenticate(m.ctx, other.Secret); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Fatalf("the other session after disabling: %v", err)
	}
	if _, err := m.Auth.Authenticate(m.ctx, m.secret); err != nil {
		t.Fatalf("the session that disabled it: %v", err)
	}
	_, issued, err := m.Auth.Login(m.ctx, m.email, m.password, "10.0.0.1")
	if err != nil || issued.Secret == "" || issued.MFAToken != "" {
		t.Fatalf("login after disabling: %+v, %v", issued, err)
	}
	if n := m.Count(t, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1`, m.user.ID); n != 0 {
		t.Fatalf("%d recovery codes left after disabling", n)
	}
	if n := m.Count(t, `SELECT count(*) FROM audit_log WHERE action IN ('user.two_factor_enabled', 'user.two_factor_disabled') AND actor_id = $1`, m.user.ID); n != 2 {
		t.Fatalf("%d audit entries of enabling and disabling, want 2", n)
	}
}

func TestTwoFactor_RegeneratedRecoveryCodesReplaceTheOld(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	secret, old := m.enrol()
	if _, err := m.Auth.RegenerateRecoveryCodes(m.ctx, m.session, old[0]); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("regenerating with a recovery code: %v", err)
	}
	m.step(1)
	fresh, err := m.Auth.RegenerateRecoveryCodes(m.ctx, m.session, rfc6238(t, secret, m.Clock.Now()))
	if err != nil || len(fresh) != 10 {
		t.Fatalf("regenerate: %d codes, %v", len(fresh), err)
	}
	if _, err := m.complete(m.challenge(), old[1]); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("an old recovery code: %v", err)
	}
	if _, err := m.complete(m.challenge(), fresh[1]); err != nil {
		t.Fatalf("a new recovery code: %v", err)
	}
}

func TestTwoFactor_CompanyRequirementIsPerCompany(t *testing.T) {
	t.Parallel()
	m := newMFA(t)
	owner := domain.Actor{UserID: m.user.ID, CompanyID: m.company, Role: domain.RoleOwner}
	on, off := true, false
	if _, err := m.Teams.UpdateSettings(m.ctx, owner, app.CompanyUpdate{Require2FA: &on}, 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("turning it on without 2FA of one's own: %v, want conflict", err)
	}
	m.enrol()
	s, err := m.Teams.UpdateSettings(m.ctx, owner, app.CompanyUpdate{Require2FA: &on}, 0)
	if err != nil || !s.Require2FA {
		t.Fatalf("turning it on: %+v, %v", s.Require2FA, err)
	}
	if err := m.Auth.CheckTwoFactorRequirement(m.ctx, owner); err != nil {
		t.Fatalf("the owner with 2FA: %v", err)
	}
	editor := m.Member(t, m.company, domain.RoleEditor)
	if err := m.Auth.CheckTwoFactorRequirement(m.ctx, editor); domain.CodeOf(err) != domain.CodeTwoFactorRequired {
		t.Fatalf("an editor without 2FA: %v, want two-factor-required", err)
	}
	// Signed in with a passkey, the same editor meets the requirement: a passkey is two
	// factors in one (the device and the person's verification).
	viaPasskey := editor
	viaPasskey.Passkey = true
	if err := m.Auth.CheckTwoFactorRequirement(m.ctx, viaPasskey); err != nil {
		t.Fatalf("an editor signed in with a passkey: %v", err)
	}
	if _, err := m.Teams.UpdateSettings(m.ctx, editor, app.CompanyUpdate{Require2FA: &off}, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("an editor turning it off: %v, want forbidden", err)
	}
	// The same person in another company that does not require it works there.
	other := m.Company(t, domain.RoleOwner)
	elsewhere := domain.Actor{UserID: editor.UserID, CompanyID: other.CompanyID, Role: domain.RoleEditor}
	if err := m.DB.InTx(m.ctx, func(tx ports.Tx) error {
		return tx.Memberships().Add(m.ctx, domain.Membership{CompanyID: other.CompanyID, UserID: editor.UserID, Role: domain.RoleEditor, JoinedAt: m.Clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Auth.CheckTwoFactorRequirement(m.ctx, elsewhere); err != nil {
		t.Fatalf("the editor in a company that does not require it: %v", err)
	}
	// The requirement of one company never reaches another: turning it on in the other
	// company is its own (its owner has no 2FA, so it is refused there).
	if _, err := m.Teams.UpdateSettings(m.ctx, other, app.CompanyUpdate{Require2FA: &on}, 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("the other company's owner without 2FA: %v", err)
	}
	s, err = m.Teams.UpdateSettings(m.ctx, owner, app.CompanyUpdate{Require2FA: &off}, 0)
	if err != nil || s.Require2FA {
		t.Fatalf("turning it off: %+v, %v", s.Require2FA, err)
	}
	if err := m.Auth.CheckTwoFactorRequirement(m.ctx, editor); err != nil {
		t.Fatalf("the editor once it is off: %v", err)
	}
	if n := m.Count(t, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action IN ('company.two_factor_required', 'company.two_factor_optional')`, m.company); n != 2 {
		t.Fatalf("%d audit entries of the requirement, want 2", n)
	}
}
