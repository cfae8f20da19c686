package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_TwoFactorEnrolAndSignIn: a person sets up two-factor sign-in from their
// profile (the key read from the page, the code computed here with RFC 6238), sees their
// recovery codes once, signs out, and signs in again with a code on the second step. The
// setup and the second step are screenshotted on a desktop and a phone and pass axe.
func TestBrowser_TwoFactorEnrolAndSignIn(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step, eval := stepper(t, ctx), evaluator(t, ctx)
	email := strings.ToLower(uniqueEmail("mira"))
	step("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Mira"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Mira Studio"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	step("open the security section",
		chromedp.Navigate(m.URL()+"/profile#security"),
		chromedp.WaitVisible(css("#profile-two-factor-off")),
		chromedp.Click(css("#setup-two-factor")),
		chromedp.WaitVisible(css("#begin-two-factor")),
		chromedp.Click(css("#begin-two-factor")),
		chromedp.WaitVisible(css("#totp-qr")))
	if w := eval(`String(document.querySelector("#totp-qr").naturalWidth)`); w == "0" {
		t.Fatal("the QR code image did not load")
	}
	check := func(page string) {
		t.Helper()
		if v := axeViolations(t, ctx); v != "" {
			t.Errorf("axe on %s:\n%s", page, v)
		}
	}
	shots := func(name string) {
		t.Helper()
		screenshot(t, ctx, name+"-desktop.png")
		step("phone", chromedp.EmulateViewport(390, 844))
		screenshot(t, ctx, name+"-phone.png")
		check(name + " (phone)")
		step("desktop", chromedp.EmulateViewport(1440, 900))
	}
	check("the setup page")
	shots("two-factor-enrol")
	key := strings.ReplaceAll(eval(`document.querySelector("#totp-key").textContent`), " ", "")
	if len(key) < 16 {
		t.Fatalf("the key on the page = %q", key)
	}
	step("confirm with a wrong code",
		chromedp.SendKeys(css("#confirm-code"), "000000"),
		chromedp.Submit(css("#confirm-code")),
		chromedp.WaitVisible(css("#confirm-code-error")))
	if again := strings.ReplaceAll(eval(`document.querySelector("#totp-key").textContent`), " ", ""); again != key {
		t.Fatalf("after a wrong code the key changed: %q, was %q", again, key)
	}
	step("confirm with the app's code",
		chromedp.SendKeys(css("#confirm-code"), totpCode(t, key, time.Now())),
		chromedp.Submit(css("#confirm-code")),
		chromedp.WaitVisible(css("#recovery-codes")))
	if n := eval(`String(document.querySelectorAll("#recovery-list li").length)`); n != "10" {
		t.Fatalf("%s recovery codes shown, want 10", n)
	}
	if href := eval(`document.querySelector("#download-recovery-codes").getAttribute("href")`); !strings.HasPrefix(href, "data:text/plain") {
		t.Fatalf("download link %q", href)
	}
	check("the recovery codes")
	shots("two-factor-codes")
	step("back to the profile",
		chromedp.Click(css("#recovery-codes-done")),
		chromedp.WaitVisible(css("#profile-two-factor-on")))
	step("the profile from its top", chromedp.Navigate(m.URL()+"/profile"), chromedp.WaitVisible(css("#profile-two-factor-on")))
	screenshot(t, ctx, "profile-security-desktop.png")
	step("require two-factor sign-in in the company",
		chromedp.Navigate(m.URL()+"/settings#two-factor"),
		chromedp.WaitVisible(css("#require-2fa")),
		chromedp.Click(css("#require-2fa")),
		chromedp.Click(css("#save-require-2fa")),
		chromedp.WaitVisible(css("#require-2fa:checked")))
	check("the settings page")
	screenshot(t, ctx, "settings-two-factor-desktop.png")

	step("sign out and in with the password",
		chromedp.Click(css("#person-menu summary")), chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`form[action="/login"]`)),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#mfa-code")))
	if ac := eval(`document.querySelector("#mfa-code").getAttribute("autocomplete") + " " + document.querySelector("#mfa-code").getAttribute("inputmode")`); ac != "one-time-code numeric" {
		t.Errorf("the code field: %q", ac)
	}
	check("the second step")
	shots("login-two-factor")
	step("a wrong code",
		chromedp.SendKeys(css("#mfa-code"), "000000"),
		chromedp.Submit(css("#mfa-code")),
		chromedp.WaitVisible(css("#mfa-code-error")))
	// The next step's code: the one that confirmed the setup may still be current, and it
	// never works twice.
	step("the app's code",
		chromedp.SendKeys(css("#mfa-code"), totpCode(t, key, time.Now().Add(30*time.Second))),
		chromedp.Submit(css("#mfa-code")),
		chromedp.WaitVisible(css("#company-name")))
}
