package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// virtualAuthenticator gives the tab in ctx Chrome's virtual authenticator: a platform
// authenticator (CTAP 2.1, internal transport) that keeps resident keys and verifies the
// person at once, as a laptop's fingerprint reader would. It returns the authenticator's id.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	var id webauthn.AuthenticatorID
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		id = res.AuthenticatorID
		return err
	}))
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	return id
}

// TestBrowser_PasskeyAddedThenSignsIn adds a passkey on the passkeys page with Chrome's
// virtual authenticator, signs out, and signs in with "Sign in with a passkey" without
// typing an email; it saves the login page and the passkey list at desktop and phone sizes
// and checks both with axe. Passkeys need a host name: Herald runs on 127.0.0.1, so its
// relying party is localhost and the browser opens it there.
func TestBrowser_PasskeyAddedThenSignsIn(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	base := strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)
	ctx := chrome(t, 1440, 900)
	auth := virtualAuthenticator(t, ctx)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	axe := func(page string) {
		t.Helper()
		if v := axeViolations(t, ctx); v != "" {
			t.Errorf("axe on %s:\n%s", page, v)
		}
	}
	viewport := func(w, h int64) {
		t.Helper()
		step("viewport", chromedp.EmulateViewport(w, h))
	}

	browserRegister(t, ctx, base, "Paula")
	step("open the passkeys page from the profile",
		chromedp.Navigate(base+"/profile"),
		chromedp.Click(css("#manage-passkeys")),
		chromedp.WaitVisible(css("#no-passkeys")))
	step("add a passkey",
		chromedp.SendKeys(css("#passkey-name"), "This laptop"),
		chromedp.Click(css("#passkey-add-button")),
		chromedp.WaitVisible(xpath(`//ul[@id="passkeys"]//h2[text()="This laptop"]`)))
	var creds webauthn.GetCredentialsResult
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		creds, err = cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
		return err
	}))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v (%v); want one resident credential for localhost", creds, err)
	}
	screenshot(t, ctx, "passkeys.png")
	axe("the passkeys page")
	viewport(390, 844)
	screenshot(t, ctx, "passkeys-phone.png")
	axe("the passkeys page on a phone")
	viewport(1440, 900)

	step("sign out",
		chromedp.Click(css("#person-menu summary")), chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`form[action="/login"]`)),
		chromedp.WaitVisible(css("#passkey-signin")))
	screenshot(t, ctx, "login-passkey.png")
	axe("the login page")
	viewport(390, 844)
	screenshot(t, ctx, "login-passkey-phone.png")
	axe("the login page on a phone")
	viewport(1440, 900)

	step("sign in with the passkey, no email typed",
		chromedp.Click(css("#passkey-signin")),
		chromedp.WaitVisible(css("#company-name")))
	step("the passkey shows its use",
		chromedp.Navigate(base+"/profile/passkeys"),
		chromedp.WaitVisible(xpath(`//ul[@id="passkeys"]//p[contains(., "Last used")]`)))
	step("rename it",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#passkeys input[name="name"]').value = ""`),
		chromedp.SendKeys(css(`#passkeys input[name="name"]`), "Office laptop"),
		chromedp.Submit(css(`#passkeys input[name="name"]`)),
		chromedp.WaitVisible(xpath(`//ul[@id="passkeys"]//h2[text()="Office laptop"]`)))
}
