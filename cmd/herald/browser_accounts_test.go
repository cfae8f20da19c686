package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_AccountsHealthAndRetryAfterReconnect shows the accounts page of a company
// whose sandbox account was disconnected with two posts on it, and a second account whose
// token cannot be renewed (as LinkedIn's without programmatic refresh): reconnecting offers
// "Retry failed posts (2)", the other account counts down to the end of its access, and
// retrying sends the posts again. Screenshots at 1440×900 and on a phone (390×844) go to
// test-output/browser/.
func TestBrowser_AccountsHealthAndRetryAfterReconnect(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "hana")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "hana-main")
	member := connectSandboxAPI(t, oc, "hana-member")
	// The member account holds a token without a refresh token, valid twelve days more.
	if _, err := m.db.SQL().ExecContext(context.Background(), `UPDATE social_accounts SET refresh_token = NULL,
		token_expires_at = now() + interval '12 days 2 hours' WHERE id = $1`, member); err != nil {
		t.Fatal(err)
	}
	schedulePost(t, oc, acct, "Spring launch: the new range is here", time.Now().Add(48*time.Hour))
	schedulePost(t, oc, acct, "Thank you to everyone who came by", time.Now().Add(72*time.Hour))
	if st, _, b := oc.do("DELETE", "/api/v1/accounts/"+acct, nil); st != http.StatusNoContent {
		t.Fatalf("disconnect = %d %v", st, b)
	}

	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), owner.email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	step("accounts before reconnecting", chromedp.Navigate(m.URL()+"/accounts"), chromedp.WaitVisible(css("#accounts")))
	if n := eval(`String(document.querySelectorAll("form.retry-failed").length)`); n != "0" {
		t.Errorf("the retry action shows before any reconnect (%s forms)", n)
	}
	countdown := eval(`document.querySelector('tr[data-account="` + member + `"] .countdown')?.textContent ?? ""`)
	if countdown != "Access ends in 12 days — reconnect before then" {
		t.Errorf("countdown = %q", countdown)
	}
	if got := eval(`String(document.querySelector('tr[data-account="` + member + `"] form.reconnect') !== null)`); got != "true" {
		t.Error("an account whose access ends offers no reconnect button")
	}

	step("reconnect",
		chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
		chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)))
	eval(`(() => { document.querySelector("#handle").value = "hana-main"; return ""; })()`)
	step("allow",
		chromedp.Click(css(`button[name="decision"][value="allow"]`)),
		chromedp.WaitVisible(css("#connect-notice")),
		chromedp.WaitVisible(css(`tr[data-account="`+acct+`"] form.retry-failed button`)))
	if got := eval(`document.querySelector('tr[data-account="` + acct + `"] form.retry-failed button').textContent`); got != "Retry failed posts (2)" {
		t.Errorf("retry action = %q, want Retry failed posts (2)", got)
	}
	if got := eval(`document.querySelector('tr[data-account="` + member + `"] .last-success').textContent`); !strings.Contains(got, "none yet") {
		t.Errorf("last success of an account never called = %q", got)
	}
	screenshot(t, ctx, "accounts-reconnected.png")

	step("retry",
		chromedp.Click(css(`tr[data-account="`+acct+`"] form.retry-failed button`)),
		chromedp.WaitVisible(css("#alerts .alert")))
	if got := eval(`document.querySelector("#alerts .alert").textContent`); !strings.Contains(got, "2 failed posts will be sent again: 0 now, 2 at their own time, still ahead") {
		t.Errorf("after retrying: %q", got)
	}
	_, _, list := oc.do("GET", "/api/v1/posts?status=scheduled", nil)
	if items, _ := list["items"].([]any); len(items) != 2 {
		t.Errorf("scheduled posts after the retry = %d, want 2", len(items))
	}

	step("accounts on a phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(m.URL()+"/accounts"),
		chromedp.WaitVisible(css("#accounts")))
	screenshot(t, ctx, "accounts-phone.png")
}
