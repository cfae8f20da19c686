package app_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/mail/mailtest"
	"github.com/heraldhq/herald/adapters/mail/smtp"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// mailApp starts Mailpit with opts and an app with workers that sends through it.
func mailApp(t *testing.T, opts mailtest.Options) (*apptest.App, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, opts)
	cfg, ok, err := smtp.ParseConfig(func(k string) string {
		return map[string]string{"HERALD_SMTP_URL": srv.SMTPURL(), "HERALD_SMTP_FROM": "Herald <herald@example.com>"}[k]
	})
	if err != nil || !ok {
		t.Fatalf("smtp.ParseConfig: %v", err)
	}
	a := apptest.New(t, apptest.Workers(), apptest.Mailer(smtp.New(cfg, smtp.Options{TLS: srv.TLSConfig()})))
	return a, srv
}

// reset is an email about a person (a password reset), with a link that must stay secret.
func reset(user domain.UserID, to, key string) domain.Email {
	return domain.Email{UserID: user, To: to, Template: domain.EmailPasswordReset, EventKey: key,
		Data: map[string]string{"name": "Ana", "link": apptest.AppURL + "/password/reset?token=secret-" + key, "expires": "in 1 hour"}}
}

// queueEmail queues e in its own transaction, which commits unless rollback.
func queueEmail(t *testing.T, a *apptest.App, e domain.Email, rollback bool) {
	t.Helper()
	errRollback := errors.New("rolled back on purpose")
	err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		if err := app.QueueEmail(a.Mail, a.Ctx, tx, e); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if (err != nil) != rollback || (rollback && !errors.Is(err, errRollback)) {
		t.Fatalf("queue %s: %v", e.EventKey, err)
	}
}

