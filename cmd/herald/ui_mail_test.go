package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// verifiedPerson registers a person through the API, marks their address verified (so
// notifications email them) and signs them in to a browser.
func verifiedPerson(t *testing.T, m *Main, name string) (account, *browser) {
	t.Helper()
	acct := register(t, newClient(t, m), name)
	if err := m.db.InTx(context.Background(), func(tx ports.Tx) error {
		return tx.Users().SetEmailVerified(context.Background(), domain.UserID(acct.userID), time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, m)
	if res, _ := b.submit("/login", `form[action="/login"]`, map[string]string{"email": acct.email, "password": "correct horse battery"}); res.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d", name, res.StatusCode)
	}
	return acct, b
}

// notifyFailed tells the person that a post failed, in a transaction of its own.
func notifyFailed(t *testing.T, m *Main, a account, key string) {
	t.Helper()
	if err := m.db.InTx(context.Background(), func(tx ports.Tx) error {
		_, err := m.App.Notifications.Notify(context.Background(), tx, app.Notice{Kind: domain.NotifyPostFailed,
			Company: domain.CompanyID(a.companyID), Text: "Your post “Launch” failed on Sandbox.", Key: key,
			To: []domain.UserID{domain.UserID(a.userID)}, Link: "/posts/secret-looking-link"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// emailsFor reports whether the person gets kind by email.
func emailsFor(t *testing.T, m *Main, a account, kind domain.NotificationKind) bool {
	t.Helper()
	var p domain.NotificationPrefs
	if err := m.db.InTx(context.Background(), func(tx ports.Tx) error {
		var err error
		p, err = tx.Notifications().Prefs(context.Background(), domain.UserID(a.userID))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return p.Emails(kind)
}

func TestUI_EmailsPageWithoutSMTP(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ana, b := verifiedPerson(t, m, "Emailana")
	_, rival := verifiedPerson(t, m, "Emailrival")
	notifyFailed(t, m, ana, "post_failed:"+ana.userID)

	// Without SMTP the send_email job records the email as unsent.
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, doc := b.get("/settings/emails")
		if doc.Find(`#emails tr[data-status="unsent"]`).Length() == 1 {
			row := doc.Find(`#emails tr[data-status="unsent"]`)
			if got := row.Find(`td[data-label="To"]`).Text(); got != strings.ToLower(ana.email) {
				t.Errorf("To = %q, want %q", got, ana.email)
			}
			if strings.TrimSpace(row.Find(`td[data-label="Subject"]`).Text()) == "" {
				t.Error("the subject is empty")
			}
			if doc.Find("#email-off").Length() != 1 || !strings.Contains(doc.Find("#email-off").Text(), "would have gone out") {
				t.Errorf("banner = %q, want email is off", doc.Find("#email-off").Text())
			}
			html, _ := doc.Find("main").Html()
			for _, secret := range []string{"/unsubscribe/", "secret-looking-link"} {
				if strings.Contains(html, secret) {
					t.Errorf("the page shows the email's data (%s)", secret)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the email never showed as unsent: %q", doc.Find("main").Text())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, doc := b.get("/settings"); doc.Find(`#open-emails[href="/settings/emails"]`).Length() != 1 {
		t.Error("Settings does not link to Emails")
	}
	// Another company sees none of it.
	if _, doc := rival.get("/settings/emails"); doc.Find("#emails-empty").Length() != 1 || strings.Contains(doc.Text(), ana.email) {
		t.Errorf("another company's Emails page: %q", doc.Find("main").Text())
	}
}

func TestUI_Unsubscribe(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ana, _ := verifiedPerson(t, m, "Unsubana")
	user := domain.UserID(ana.userID)
	emails := func(kind domain.NotificationKind) bool { return emailsFor(t, m, ana, kind) }

	t.Run("PageAsksThenTurnsTheKindOff", func(t *testing.T) {
		b := newBrowser(t, m) // signed out, as from a mail client
		path := m.App.Mail.UnsubscribePath(user, domain.NotifyPostFailed)
		res, doc := b.get(path)
		if res.StatusCode != http.StatusOK || !strings.Contains(doc.Find("h1").Text(), "Stop emails about “"+domain.NotifyPostFailed.Title()+"”?") {
			t.Fatalf("GET %s = %d %q", path, res.StatusCode, doc.Find("h1").Text())
		}
		if !emails(domain.NotifyPostFailed) {
			t.Fatal("opening the page turned the emails off")
		}
		res, doc = b.submit(path, `form[action="`+path+`"]`, nil)
		if res.StatusCode != http.StatusOK || doc.Find("#unsubscribe-done").Length() != 1 || doc.Find("#notification-settings").Length() != 1 {
			t.Fatalf("POST %s = %d %q", path, res.StatusCode, doc.Find("main").Text())
		}
		if emails(domain.NotifyPostFailed) || !emails(domain.NotifyMentioned) {
			t.Error("the form did not turn off exactly post_failed")
		}
	})

	t.Run("OneClickPostNeedsNoCSRFToken", func(t *testing.T) {
		path := m.App.Mail.UnsubscribePath(user, domain.NotifyMentioned)
		for _, ct := range []string{"application/x-www-form-urlencoded", ""} {
			req, _ := http.NewRequest(http.MethodPost, m.URL()+path, strings.NewReader("List-Unsubscribe=One-Click"))
			if ct == "" { // multipart, as some mail clients send it
				body := "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n"
				req, _ = http.NewRequest(http.MethodPost, m.URL()+path, strings.NewReader(body))
				ct = "multipart/form-data; boundary=b"
			}
			req.Header.Set("Content-Type", ct)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("one-click POST (%s) = %d, want 200", ct, res.StatusCode)
			}
		}
		if emails(domain.NotifyMentioned) {
			t.Error("the one-click POST did not turn mentions off")
		}
	})

	t.Run("OtherPostsStillNeedTheCSRFToken", func(t *testing.T) {
		path := m.App.Mail.UnsubscribePath(user, domain.NotifyAccountReconnect)
		for _, body := range []string{"", "List-Unsubscribe=One-Click&x=1", "List-Unsubscribe=Other"} {
			res, err := http.Post(m.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %q without a token = %d, want a CSRF refusal", body, res.StatusCode)
			}
		}
		if !emails(domain.NotifyAccountReconnect) {
			t.Error("a POST without a CSRF token changed the choices")
		}
	})

	t.Run("BadLinkIsAClear404", func(t *testing.T) {
		b := newBrowser(t, m)
		good := m.App.Mail.UnsubscribePath(user, domain.NotifyAccountExpiring)
		for _, path := range []string{good + "x", "/unsubscribe/nonsense", "/unsubscribe/" + url.PathEscape("a.b")} {
			res, doc := b.get(path)
			if res.StatusCode != http.StatusNotFound || doc.Find("#unsubscribe-bad").Length() != 1 {
				t.Errorf("GET %s = %d %q, want the 404 page", path, res.StatusCode, doc.Find("main").Text())
			}
			req, _ := http.NewRequest(http.MethodPost, m.URL()+path, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res, _ := b.send(req); res.StatusCode != http.StatusNotFound {
				t.Errorf("one-click POST %s = %d, want 404", path, res.StatusCode)
			}
		}
		if !emails(domain.NotifyAccountExpiring) {
			t.Error("a bad link changed the choices")
		}
	})
}
