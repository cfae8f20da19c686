package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestBrowser_PasswordResetAndVerification walks the pages of a forgotten password and of
// an unverified address, on a desktop and on a phone, checks each with axe and saves
// screenshots of each under test-output/browser/people-*.
func TestBrowser_PasswordResetAndVerification(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		email := strings.ToLower(uniqueEmail("rosa-" + size.name))
		if _, err := m.App.Auth.Register(context.Background(), app.Registration{Email: email, Password: "correct horse battery", Name: "Rosa", Company: "Rosa Press"}, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.db.Pool().Exec(context.Background(), `UPDATE users SET email_verified_at = NULL WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
		ctx := chrome(t, size.w, size.h)
		step := stepper(t, ctx)
		type css = chromedp.CSS
		checked := func(page string) {
			t.Helper()
			if v := axeViolations(t, ctx); v != "" {
				t.Errorf("%s on a %s: axe violations:\n%s", page, size.name, v)
			}
			// From the top, so the sticky header sits where a person sees it.
			step("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
			screenshot(t, ctx, "people-"+page+"-"+size.name+".png")
		}
		text := func(sel string) string {
			t.Helper()
			out, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
			if err != nil {
				t.Fatalf("text of %s: %v", sel, err)
			}
			return out
		}

		step("forgot password",
			chromedp.Navigate(m.URL()+"/login"),
			chromedp.Click(css("#forgot-password")),
			chromedp.WaitVisible(css(`form[action="/password-reset"] #email`)))
		checked("reset-request")
		step("ask for a link",
			chromedp.SendKeys(css(`form[action="/password-reset"] #email`), email),
			chromedp.Submit(css(`form[action="/password-reset"] #email`)),
			chromedp.WaitVisible(css("#reset-sent")))
		if got := text("#reset-sent"); !strings.Contains(got, email) || !strings.Contains(got, "1 hour") {
			t.Errorf("the answer = %q", got)
		}
		checked("reset-sent")

		token := personLink(t, m, "password_reset", email, "1 hour")
		step("open the link",
			chromedp.Navigate(m.URL()+"/password-reset/confirm?token="+token),
			chromedp.WaitVisible(css("#reset-submit")))
		checked("reset-confirm")
		step("a weak password",
			chromedp.SendKeys(css("#password"), "short"),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css("#password-error")))
		step("a good password",
			chromedp.SendKeys(css("#password"), "a brand new passphrase"),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css(`form[action="/login"]`)))
		if got := text("#alerts"); !strings.Contains(got, "new password is set") {
			t.Errorf("after the reset the sign-in page says %q", got)
		}
		step("the used link",
			chromedp.Navigate(m.URL()+"/password-reset/confirm?token="+token),
			chromedp.WaitVisible(css("#reset-broken")))
		if got := text("#reset-broken"); !strings.Contains(got, "already used") {
			t.Errorf("the used link says %q", got)
		}
		for _, p := range consoleOf(ctx).take() {
			if !strings.Contains(p, "410 (Gone)") {
				t.Errorf("console: %s", p)
			}
		}
		checked("reset-used")

		step("sign in with the new password",
			chromedp.Navigate(m.URL()+"/login"),
			chromedp.SendKeys(css(`form[action="/login"] #email`), email),
			chromedp.SendKeys(css(`form[action="/login"] #password`), "a brand new passphrase"),
			chromedp.Submit(css(`form[action="/login"] #password`)),
			chromedp.WaitVisible(css("#company-name")))
		// A reset by email verifies the address: this person was made unverified after it.
		if _, err := m.db.Pool().Exec(context.Background(), `UPDATE users SET email_verified_at = NULL WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
		step("the banner", chromedp.Reload(), chromedp.WaitVisible(css("#verify-banner-resend")))
		checked("verify-banner")

		// An invitation waits until the address is verified.
		inviter, err := m.App.Auth.Register(context.Background(), app.Registration{Email: strings.ToLower(uniqueEmail("ines")), Password: "correct horse battery",
			Name: "Ines", Company: "Ines Agency"}, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := m.App.Teams.Invite(context.Background(), domain.Actor{UserID: inviter.User.ID, CompanyID: inviter.Company.ID, Role: domain.RoleOwner}, email, "editor")
		if err != nil {
			t.Fatal(err)
		}
		acceptURL, err := url.Parse(inv.URL)
		if err != nil {
			t.Fatal(err)
		}
		step("open the invitation unverified",
			chromedp.Navigate(m.URL()+acceptURL.RequestURI()),
			chromedp.WaitVisible(css("#accept-verify-first")))
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#accept-invitation").length`)); err != nil || n != 0 {
			t.Errorf("an unverified person is offered to join: %d, %v", n, err)
		}
		checked("accept-verify-first")

		link := personLink(t, m, "verify_email", email, "48 hours")
		step("open the verification link",
			chromedp.Navigate(m.URL()+"/verify-email?token="+link),
			chromedp.WaitVisible(css("#verify-submit")))
		checked("verify")
		step("verify", chromedp.Click(css("#verify-submit")), chromedp.WaitVisible(css("#verify-done")))
		checked("verified")
		step("home again", chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css("#company-name")))
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#verify-banner").length`)); err != nil || n != 0 {
			t.Errorf("the banner stays after verifying: %d, %v", n, err)
		}
		step("join after verifying",
			chromedp.Navigate(m.URL()+acceptURL.RequestURI()),
			chromedp.Click(css("#accept-invitation")),
			chromedp.WaitVisible(css("#company-name")))
		if got := text("#alerts"); !strings.Contains(got, "You joined Ines Agency") {
			t.Errorf("after joining the page says %q", got)
		}
	}
}
