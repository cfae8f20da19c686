package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestUI_NotificationsWithoutJavaScript: /notifications pages 25 at a time, the layout's
// bell shows the count in its accessible name, "Mark read" and "Mark all read" work as
// plain forms, the panel lists the latest eight, and another company's person sees none.
func TestUI_NotificationsWithoutJavaScript(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b, rb := newBrowser(t, m), newBrowser(t, m)
	email, rivalEmail := b.registerUI("Nora"), rb.registerUI("Rita")
	who := func(email string) (domain.UserID, domain.CompanyID) {
		t.Helper()
		var user, company string
		if err := m.db.Pool().QueryRow(context.Background(), `SELECT u.id, m.company_id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = $1`,
			email).Scan(&user, &company); err != nil {
			t.Fatal(err)
		}
		return domain.UserID(user), domain.CompanyID(company)
	}
	user, company := who(email)
	rival, rivalCompany := who(rivalEmail)
	tell := func(company domain.CompanyID, user domain.UserID, n int) {
		t.Helper()
		if err := m.db.InTx(context.Background(), func(tx ports.Tx) error {
			for i := 0; i < n; i++ {
				if _, err := m.App.Notifications.Notify(context.Background(), tx, app.Notice{Kind: domain.NotifyMentioned, Company: company,
					Text: fmt.Sprintf("Note %d for you.", i), Key: fmt.Sprintf("note:%d", i), To: []domain.UserID{user}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	tell(company, user, 30)
	tell(rivalCompany, rival, 1)

	_, doc := b.get("/notifications")
	if n := doc.Find("#notification-list li").Length(); n != 25 {
		t.Errorf("first page lists %d, want 25", n)
	}
	if got := doc.Find("#bell-name").Text(); got != "Notifications, 30 unread" {
		t.Errorf("the bell's name = %q", got)
	}
	older, ok := doc.Find("#older").Attr("href")
	if !ok {
		t.Fatal("no link to older notifications")
	}
	_, doc = b.get(older)
	if n := doc.Find("#notification-list li").Length(); n != 5 || doc.Find("#older").Length() != 0 {
		t.Errorf("second page lists %d (older link %d), want 5 and none", n, doc.Find("#older").Length())
	}
	_, doc = b.get("/notifications/panel", "HX-Request", "true")
	if n := doc.Find("#bell-list li.unread").Length(); n != 8 || doc.Find("#bell-read-all").Length() != 1 {
		t.Errorf("the panel lists %d unread (mark-all form %d), want 8 and 1", n, doc.Find("#bell-read-all").Length())
	}

	res, doc := b.submit("/notifications", "#notification-list li.unread form", nil)
	if res.Request.URL.Path != "/notifications" || doc.Find("#bell-name").Text() != "Notifications, 29 unread" {
		t.Errorf("after Mark read: %s, bell %q", res.Request.URL.Path, doc.Find("#bell-name").Text())
	}
	_, doc = b.submit("/notifications", "#read-all", nil)
	if got := doc.Find("#bell-name").Text(); got != "Notifications" || doc.Find("#notification-list li.unread").Length() != 0 {
		t.Errorf("after Mark all read: bell %q, %d unread listed", got, doc.Find("#notification-list li.unread").Length())
	}
	if _, hidden := doc.Find("#bell-count").Attr("hidden"); !hidden {
		t.Error("the count badge shows with nothing unread")
	}
	_, doc = rb.get("/notifications")
	if n := doc.Find("#notification-list li").Length(); n != 1 || !strings.Contains(doc.Find("#bell-name").Text(), "1 unread") {
		t.Errorf("the rival sees %d notifications, bell %q; want only their own 1", n, doc.Find("#bell-name").Text())
	}
}
