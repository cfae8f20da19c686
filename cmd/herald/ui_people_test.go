package main

import (
	"strings"
	"testing"
)

// TestUI_InvitationSaysWhetherItWasEmailed: without an SMTP server the team page tells the
// inviter to send the link themselves.
func TestUI_InvitationSaysWhetherItWasEmailed(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Nora")
	_, doc := owner.submit("/team", "#add-member", map[string]string{"email": strings.ToLower(uniqueEmail("olga")), "role": "viewer"})
	if got := doc.Find("#invitation-not-emailed").Text(); !strings.Contains(got, "Email is not configured: copy this link and send it yourself") {
		t.Errorf("the invitation says %q", doc.Find("#invitation-link").Text())
	}
	if doc.Find("#invitation-emailed").Length() != 0 {
		t.Error("the page says the invitation was emailed without an SMTP server")
	}
	if _, doc := owner.get("/login"); doc.Find(`#forgot-password[href="/password-reset"]`).Length() != 1 {
		t.Error("the sign-in page has no \"Forgot your password?\" link")
	}
}
