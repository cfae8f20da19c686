package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// acceptAll is an SMTP server that takes every message: with it, Herald counts as able to
// email people (the outbox is what these tests read).
type acceptAll struct{}

func (acceptAll) Send(context.Context, ports.MailMessage) error { return nil }

// outbox returns the links (the "link" data) of the outbox's emails of template to
// address, oldest first, opened with the test key ring.
func outbox(t *testing.T, a *apptest.App, to, template string) []string {
	t.Helper()
	rows, err := a.DB.SQL().QueryContext(a.Ctx, `SELECT event_key, sealed_data FROM emails WHERE to_address = $1 AND template = $2 ORDER BY created_at, id`,
		strings.ToLower(to), template)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var links []string
	for rows.Next() {
		var key string
		var sealed []byte
		if err := rows.Scan(&key, &sealed); err != nil {
			t.Fatal(err)
		}
		plain, err := a.KeyRing.Open(sealed, []byte("email:"+key))
		if err != nil {
			t.Fatalf("open email %s: %v", key, err)
		}
		var data map[string]string
		if err := json.Unmarshal(plain, &data); err != nil {
			t.Fatal(err)
		}
		links = append(links, data["link"])
	}
	return links
}

// tokenOf returns the token query parameter of an emailed link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

func register(t *testing.T, a *apptest.App, email string) app.Registered {
	t.Helper()
	r, err := a.Auth.Register(a.Ctx, app.Registration{Email: email, Password: "correct horse battery", Name: "Pat", Company: "Pat Co"}, "203.0.113.9")
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return r
}

func TestVerifyEmail_LinkWorksOnceAndExpires(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	r := register(t, a, "pat@example.com")
	if r.User.Verified() {
		t.Fatal("a new person is verified before opening the link")
	}
	links := outbox(t, a, "pat@example.com", domain.EmailVerify)
	if len(links) != 1 || !strings.HasPrefix(links[0], apptest.AppURL+"/verify-email?token=") {
		t.Fatalf("verification emails = %q", links)
	}
	if a.Count(t, `SELECT count(*) FROM person_tokens WHERE token_hash = sha256($1::bytea)`, tokenOf(t, links[0])) != 1 {
		t.Error("the link's token is not stored by its SHA-256")
	}
	if _, err := a.Auth.VerifyEmail(a.Ctx, "hrd_vfy_nonsense"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown link: %v", err)
	}
	u, err := a.Auth.VerifyEmail(a.Ctx, tokenOf(t, links[0]))
	if err != nil || !u.Verified() {
		t.Fatalf("verify = %+v, %v", u, err)
	}
	me, _, _ := a.Auth.Me(a.Ctx, r.User.ID)
	if !me.Verified() {
		t.Error("the address is not stored as verified")
	}
	if _, err := a.Auth.VerifyEmail(a.Ctx, tokenOf(t, links[0])); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("second use = %v, want gone", err)
	}
	if err := a.Auth.ResendVerification(a.Ctx, r.User.ID); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("resend when verified = %v, want conflict", err)
	}

	late := register(t, a, "late@example.com")
	link := outbox(t, a, "late@example.com", domain.EmailVerify)[0]
	a.Clock.Advance(domain.VerifyEmailLifetime + time.Second)
	if _, err := a.Auth.VerifyEmail(a.Ctx, tokenOf(t, link)); domain.CodeOf(err) != domain.CodeGone || !strings.Contains(domain.MessageOf(err), "expired") {
		t.Errorf("expired link = %v", err)
	}
	if me, _, _ := a.Auth.Me(a.Ctx, late.User.ID); me.Verified() {
		t.Error("an expired link verified the address")
	}
}

func TestRegister_WithoutEmailCountsAsVerified(t *testing.T) {
	t.Parallel()
	a := apptest.New(t) // no SMTP server: nobody could ever open a link
	r := register(t, a, "solo@example.com")
	if !r.User.Verified() {
		t.Error("without email a new person can never be verified")
	}
	if n := len(outbox(t, a, "solo@example.com", domain.EmailVerify)); n != 0 {
		t.Errorf("%d verification emails without a way to send them", n)
	}
}

func TestResendVerification_Throttled(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	r := register(t, a, "again@example.com")
	for i := 0; i < app.EmailsPerWindow; i++ {
		if err := a.Auth.ResendVerification(a.Ctx, r.User.ID); err != nil {
			t.Fatalf("resend %d: %v", i+1, err)
		}
	}
	if err := a.Auth.ResendVerification(a.Ctx, r.User.ID); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Errorf("resend past the limit = %v", err)
	}
	if n := len(outbox(t, a, "again@example.com", domain.EmailVerify)); n != 1+app.EmailsPerWindow {
		t.Errorf("%d verification emails, want %d", n, 1+app.EmailsPerWindow)
	}
}

