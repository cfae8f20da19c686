package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestBrowser_BellCountsLiveAndMarksRead signs a person in on a Herald whose sandbox
// refuses every publish, and fails a post through the API (another request, as a
// teammate or a script would): the bell's count rises without a reload, its accessible
// name and the polite live region say so, the panel lists the post and "Mark all read"
// clears the count. Then /notifications and the settings page, at desktop and phone
// sizes, checked with axe.
func TestBrowser_BellCountsLiveAndMarksRead(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SANDBOX_PERMANENT_RATE": "1"})
	bg := context.Background()
	email := strings.ToLower(uniqueEmail("bella"))
	reg, err := m.App.Auth.Register(bg, app.Registration{Email: email, Password: "correct horse battery", Name: "Bella", Company: "Bella Studio"}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	owner := domain.Actor{UserID: reg.User.ID, CompanyID: reg.Company.ID, Role: domain.RoleOwner}
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step, eval := stepper(t, ctx), evaluator(t, ctx)
	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	browserConnectSandbox(t, ctx, m.URL(), "bella-north")
	accounts, err := m.App.Accounts.List(bg, owner)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts: %v, %v", accounts, err)
	}
	step("open the start page", chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css("#bell-button")))
	if got := eval(`document.querySelector("#bell-button").textContent.trim() + "|" + document.querySelector("#bell-count").hidden`); got != "0Notifications|true" {
		t.Fatalf("the bell before anything happened = %q", got)
	}

	// Another request fails a post: the bell follows without a reload.
	c := newClient(t, m)
	st, _, login := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	if st != http.StatusOK {
		t.Fatalf("login = %d %v", st, login)
	}
	api := c.with(login["token"].(string), string(owner.CompanyID))
	failedPost(t, api, string(accounts[0].ID), "Autumn menu tasting on Friday")
	bell := func(want string) {
		t.Helper()
		deadline := time.Now().Add(pollDeadline)
		for {
			got := eval(`(() => { const c = document.querySelector("#bell-count"); return (c.hidden ? "hidden" : c.textContent) + "|" +
				document.querySelector("#bell-name").textContent + "|" + document.querySelector("#bell-status").textContent })()`)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("bell = %q, want %q", got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	bell("1|Notifications, 1 unread|1 unread notification")
	if got := eval(`document.querySelector("#bell-button").getAttribute("aria-expanded")`); got != "false" {
		t.Errorf("aria-expanded before opening = %q", got)
	}
	step("open the panel", chromedp.Click(css("#bell-button")), chromedp.WaitVisible(css("#bell-list")))
	if got := eval(`document.querySelector("#bell-button").getAttribute("aria-expanded") + "|" + document.querySelector("#bell-list").textContent`); !strings.HasPrefix(got, "true|") ||
		!strings.Contains(got, "Autumn menu tasting on Friday") || !strings.Contains(got, "failed") {
		t.Errorf("the open panel = %q", got)
	}
	if out := axeViolations(t, ctx); out != "" {
		t.Errorf("axe, the bell's panel:\n%s", out)
	}
	screenshot(t, ctx, "bell-panel-desktop.png")
	step("phone panel", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css("#bell-button")),
		chromedp.Click(css("#bell-button")), chromedp.WaitVisible(css("#bell-list")))
	if out := eval(layoutJS + `("")`); out != "" {
		t.Errorf("phone layout with the panel open: %s", out)
	}
	screenshot(t, ctx, "bell-panel-phone.png")
	step("mark all read", chromedp.Click(css("#bell-read-all button")), chromedp.WaitVisible(css("#bell-empty, #bell-list li:not(.unread)")))
	bell("hidden|Notifications|") // the phone step loaded the page afresh: nothing announced since
	step("close with Escape", chromedp.KeyEvent("\x1b"))
	if got := eval(`document.querySelector("#bell-panel").hidden + "|" + (document.activeElement && document.activeElement.id)`); got != "true|bell-button" {
		t.Errorf("after Escape: panel hidden, focus = %q", got)
	}

	// A second failure while the person is on another page: counted again, listed on /notifications.
	step("desktop", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(m.URL()+"/notifications"), chromedp.WaitVisible(css("#notification-list")))
	failedPost(t, api, string(accounts[0].ID), "Winter opening hours")
	bell("1|Notifications, 1 unread|1 unread notification")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		step("notifications "+size.name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(m.URL()+"/notifications"), chromedp.WaitVisible(css("#notification-list")))
		if got := eval(`document.querySelectorAll("#notification-list li").length + "|" + document.querySelectorAll("#notification-list li.unread").length`); got != "2|1" {
			t.Errorf("/notifications lists %q (all|unread), want 2|1", got)
		}
		if out := eval(layoutJS + `("")`); out != "" {
			t.Errorf("/notifications %s: %s", size.name, out)
		}
		if out := axeViolations(t, ctx); out != "" {
			t.Errorf("axe, /notifications %s:\n%s", size.name, out)
		}
		screenshot(t, ctx, "notifications-"+size.name+".png")
		step("settings "+size.name, chromedp.Navigate(m.URL()+"/notifications/settings"), chromedp.WaitVisible(css("#notification-settings")))
		if out := eval(layoutJS + `("")`); out != "" {
			t.Errorf("settings %s: %s", size.name, out)
		}
		if out := axeViolations(t, ctx); out != "" {
			t.Errorf("axe, notification settings %s:\n%s", size.name, out)
		}
		screenshot(t, ctx, "notification-settings-"+size.name+".png")
	}
	// Opening an unread notification marks it read.
	step("open the unread one", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(m.URL()+"/notifications"),
		chromedp.Click(css("#notification-list li.unread a")), chromedp.WaitVisible(css("#post-status, .post-status, main h1")))
	deadline := time.Now().Add(pollDeadline)
	for n := 1; n != 0; {
		if n, err = m.App.Notifications.Unread(bg, owner); err != nil {
			t.Fatal(err)
		}
		if n != 0 && time.Now().After(deadline) {
			t.Fatalf("unread after opening the notification = %d", n)
		}
		if n != 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The settings page saves the person's choices.
	step("save settings", chromedp.Navigate(m.URL()+"/notifications/settings"), chromedp.WaitVisible(css("#notification-settings")),
		chromedp.Click(css("#email-post_failed")), chromedp.Click(css("#digest")),
		chromedp.Click(css(`#notification-settings button[type="submit"]`)), chromedp.WaitVisible(css("#alerts .alert")))
	prefs, err := m.App.Notifications.Settings(bg, owner)
	if err != nil || prefs.Emails(domain.NotifyPostFailed) || !prefs.Emails(domain.NotifyMentioned) || !prefs.Digest {
		t.Errorf("saved settings = %+v, %v", prefs, err)
	}
}
