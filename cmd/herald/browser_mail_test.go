package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestBrowser_EmailsAndUnsubscribePages opens Settings > Emails (without SMTP) and the
// unsubscribe pages at desktop and phone sizes, light and dark, saves screenshots and
// runs axe on each.
func TestBrowser_EmailsAndUnsubscribePages(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ana := register(t, newClient(t, m), "Mailshot")
	ctx := context.Background()
	if err := m.db.InTx(ctx, func(tx ports.Tx) error {
		return tx.Users().SetEmailVerified(ctx, domain.UserID(ana.userID), time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		notifyFailed(t, m, ana, fmt.Sprintf("post_failed:shot:%s:%d", ana.userID, i))
	}
	// Wait for the jobs to record them unsent, then show every status: one is marked sent
	// and one failed, as they would be after SMTP was turned off.
	deadline := time.Now().Add(pollDeadline)
	var list []domain.Email
	for {
		var err error
		list, _, err = m.App.Mail.Emails(ctx, domain.Actor{UserID: domain.UserID(ana.userID), CompanyID: domain.CompanyID(ana.companyID)}, ports.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		unsent := 0
		for _, e := range list {
			if e.Status == domain.EmailUnsent {
				unsent++
			}
		}
		if unsent == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emails = %+v, want 3 unsent", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := m.db.InTx(ctx, func(tx ports.Tx) error {
		sent, failed := list[0], list[1]
		sent.Status, sent.Attempts, sent.SentAt, sent.Error = domain.EmailSent, 1, time.Now(), ""
		failed.Status, failed.Attempts, failed.Error = domain.EmailFailed, 1, "The mail server refused the email (550 5.1.1 mailbox unavailable)."
		if err := tx.Emails().Finish(ctx, sent); err != nil {
			return err
		}
		return tx.Emails().Finish(ctx, failed)
	}); err != nil {
		t.Fatal(err)
	}

	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			tab := chrome(t, size.w, size.h)
			step := stepper(t, tab)
			type css = chromedp.CSS
			step("sign in",
				chromedp.Navigate(m.URL()+"/login"),
				chromedp.SendKeys(css(`form[action="/login"] #email`), ana.email),
				chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
				chromedp.Submit(css(`form[action="/login"] #password`)),
				chromedp.WaitVisible(css("#company-name")))
			for _, scheme := range []string{"light", "dark"} {
				step("open Emails", colorScheme(scheme), chromedp.Navigate(m.URL()+"/settings/emails"), chromedp.WaitVisible(css("#emails")))
				if v := axeViolations(t, tab); v != "" {
					t.Errorf("axe on Emails (%s, %s):\n%s", size.name, scheme, v)
				}
				screenshot(t, tab, fmt.Sprintf("emails-%s-%s.png", size.name, scheme))
			}
			step("light", colorScheme("light"))
			path := m.App.Mail.UnsubscribePath(domain.UserID(ana.userID), domain.NotifyPostFailed)
			step("open an unsubscribe link", chromedp.Navigate(m.URL()+path), chromedp.WaitVisible(css("#unsubscribe-confirm")))
			if v := axeViolations(t, tab); v != "" {
				t.Errorf("axe on unsubscribe (%s):\n%s", size.name, v)
			}
			screenshot(t, tab, "unsubscribe-"+size.name+".png")
			step("confirm", chromedp.Click(css("#unsubscribe-confirm")), chromedp.WaitVisible(css("#unsubscribe-done")))
			if v := axeViolations(t, tab); v != "" {
				t.Errorf("axe on unsubscribed (%s):\n%s", size.name, v)
			}
			screenshot(t, tab, "unsubscribed-"+size.name+".png")
			step("open a bad link", chromedp.Navigate(m.URL()+path+"x"), chromedp.WaitVisible(css("#unsubscribe-bad")))
			if v := axeViolations(t, tab); v != "" {
				t.Errorf("axe on a bad unsubscribe link (%s):\n%s", size.name, v)
			}
			screenshot(t, tab, "unsubscribe-bad-"+size.name+".png")
			consoleOf(tab).take() // the bad link's 404, which the page was meant to answer
		})
	}
}