// emailsOf returns the person's emails in the outbox.
func emailsOf(t *testing.T, a *apptest.App, user domain.UserID) []domain.Email {
	t.Helper()
	var out []domain.Email
	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		var err error
		out, _, err = tx.Emails().List(a.Ctx, "", user, ports.Page{Limit: 50})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitEmail polls the outbox until the email with key satisfies done, and returns it.
func waitEmail(t *testing.T, a *apptest.App, user domain.UserID, key string, done func(domain.Email) bool) domain.Email {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last domain.Email
	for {
		for _, e := range emailsOf(t, a, user) {
			if e.EventKey == key {
				if last = e; done(e) {
					return e
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("email %s never got there; last seen: %+v", key, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func emailIs(s domain.EmailStatus) func(domain.Email) bool {
	return func(e domain.Email) bool { return e.Status == s }
}

func TestMail_DeliversACommittedEmailOnceAndNeverARolledBackOne(t *testing.T) {
	t.Parallel()
	a, srv := mailApp(t, mailtest.Options{})
	ana := a.Company(t, domain.RoleOwner)
	bo := a.Member(t, ana.CompanyID, domain.RoleEditor)
	anaUser, boUser := personOf(t, a, ana.UserID), personOf(t, a, bo.UserID)

	queueEmail(t, a, reset(bo.UserID, boUser.Email, "reset:rolled-back"), true)
	queueEmail(t, a, reset(ana.UserID, anaUser.Email, "reset:once"), false)
	queueEmail(t, a, reset(ana.UserID, anaUser.Email, "reset:once"), false) // the same event again

	got := srv.WaitFor(t, anaUser.Email, "password")
	e := waitEmail(t, a, ana.UserID, "reset:once", emailIs(domain.EmailSent))
	if e.Attempts != 1 || e.SentAt.IsZero() || e.Error != "" {
		t.Errorf("sent email = %+v, want 1 attempt, a sent time and no error", e)
	}
	if got.MessageID != string(e.ID)+"@herald" {
		t.Errorf("Message-ID = %q, want the email's id %s@herald", got.MessageID, e.ID)
	}
	d := srv.Detail(t, got.ID)
	if !strings.Contains(d.Text, "/password/reset?token=secret-reset:once") {
		t.Errorf("text lacks the link:\n%s", d.Text)
	}
	if n := len(emailsOf(t, a, ana.UserID)); n != 1 {
		t.Errorf("outbox holds %d emails for the event, want 1", n)
	}
	// Nothing else is on its way: the outbox holds one email, and it is sent.
	if msgs := srv.To(t, anaUser.Email); len(msgs) != 1 {
		t.Errorf("Mailpit has %d messages for %s, want 1", len(msgs), anaUser.Email)
	}
	if out := emailsOf(t, a, bo.UserID); len(out) != 0 {
		t.Errorf("a rolled-back email is in the outbox: %+v", out)
	}
	if msgs := srv.To(t, boUser.Email); len(msgs) != 0 {
		t.Errorf("a rolled-back email arrived: %+v", msgs)
	}
}

func TestMail_SealsTheDataAtRest(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	ana := a.Company(t, domain.RoleOwner)
	queueEmail(t, a, reset(ana.UserID, personOf(t, a, ana.UserID).Email, "reset:sealed"), false)
	var sealed []byte
	if err := a.DB.SQL().QueryRowContext(a.Ctx, `SELECT sealed_data FROM emails WHERE event_key = $1`, "reset:sealed").Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"secret-reset:sealed", "password/reset", "in 1 hour"} {
		if bytes.Contains(sealed, []byte(clear)) {
			t.Errorf("sealed_data holds %q in clear", clear)
		}
	}
	if len(sealed) == 0 {
		t.Error("sealed_data is empty")
	}
}

func TestMail_WithoutAMailerEmailsEndUnsent(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Workers())
	if a.Mail.Enabled() {
		t.Fatal("Enabled() without a mailer")
	}
	ana := a.Company(t, domain.RoleOwner)
	queueEmail(t, a, reset(ana.UserID, personOf(t, a, ana.UserID).Email, "reset:unsent"), false)
	e := waitEmail(t, a, ana.UserID, "reset:unsent", emailIs(domain.EmailUnsent))
	if !strings.Contains(e.Error, "HERALD_SMTP_URL") || !e.SentAt.IsZero() {
		t.Errorf("unsent email = %+v, want the reason and no sent time", e)
	}
}

func TestMail_ARefusalForGoodFailsAtOnce(t *testing.T) {
	t.Parallel()
	a, srv := mailApp(t, mailtest.Options{AllowedRecipients: `@example\.com$`})
	ana := a.Company(t, domain.RoleOwner)
	queueEmail(t, a, reset(ana.UserID, "ana@refused.test", "reset:refused"), false)
	e := waitEmail(t, a, ana.UserID, "reset:refused", emailIs(domain.EmailFailed))
	if e.Attempts != 1 || !strings.Contains(e.Error, "refused") {
		t.Errorf("failed email = %+v, want 1 attempt and the server's refusal", e)
	}
	if strings.Contains(e.Error, "secret-") {
		t.Errorf("error %q shows the email's data", e.Error)
	}
	if msgs := srv.Messages(t); len(msgs) != 0 {
		t.Errorf("messages = %+v, want none", msgs)
	}
}

func TestMail_ATransientErrorIsRetriedThenSent(t *testing.T) {
	t.Parallel()
	a, srv := mailApp(t, mailtest.Options{Chaos: true})
	srv.SetChaos(t, 451, 100)
	ana := a.Company(t, domain.RoleOwner)
	anaUser := personOf(t, a, ana.UserID)
	queueEmail(t, a, reset(ana.UserID, anaUser.Email, "reset:retried"), false)
	e := waitEmail(t, a, ana.UserID, "reset:retried", func(e domain.Email) bool { return e.Attempts >= 1 })
	if e.Status != domain.EmailPending || e.Error == "" {
		t.Fatalf("after a 451 the email = %+v, want pending with the error", e)
	}
	srv.SetChaos(t, 451, 0)
	srv.WaitFor(t, anaUser.Email, "password")
	e = waitEmail(t, a, ana.UserID, "reset:retried", emailIs(domain.EmailSent))
	if e.Attempts < 2 || e.Error != "" {
		t.Errorf("sent email = %+v, want at least 2 attempts and the error cleared", e)
	}
	if msgs := srv.To(t, anaUser.Email); len(msgs) != 1 {
		t.Errorf("Mailpit has %d messages, want 1", len(msgs))
	}
}

func TestMail_NotifyEmailsThroughSMTPWithUnsubscribe(t *testing.T) {
	t.Parallel()
	a, srv := mailApp(t, mailtest.Options{})
	owner := a.Company(t, domain.RoleOwner)
	admin := a.Member(t, owner.CompanyID, domain.RoleAdmin)
	adminUser := personOf(t, a, admin.UserID)
	key := fmt.Sprintf("webhook_disabled:%d", time.Now().UnixNano())
	notify(t, a, app.Notice{Kind: domain.NotifyWebhookDisabled, Company: owner.CompanyID, Text: "The endpoint https://x.example was disabled.",
		Key: key, Audience: app.AudienceAdmins, Except: owner.UserID, Link: "/webhooks"})
	got := srv.WaitFor(t, adminUser.Email, "")
	h := srv.Headers(t, got.ID)
	unsub := strings.Join(h["List-Unsubscribe"], "")
	if !strings.HasPrefix(unsub, "<"+apptest.AppURL+"/unsubscribe/") || strings.Join(h["List-Unsubscribe-Post"], "") != "List-Unsubscribe=One-Click" {
		t.Errorf("unsubscribe headers = %q, %q", unsub, h["List-Unsubscribe-Post"])
	}
	token := strings.TrimSuffix(strings.TrimPrefix(unsub, "<"+apptest.AppURL+"/unsubscribe/"), ">")
	if u, kind, ok := a.Mail.CheckUnsubscribe(token); !ok || u != admin.UserID || kind != domain.NotifyWebhookDisabled {
		t.Errorf("CheckUnsubscribe(header's token) = %s, %s, %v", u, kind, ok)
	}
	if d := srv.Detail(t, got.ID); !strings.Contains(d.Text, "https://x.example was disabled") {
		t.Errorf("text = %q", d.Text)
	}
}

// personOf reads a person.
func personOf(t *testing.T, a *apptest.App, id domain.UserID) domain.User {
	t.Helper()
	var u domain.User
	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		var err error
		u, err = tx.Users().Get(a.Ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMail_EmailsListsOnlyTheCompanysForOwnersAndAdmins(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	editor := a.Member(t, owner.CompanyID, domain.RoleEditor)
	rival := a.Company(t, domain.RoleOwner)
	for _, n := range []struct {
		company domain.CompanyID
		key     string
	}{{owner.CompanyID, "w:ours"}, {rival.CompanyID, "w:theirs"}} {
		notify(t, a, app.Notice{Kind: domain.NotifyWebhookDisabled, Company: n.company, Text: "An endpoint was disabled.",
			Key: n.key, Audience: app.AudienceAdmins, Link: "/webhooks"})
	}
	got, _, err := a.Mail.Emails(a.Ctx, owner, ports.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].CompanyID != owner.CompanyID || got[0].Data != nil || got[0].Subject == "" {
		t.Errorf("Emails(owner) = %+v, want the one email of the company, with its subject and no data", got)
	}
	if theirs, _, _ := a.Mail.Emails(a.Ctx, rival, ports.Page{Limit: 50}); len(theirs) != 1 || theirs[0].CompanyID != rival.CompanyID {
		t.Errorf("Emails(rival) = %+v, want only the rival's", theirs)
	}
	if _, _, err := a.Mail.Emails(a.Ctx, editor, ports.Page{Limit: 50}); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Emails(editor) = %v, want CodeForbidden", err)
	}
}

func TestMail_Unsubscribe(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	ana := a.Company(t, domain.RoleOwner)
	prefs := func() domain.NotificationPrefs {
		var p domain.NotificationPrefs
		if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
			var err error
			p, err = tx.Notifications().Prefs(a.Ctx, ana.UserID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := strings.TrimPrefix(a.Mail.UnsubscribePath(ana.UserID, domain.NotifyMentioned), "/unsubscribe/")
	k, err := a.Mail.Unsubscribing(a.Ctx, token)
	if err != nil || k.Kind != domain.NotifyMentioned || k.Digest {
		t.Fatalf("Unsubscribing = %+v, %v", k, err)
	}
	if !prefs().Emails(domain.NotifyMentioned) {
		t.Fatal("Unsubscribing changed the choices")
	}
	for range 2 { // a second time changes nothing
		if _, err := a.Mail.Unsubscribe(a.Ctx, token); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
	}
	if p := prefs(); p.Emails(domain.NotifyMentioned) || !p.Emails(domain.NotifyPostFailed) {
		t.Errorf("after Unsubscribe prefs = %+v, want only mentions off", p)
	}

	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		return tx.Notifications().SetPrefs(a.Ctx, ana.UserID, domain.NotificationPrefs{Digest: true})
	}); err != nil {
		t.Fatal(err)
	}
	digest := strings.TrimPrefix(a.Mail.UnsubscribePath(ana.UserID, "digest"), "/unsubscribe/")
	if k, err := a.Mail.Unsubscribe(a.Ctx, digest); err != nil || !k.Digest || k.Title() != "the daily digest" {
		t.Fatalf("Unsubscribe(digest) = %+v, %v", k, err)
	}
	if p := prefs(); p.Digest {
		t.Errorf("after unsubscribing from the digest prefs = %+v", p)
	}

	for _, bad := range []string{"", "x", token + "x", strings.Replace(token, ".", "x.", 1)} {
		if _, err := a.Mail.Unsubscribe(a.Ctx, bad); domain.CodeOf(err) != domain.CodeNotFound {
			t.Errorf("Unsubscribe(%q) = %v, want CodeNotFound", bad, err)
		}
	}
}
