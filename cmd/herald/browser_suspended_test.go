package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestBrowser_SuspendedCompanyKeepsWhatWasTyped signs in, with JavaScript on, the owner of a
// company the operator suspends meanwhile: the banner says what a suspended company can do;
// saving a typed post answers that the company is suspended, with the reason, and the typed
// text is still in the form. Screenshots at 1440×900 and 390×844 go to test-output/browser/.
func TestBrowser_SuspendedCompanyKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	c := newClient(t, m)
	owner := register(t, c, "sam")
	connectSandboxAPI(t, c.with(owner.token, owner.companyID), "sambakery")
	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), owner.email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	step("open the compose page", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#content")))
	step("type a post", chromedp.SendKeys(css("#content"), "Fresh bread at seven"))

	// The operator suspends the company while the post is being written.
	company := owner.companyID
	suspended := domain.CompanySuspended
	root := register(t, c, "root")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), root.email, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.App.Admin.UpdateCompany(context.Background(), domain.Actor{UserID: domain.UserID(root.userID), IsSuperadmin: true}, domain.CompanyID(company),
		domain.CompanyChange{Status: &suspended, Reason: "Unpaid invoice 4711"}, 0); err != nil {
		t.Fatal(err)
	}
	step("save the draft", chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#suspended")))
	if got := eval(`document.querySelector("#content").value`); got != "Fresh bread at seven" {
		t.Errorf("after the refusal the post's text is %q, want what was typed", got)
	}
	if got := eval(`document.querySelector("main").innerText`); !strings.Contains(got, "This company is suspended (Unpaid invoice 4711)") {
		t.Errorf("the page does not say the company is suspended and why: %q", got)
	}
	screenshot(t, ctx, "suspended-compose.png")
	step("home", chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css("#suspended")))
	if got := eval(`document.querySelector("#suspended").innerText`); !strings.Contains(got, "export and delete") || !strings.Contains(got, "Unpaid invoice 4711") {
		t.Errorf("banner = %q", got)
	}
	screenshot(t, ctx, "suspended-home.png")

	step("on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#content")),
		chromedp.SendKeys(css("#content"), "Rolls at eight"), chromedp.Click(css("#save-draft")),
		chromedp.WaitVisible(css(".alert.error:not(#suspended)")))
	if got := eval(`document.querySelector("#content").value`); got != "Rolls at eight" {
		t.Errorf("on a phone, after the refusal the post's text is %q", got)
	}
	screenshot(t, ctx, "suspended-compose-phone.png")
	step("home on a phone", chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css("#suspended")))
	screenshot(t, ctx, "suspended-home-phone.png")
}
