package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_InvitationPages drives Chromium through inviting (the link shown once and
// copied), registering through the link while signed out, and the confirmation a
// signed-in person sees, with screenshots at 1440x900 and 390x844.
func TestBrowser_InvitationPages(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	shots := func(name string, wait chromedp.Action[chromedp.Void]) {
		t.Helper()
		step("desktop "+name, chromedp.EmulateViewport(1440, 900), wait)
		screenshot(t, ctx, name+".png")
		step("phone "+name, chromedp.EmulateViewport(390, 844), wait)
		screenshot(t, ctx, name+"-phone.png")
		step("back to desktop", chromedp.EmulateViewport(1440, 900))
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(css(sel)))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return v
	}

	owner := strings.ToLower(uniqueEmail("olga"))
	step("register the owner",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Olga"),
		chromedp.SendKeys(css("#email"), owner),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Olga Studio"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	invited := strings.ToLower(uniqueEmail("pavel"))
	invite := func(email, role string) string {
		t.Helper()
		step("invite "+email,
			chromedp.Navigate(m.URL()+"/team"),
			chromedp.SendKeys(css("#member-email"), email),
			chromedp.SetValue(css("#member-role"), role),
			chromedp.Submit(css("#member-email")),
			chromedp.WaitVisible(css("#invitation-url")))
		return value("#invitation-url")
	}
	second := invite(strings.ToLower(uniqueEmail("quinn")), "viewer")
	link := invite(invited, "editor")
	// The copy button reports it copied (the clipboard itself is the browser's business).
	step("copy the link",
		chromedp.Click(css(`button[data-copy="#invitation-url"]`)),
		chromedp.WaitVisible(xpath(`//button[@data-copy and text()="Copied"]`)))
	shots("team-invitations", chromedp.WaitVisible(css("#invitations")))

	step("sign out", chromedp.Click(css("#person-menu summary")), chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`form[action="/login"]`)))
	step("open the link signed out", chromedp.Navigate(link), chromedp.WaitVisible(css("#invitation-summary")))
	if got := value("#email"); got != invited {
		t.Errorf("the email field holds %q, want the invited %q", got, invited)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#company").length`)); err != nil || n != 0 {
		t.Errorf("the invitation's registration asks a company name (%d, %v)", n, err)
	}
	shots("invitation-register", chromedp.WaitVisible(css("#invitation-summary")))
	step("register through the link",
		chromedp.SendKeys(css("#name"), "Pavel"),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(xpath(`//h1[@id="company-name" and text()="Olga Studio"]`)),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"]//*[contains(., "You joined Olga Studio as editor")]`)))
	shots("invitation-joined", chromedp.WaitVisible(css("#company-name")))

	step("open another link signed in", chromedp.Navigate(second), chromedp.WaitVisible(css("#accept-invitation")))
	summary, err := chromedp.Run(ctx, chromedp.Text(css("#accept")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, invited) || !strings.Contains(summary, "viewer") || !strings.Contains(summary, "this account will join") {
		t.Errorf("confirmation = %q", summary)
	}
	shots("invitation-confirm", chromedp.WaitVisible(css("#accept-invitation")))
}