func TestPasswordReset_EndsEverySessionOnce(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	r := register(t, a, "forgot@example.com")
	_, other, err := a.Auth.Login(a.Ctx, "forgot@example.com", "correct horse battery", "198.51.100.4")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Auth.RequestPasswordReset(a.Ctx, "Forgot@Example.com ", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	links := outbox(t, a, "forgot@example.com", domain.EmailPasswordReset)
	if len(links) != 1 || !strings.HasPrefix(links[0], apptest.AppURL+"/password-reset/confirm?token=") {
		t.Fatalf("reset emails = %q", links)
	}
	token := tokenOf(t, links[0])
	if _, err := a.Auth.ResetPassword(a.Ctx, token, "short", "203.0.113.9"); domain.CodeOf(err) != domain.CodeInvalid || domain.FieldsOf(err)["password"] == "" {
		t.Errorf("weak password = %v", err)
	}
	u, err := a.Auth.ResetPassword(a.Ctx, token, "a brand new passphrase", "203.0.113.9")
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	if !u.Verified() {
		t.Error("a reset by email does not verify the address")
	}
	for _, s := range []string{r.Session.Secret, other.Secret} {
		if _, err := a.Auth.Authenticate(a.Ctx, s); domain.CodeOf(err) != domain.CodeUnauthenticated {
			t.Errorf("a session from before the reset still works: %v", err)
		}
	}
	if _, _, err := a.Auth.Login(a.Ctx, "forgot@example.com", "correct horse battery", "203.0.113.9"); err == nil {
		t.Error("the old password still signs in")
	}
	if _, _, err := a.Auth.Login(a.Ctx, "forgot@example.com", "a brand new passphrase", "203.0.113.9"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
	if _, err := a.Auth.ResetPassword(a.Ctx, token, "yet another passphrase", "203.0.113.9"); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("second use of the link = %v, want gone", err)
	}
	if a.Count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.password_reset' AND subject = $1`, string(r.User.ID)) != 1 {
		t.Error("the reset is not audited")
	}

	// An hour later the next link no longer works.
	if err := a.Auth.RequestPasswordReset(a.Ctx, "forgot@example.com", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	links = outbox(t, a, "forgot@example.com", domain.EmailPasswordReset)
	a.Clock.Advance(domain.PasswordResetLifetime)
	if err := a.Auth.CheckPasswordReset(a.Ctx, tokenOf(t, links[len(links)-1])); domain.CodeOf(err) != domain.CodeGone {
		t.Errorf("a link an hour old = %v, want gone", err)
	}
}

func TestPasswordReset_SameAnswerForEveryAddressAndThrottled(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	register(t, a, "known@example.com")
	for i := 0; i < app.EmailsPerWindow; i++ {
		known := a.Auth.RequestPasswordReset(a.Ctx, "known@example.com", "203.0.113.9")
		unknown := a.Auth.RequestPasswordReset(a.Ctx, "nobody@example.com", "203.0.113.9")
		if known != nil || unknown != nil {
			t.Fatalf("answers differ or fail: known %v, unknown %v", known, unknown)
		}
	}
	known := a.Auth.RequestPasswordReset(a.Ctx, "known@example.com", "203.0.113.10")
	unknown := a.Auth.RequestPasswordReset(a.Ctx, "nobody@example.com", "203.0.113.10")
	if domain.CodeOf(known) != domain.CodeRateLimited || domain.CodeOf(unknown) != domain.CodeRateLimited || domain.MessageOf(known) != domain.MessageOf(unknown) {
		t.Errorf("past the per-address limit: known %v, unknown %v", known, unknown)
	}
	if n := len(outbox(t, a, "nobody@example.com", domain.EmailPasswordReset)); n != 0 {
		t.Errorf("%d emails to an address without an account", n)
	}
	if n := len(outbox(t, a, "known@example.com", domain.EmailPasswordReset)); n != app.EmailsPerWindow {
		t.Errorf("%d reset emails, want %d", n, app.EmailsPerWindow)
	}

	// Per client address: one address asking for many emails is stopped too.
	b := apptest.New(t, apptest.Mailer(acceptAll{}), apptest.Limits(app.Limits{Window: time.Hour, PerIP: 2, PerEmail: 10}))
	for i, email := range []string{"a@example.com", "b@example.com"} {
		if err := b.Auth.RequestPasswordReset(b.Ctx, email, "192.0.2.1"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if err := b.Auth.RequestPasswordReset(b.Ctx, "c@example.com", "192.0.2.1"); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Errorf("past the per-IP limit = %v", err)
	}
}

func TestAcceptInvitation_WaitsForVerifiedAddress(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	owner := a.Company(t, domain.RoleOwner)
	invitee := pgtest.User(t, a.DB, pgtest.Unverified(), pgtest.UserEmail("invitee@example.com"))
	issued, err := a.Teams.Invite(a.Ctx, owner, "invitee@example.com", "editor")
	if err != nil {
		t.Fatal(err)
	}
	token := tokenOf(t, issued.URL)
	_, err = a.Teams.AcceptInvitation(a.Ctx, domain.Actor{UserID: invitee.ID}, token)
	if domain.CodeOf(err) != domain.CodeForbidden || !app.IsVerifyFirst(err) {
		t.Fatalf("unverified accept = %v, want forbidden", err)
	}
	if _, err := a.Teams.InvitationFor(a.Ctx, token); err != nil {
		t.Fatalf("the refused invitation stopped working: %v", err)
	}
	if err := a.Auth.ResendVerification(a.Ctx, invitee.ID); err != nil {
		t.Fatal(err)
	}
	links := outbox(t, a, "invitee@example.com", domain.EmailVerify)
	if len(links) != 1 {
		t.Fatalf("verification emails = %q", links)
	}
	if _, err := a.Auth.VerifyEmail(a.Ctx, tokenOf(t, links[0])); err != nil {
		t.Fatal(err)
	}
	m, err := a.Teams.AcceptInvitation(a.Ctx, domain.Actor{UserID: invitee.ID}, token)
	if err != nil || m.CompanyID != owner.CompanyID {
		t.Fatalf("accept after verifying = %+v, %v", m, err)
	}
}

func TestRegister_ThroughInvitation(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	owner := a.Company(t, domain.RoleOwner)
	// Registering with the invited address: the emailed link proved it, and they join.
	same, _ := a.Teams.Invite(a.Ctx, owner, "same@example.com", "editor")
	r, err := a.Auth.Register(a.Ctx, app.Registration{Email: "same@example.com", Password: "correct horse battery", Name: "Sam",
		InvitationToken: tokenOf(t, same.URL)}, "203.0.113.9")
	if err != nil || r.Joined == nil || r.VerifyFirst || !r.User.Verified() {
		t.Fatalf("register with the invited address = %+v, %v", r, err)
	}
	// Another address: the account is made, the invitation waits for verification.
	other, _ := a.Teams.Invite(a.Ctx, owner, "invited@example.com", "editor")
	r, err = a.Auth.Register(a.Ctx, app.Registration{Email: "elsewhere@example.com", Password: "correct horse battery", Name: "Eli",
		InvitationToken: tokenOf(t, other.URL)}, "203.0.113.9")
	if err != nil || r.Joined != nil || !r.VerifyFirst || r.User.Verified() {
		t.Fatalf("register with another address = %+v, %v", r, err)
	}
	if _, err := a.Teams.InvitationFor(a.Ctx, tokenOf(t, other.URL)); err != nil {
		t.Errorf("the waiting invitation stopped working: %v", err)
	}
}

func TestInvite_EmailsEachLinkOnce(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	owner := a.Company(t, domain.RoleOwner)
	other := a.Company(t, domain.RoleOwner)
	issued, err := a.Teams.Invite(a.Ctx, owner, "New.Person@example.com", "viewer")
	if err != nil {
		t.Fatal(err)
	}
	if !issued.Emailed {
		t.Error("the invitation does not say it was emailed")
	}
	links := outbox(t, a, "new.person@example.com", domain.EmailInvitation)
	if len(links) != 1 || links[0] != issued.URL {
		t.Fatalf("invitation emails = %q, want the link %q", links, issued.URL)
	}
	renewed, err := a.Teams.RenewInvitation(a.Ctx, owner, issued.Invitation.ID)
	if err != nil {
		t.Fatal(err)
	}
	links = outbox(t, a, "new.person@example.com", domain.EmailInvitation)
	if len(links) != 2 || links[1] != renewed.URL {
		t.Fatalf("after renewal, invitation emails = %q", links)
	}
	if a.Count(t, `SELECT count(*) FROM emails WHERE company_id = $1 AND template = 'invitation'`, string(owner.CompanyID)) != 2 {
		t.Error("the invitation emails are not the company's")
	}
	// Another company's outbox holds none of them.
	if err := a.DB.Read(a.Ctx, func(tx ports.Tx) error {
		list, _, err := tx.Emails().List(a.Ctx, other.CompanyID, "", ports.Page{Limit: 50})
		if len(list) != 0 {
			t.Errorf("another company sees %d emails", len(list))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Without an SMTP server the page says the inviter sends the link.
	b := apptest.New(t)
	bo := b.Company(t, domain.RoleOwner)
	if got, err := b.Teams.Invite(b.Ctx, bo, "x@example.com", "viewer"); err != nil || got.Emailed {
		t.Errorf("without SMTP: %+v, %v", got, err)
	}
}

func TestQueueVerification_RolledBackQueuesNothing(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	u := pgtest.User(t, a.DB, pgtest.Unverified(), pgtest.UserEmail("rollback@example.com"))
	boom := errors.New("boom")
	err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		if err := app.QueueVerification(a.Auth, a.Ctx, tx, u, a.Clock.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if a.Count(t, `SELECT count(*) FROM emails WHERE to_address = 'rollback@example.com'`) != 0 ||
		a.Count(t, `SELECT count(*) FROM person_tokens WHERE user_id = $1`, string(u.ID)) != 0 {
		t.Error("a rolled-back verification left an email or a link")
	}
	if a.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'send_email'`) != 0 {
		t.Error("a rolled-back verification left a send job")
	}
}

func TestEnsureSuperadmin_NewOperatorIsVerified(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Mailer(acceptAll{}))
	u, created, err := a.Auth.EnsureSuperadmin(a.Ctx, "root@example.com", "Root", "correct horse battery")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if me, _, _ := a.Auth.Me(a.Ctx, u.ID); !me.Verified() {
		t.Error("an operator made on the command line is not verified")
	}
}
