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
