package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_ChangePasswordAndSignInToFinishConnecting drives Chromium through the profile's
// password form (a refused common password, then a good one) on a desktop and a phone, and
// through the sign-in page a signed-out browser reaches from a connect callback, with
// screenshots of each.
func TestBrowser_ChangePasswordAndSignInToFinishConnecting(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	email := strings.ToLower(uniqueEmail("petra"))
	if _, err := m.App.Auth.Register(context.Background(), app.Registration{Email: email, Password: "correct horse battery", Name: "Petra", Company: "Petra Press"}, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	type css = chromedp.CSS
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := chrome(t, size.w, size.h)
			step := stepper(t, ctx)
			password := "correct horse battery"
			if size.name == "phone" {
				password = "a fresh long secret"
			}
			step("sign in",
				chromedp.EmulateViewport(int64(size.w), int64(size.h)),
				chromedp.Navigate(m.URL()+"/profile"),
				chromedp.WaitVisible(css(`form[action="/login"]`)),
				chromedp.SendKeys(css(`form[action="/login"] #email`), email),
				chromedp.SendKeys(css(`form[action="/login"] #password`), password),
				chromedp.Submit(css(`form[action="/login"] #password`)),
				chromedp.WaitVisible(css("#password-form")))
			step("a common password is refused",
				chromedp.SendKeys(css("#current-password"), password),
				chromedp.SendKeys(css("#new-password"), "Password123456"),
				chromedp.Submit(css("#new-password")),
				chromedp.WaitVisible(css("#new-password-error")),
				chromedp.ScrollIntoView(css("#password")))
			msg, err := chromedp.Run(ctx, chromedp.Text(css("#new-password-error")))
			if err != nil || !strings.Contains(msg, "most common passwords") {
				t.Errorf("new password error = %q, %v", msg, err)
			}
			screenshot(t, ctx, "profile-password-"+size.name+".png")
			if size.name == "desktop" {
				step("a good password is taken",
					chromedp.SendKeys(css("#current-password"), password),
					chromedp.SendKeys(css("#new-password"), "a fresh long secret"),
					chromedp.Submit(css("#new-password")),
					chromedp.WaitVisible(css("#alerts .alert, #alerts [role]")))
				flash, err := chromedp.Run(ctx, chromedp.Text(css("#alerts")))
				if err != nil || !strings.Contains(flash, "password was changed") {
					t.Errorf("after the change the page says %q, %v", flash, err)
				}
				screenshot(t, ctx, "profile-password-changed.png")
			}
			// A connect callback reached signed out asks to sign in first.
			next := "/api/v1/accounts/callback/sandbox?code=sbx_code_X&state=S"
			step("sign out and reach a callback",
				chromedp.Navigate(m.URL()+"/"),
				chromedp.Click(css("#person-menu summary")), chromedp.Click(css(`form[action="/logout"] button`)),
				chromedp.WaitVisible(css(`form[action="/login"]`)),
				chromedp.Navigate(m.URL()+"/login?"+url.Values{"next": {next}}.Encode()),
				chromedp.WaitVisible(css("#login-connect")))
			screenshot(t, ctx, "login-to-connect-"+size.name+".png")
		})
	}
}
