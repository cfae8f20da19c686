package app_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// notify runs one Notify in its own transaction and returns what it stored.
func notify(t *testing.T, a *apptest.App, n app.Notice) []domain.Notification {
	t.Helper()
	var out []domain.Notification
	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		var err error
		out, err = a.Notifications.Notify(a.Ctx, tx, n)
		return err
	}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return out
}

func TestNotify_AudienceOnceEmailsAndChoices(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	admin := a.Member(t, owner.CompanyID, domain.RoleAdmin)
	editor := a.Member(t, owner.CompanyID, domain.RoleEditor)
	unverified := a.Member(t, owner.CompanyID, domain.RoleAdmin, pgtest.Unverified())
	quiet := a.Member(t, owner.CompanyID, domain.RoleAdmin)
	digest := a.Member(t, owner.CompanyID, domain.RoleAdmin)
	other := a.Company(t, domain.RoleOwner)
	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		if err := tx.Notifications().SetPrefs(a.Ctx, quiet.UserID, domain.NotificationPrefs{Email: map[domain.NotificationKind]bool{domain.NotifyWebhookDisabled: false}}); err != nil {
			return err
		}
		return tx.Notifications().SetPrefs(a.Ctx, digest.UserID, domain.NotificationPrefs{Digest: true})
	}); err != nil {
		t.Fatal(err)
	}

	n := app.Notice{Kind: domain.NotifyWebhookDisabled, Company: owner.CompanyID, Text: "The endpoint https://x.example was disabled.",
		Key: "webhook_disabled:e1", Audience: app.AudienceAdmins, Except: admin.UserID, To: []domain.UserID{other.UserID}, Link: "/webhooks"}
	got := notify(t, a, n)
	who := map[domain.UserID]bool{}
	for _, g := range got {
		who[g.UserID] = true
	}
	for _, want := range []domain.UserID{owner.UserID, unverified.UserID, quiet.UserID, digest.UserID} {
		if !who[want] {
			t.Errorf("an owner or admin was not told: %s", want)
		}
	}
	for _, not := range []domain.UserID{admin.UserID, editor.UserID, other.UserID} {
		if who[not] {
			t.Errorf("%s was told (the one who caused it, an editor, or another company's person)", not)
		}
	}
	if again := notify(t, a, n); len(again) != 0 {
		t.Errorf("the same event told %d people again", len(again))
	}
	// Emails: only the owner (verified, wants it, no digest) gets one now.
	emails := a.Count(t, `SELECT count(*) FROM emails WHERE company_id = $1 AND template = 'notification'`, owner.CompanyID)
	if emails != 1 {
		t.Errorf("%d notification emails queued, want 1 (the owner's)", emails)
	}
	if a.Count(t, `SELECT count(*) FROM emails e JOIN users u ON u.email = e.to_address WHERE u.id = $1`, owner.UserID) != 1 {
		t.Error("the owner's email is not addressed to the owner")
	}
	if a.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'send_email'`) != 1 {
		t.Error("the email has no send_email job")
	}
	if a.Count(t, `SELECT count(*) FROM emails WHERE sealed_data::text LIKE '%herald.test%'`) != 0 {
		t.Error("the email's data is stored in clear")
	}
	if a.Count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND NOT emailed`, digest.UserID) != 1 {
		t.Error("the digest reader's notification is not left for the digest")
	}
	// The bell's view: unread count, listing, marking read; all per company.
	if err := a.DB.Read(a.Ctx, func(tx ports.Tx) error {
		if n, err := tx.Notifications().Unread(a.Ctx, owner.CompanyID, owner.UserID); err != nil || n != 1 {
			t.Errorf("unread = %d, %v; want 1", n, err)
		}
		if n, _ := tx.Notifications().Unread(a.Ctx, other.CompanyID, owner.UserID); n != 0 {
			t.Errorf("another company shows %d unread", n)
		}
		items, _, err := tx.Notifications().List(a.Ctx, owner.CompanyID, owner.UserID, true, ports.Page{Limit: 10})
		if err != nil || len(items) != 1 || items[0].Text != n.Text || items[0].Kind != n.Kind {
			t.Fatalf("list = %+v, %v", items, err)
		}
		if changed, err := tx.Notifications().MarkRead(a.Ctx, other.CompanyID, owner.UserID, []domain.NotificationID{items[0].ID}, a.Clock.Now()); err != nil || changed != 0 {
			t.Errorf("marked %d read through another company (%v)", changed, err)
		}
		if changed, err := tx.Notifications().MarkRead(a.Ctx, owner.CompanyID, owner.UserID, nil, a.Clock.Now()); err != nil || changed != 1 {
			t.Errorf("mark all read changed %d (%v)", changed, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestNotify_RolledBackTellsNobody(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	boom := errors.New("the change failed")
	err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		if _, err := a.Notifications.Notify(a.Ctx, tx, app.Notice{Kind: domain.NotifyPostFailed, Company: owner.CompanyID, Text: "x",
			Key: "k", To: []domain.UserID{owner.UserID}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if a.Count(t, `SELECT count(*) FROM notifications`)+a.Count(t, `SELECT count(*) FROM emails`)+a.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'send_email'`) != 0 {
		t.Error("a rolled-back change left a notification, an email or a job")
	}
}

func TestMail_UnsubscribeLinks(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	p := a.Mail.UnsubscribePath(owner.UserID, domain.NotifyMentioned)
	token, ok := strings.CutPrefix(p, "/unsubscribe/")
	if !ok {
		t.Fatalf("path = %q", p)
	}
	if u, k, ok := a.Mail.CheckUnsubscribe(token); !ok || u != owner.UserID || k != domain.NotifyMentioned {
		t.Errorf("CheckUnsubscribe = %s %s %v", u, k, ok)
	}
	forged := strings.Replace(token, ".", "x.", 1)
	if _, _, ok := a.Mail.CheckUnsubscribe(forged); ok {
		t.Error("a forged token was accepted")
	}
	other := a.Mail.UnsubscribePath(owner.UserID, domain.NotifyPostFailed)
	enc, _, _ := strings.Cut(token, ".")
	_, sig, _ := strings.Cut(strings.TrimPrefix(other, "/unsubscribe/"), ".")
	if _, _, ok := a.Mail.CheckUnsubscribe(enc + "." + sig); ok {
		t.Error("one kind's signature unsubscribed from another")
	}
}

func TestMail_DeliverWithoutSMTPIsUnsent(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	got := notify(t, a, app.Notice{Kind: domain.NotifyPostFailed, Company: owner.CompanyID, Text: "Your post failed.", Key: "k1", To: []domain.UserID{owner.UserID}})
	if len(got) != 1 {
		t.Fatalf("told %d", len(got))
	}
	var id domain.EmailID
	if err := a.DB.Read(a.Ctx, func(tx ports.Tx) error {
		list, _, err := tx.Emails().List(a.Ctx, owner.CompanyID, "", ports.Page{Limit: 5})
		if err != nil || len(list) != 1 {
			t.Fatalf("emails = %+v, %v", list, err)
		}
		id = list[0].ID
		if list[0].Subject == "" || list[0].Status != domain.EmailPending {
			t.Errorf("queued email = %+v", list[0])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Mail.Deliver(a.Ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	if a.Count(t, `SELECT count(*) FROM emails WHERE id = $1 AND status = 'unsent' AND error <> ''`, id) != 1 {
		t.Error("without SMTP the email is not recorded as unsent with why")
	}
	if err := a.Mail.Deliver(a.Ctx, id, 2); err != nil {
		t.Errorf("a second delivery of a finished email: %v", err)
	}
}
