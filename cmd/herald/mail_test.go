package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/mail/mailtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestMail_HeraldSendsThroughSMTPAndHonoursOneClickUnsubscribe runs Herald configured
// with HERALD_SMTP_URL against Mailpit: a notification arrives from HERALD_SMTP_FROM, its
// List-Unsubscribe address works as mail clients use it, and Settings > Emails shows it
// sent, without the "email is off" banner.
func TestMail_HeraldSendsThroughSMTPAndHonoursOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SMTP_URL": srv.SMTPURL(), "HERALD_SMTP_FROM": "Herald Test <herald@example.com>"})
	ana, b := verifiedPerson(t, m, "Smtpana")
	notifyFailed(t, m, ana, "post_failed:smtp:"+ana.userID)

	got := srv.WaitFor(t, ana.email, "failed on Sandbox")
	if got.From.Address != "herald@example.com" || got.From.Name != "Herald Test" {
		t.Errorf("From = %+v", got.From)
	}
	if d := srv.Detail(t, got.ID); !strings.Contains(d.Text, m.URL()+"/posts/secret-looking-link") {
		t.Errorf("the text lacks the absolute link to %s:\n%s", m.URL(), d.Text)
	}
	unsub := strings.Join(srv.Headers(t, got.ID)["List-Unsubscribe"], "")
	if !strings.HasPrefix(unsub, "<"+m.URL()+"/unsubscribe/") {
		t.Fatalf("List-Unsubscribe = %q", unsub)
	}
	res, err := http.Post(strings.Trim(unsub, "<>"), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || emailsFor(t, m, ana, domain.NotifyPostFailed) {
		t.Errorf("one-click unsubscribe = %d; post_failed emails still on: %v", res.StatusCode, emailsFor(t, m, ana, domain.NotifyPostFailed))
	}

	_, doc := b.get("/settings/emails")
	if doc.Find(`#emails tr[data-status="sent"]`).Length() != 1 || doc.Find("#email-off").Length() != 0 {
		t.Errorf("Emails page with SMTP: %q", doc.Find("main").Text())
	}
}
