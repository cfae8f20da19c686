package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/app"
)

// personLink stores a single-use link of purpose for the person with email (as the
// emailed one would be) valid for interval (negative: expired), and returns its token.
func personLink(t *testing.T, m *Main, purpose, email, interval string) string {
	t.Helper()
	prefix := map[string]string{"password_reset": "hrd_pwr_", "verify_email": "hrd_vfy_"}[purpose]
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := prefix + base64.RawURLEncoding.EncodeToString(raw)
	if _, err := m.db.Pool().Exec(context.Background(), `
		INSERT INTO person_tokens (token_hash, purpose, user_id, email, expires_at, created_at)
		SELECT sha256(convert_to($1, 'UTF8')), $2, id, email, now() + $4::interval, now() FROM users WHERE email = $3`,
		token, purpose, email, interval); err != nil {
		t.Fatal(err)
	}
	return token
}

func TestAPI_PasswordResetEndsSessionsAndNeverTellsWhoExists(t *testing.T) {
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "reset")
	if st, _, me := c.with(owner.token, "").do("GET", "/api/v1/auth/me", nil); st != 200 || field(me, "user", "email_verified") != true {
		t.Errorf("me = %d %v, want email_verified (no SMTP server: nobody could verify)", st, me)
	}
	// The same answer for an address with and without an account.
	for _, email := range []string{owner.email, uniqueEmail("nobody")} {
		if st, _, body := c.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email}); st != http.StatusAccepted || body != nil {
			t.Errorf("reset for %s = %d %v, want 202 and no body", email, st, body)
		}
	}
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "not an address"}); st != 422 || problemFields(body)["email"] == "" {
		t.Errorf("reset for garbage = %d %v", st, body)
	}

	st, _, login := c.do("POST", "/api/v1/auth/login", map[string]string{"email": owner.email, "password": "correct horse battery"})
	if st != 200 {
		t.Fatalf("login = %d %v", st, login)
	}
	old := login["token"].(string)
	token := personLink(t, m, "password_reset", owner.email, "1 hour")
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "short"}); st != 422 || problemFields(body)["password"] == "" {
		t.Errorf("weak password = %d %v, want 422 naming password", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": "hrd_pwr_unknown", "password": "a brand new passphrase"}); st != 404 || body["detail"] == "" {
		t.Errorf("unknown link = %d %v, want a 404 problem", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "a brand new passphrase"}); st != 204 {
		t.Fatalf("reset = %d %v", st, body)
	}
	for _, bearer := range []string{owner.token, old} {
		if st, _, _ := c.with(bearer, "").do("GET", "/api/v1/auth/me", nil); st != 401 {
			t.Errorf("a token from before the reset answers %d, want 401", st)
		}
	}
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "yet another passphrase"}); st != 410 || body["detail"] == "" {
		t.Errorf("the used link again = %d %v, want a 410 problem", st, body)
	}
	expired := personLink(t, m, "password_reset", owner.email, "-1 minute")
	if st, _, body := c.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": expired, "password": "yet another passphrase"}); st != 410 {
		t.Errorf("an expired link = %d %v, want 410", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": owner.email, "password": "a brand new passphrase"}); st != 200 {
		t.Errorf("login with the new password = %d %v", st, body)
	}
}

func TestAPI_UnverifiedCannotAcceptInvitationUntilVerified(t *testing.T) {
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "inviter")
	guest := register(t, c, "guest")
	if _, err := m.db.Pool().Exec(context.Background(), `UPDATE users SET email_verified_at = NULL WHERE id = $1`, guest.userID); err != nil {
		t.Fatal(err)
	}
	gc := c.with(guest.token, "")
	if _, _, me := gc.do("GET", "/api/v1/auth/me", nil); field(me, "user", "email_verified") != false {
		t.Errorf("me = %v, want email_verified false", me)
	}
	_, _, inv := c.with(owner.token, owner.companyID).do("POST", "/api/v1/members", map[string]string{"email": guest.email, "role": "editor"})
	st, _, body := gc.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)})
	if st != 403 || body["detail"] == "" {
		t.Fatalf("unverified accept = %d %v, want a 403 problem", st, body)
	}
	// Without an SMTP server no link can be sent.
	nomail := *gc
	nomail.outage = true // 503 is the answer here, not a fault
	if st, _, body := nomail.do("POST", "/api/v1/auth/verify-email/resend", nil); st != 503 {
		t.Errorf("resend without SMTP = %d %v, want 503", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/verify-email", map[string]string{"token": "hrd_vfy_unknown"}); st != 404 {
		t.Errorf("unknown verification link = %d %v", st, body)
	}
	link := personLink(t, m, "verify_email", guest.email, "48 hours")
	if st, _, body := c.do("POST", "/api/v1/auth/verify-email", map[string]string{"token": link}); st != 204 {
		t.Fatalf("verify = %d %v", st, body)
	}
	if st, _, _ := c.do("POST", "/api/v1/auth/verify-email", map[string]string{"token": link}); st != 410 {
		t.Errorf("the used verification link = %d, want 410", st)
	}
	if _, _, me := gc.do("GET", "/api/v1/auth/me", nil); field(me, "user", "email_verified") != true {
		t.Errorf("me after verifying = %v", me)
	}
	if st, _, body := gc.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 200 || body["company_id"] != owner.companyID {
		t.Errorf("accept after verifying = %d %v: the invitation was lost", st, body)
	}
	if st, _, _ := nomail.do("POST", "/api/v1/auth/verify-email/resend", nil); st != 503 && st != 409 {
		t.Errorf("resend when verified = %d", st)
	}
}
