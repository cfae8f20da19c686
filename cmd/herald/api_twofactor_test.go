package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// totpCode computes the RFC 6238 code (6 digits, HMAC-SHA-1, 30 s steps) of a base32 secret
// at t, as an authenticator app does: the tests' own arithmetic, not the server's library.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.ReplaceAll(secret, " ", "")))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000)
}

// TestAPI_TwoFactorSignIn: enrolment, then login answers mfa_required without a token,
// the second step with a code gives a token that works, a recovery code works once, and a
// company that requires two-factor sign-in refuses its members without it (403
// two-factor-required) while /auth/me and their other company keep working.
func TestAPI_TwoFactorSignIn(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "mfa")
	oc := c.with(owner.token, owner.companyID)

	st, _, begun := oc.do("POST", "/api/v1/auth/2fa/totp", nil)
	secret, _ := begun["secret"].(string)
	if st != http.StatusOK || secret == "" || !strings.HasPrefix(fmt.Sprint(begun["otpauth_url"]), "otpauth://totp/") {
		t.Fatalf("begin = %d %v", st, begun)
	}
	if st, _, body := oc.do("POST", "/api/v1/auth/2fa/totp/confirm", map[string]string{"code": "12345"}); st != http.StatusUnprocessableEntity {
		t.Fatalf("confirm with 5 digits = %d %v", st, body)
	}
	st, _, confirmed := oc.do("POST", "/api/v1/auth/2fa/totp/confirm", map[string]string{"code": totpCode(t, secret, time.Now())})
	codes, _ := confirmed["recovery_codes"].([]any)
	if st != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirm = %d %v", st, confirmed)
	}
	if st, _, body := oc.do("GET", "/api/v1/auth/2fa", nil); st != http.StatusOK || body["enabled"] != true || body["recovery_codes_left"] != float64(10) {
		t.Fatalf("status = %d %v", st, body)
	}

	login := func() string {
		t.Helper()
		st, _, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": owner.email, "password": "correct horse battery"})
		if st != http.StatusOK || body["mfa_required"] != true || body["token"] != nil || body["mfa_token"] == "" {
			t.Fatalf("login with 2FA = %d %v", st, body)
		}
		return body["mfa_token"].(string)
	}
	token := login()
	if st, _, body := c.do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": token, "code": "000000"}); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code = %d %v", st, body)
	}
	// The next step's code (accepted with one step of skew): the confirming code's step
	// is used up, and the test never waits for a step to pass.
	st, _, signedIn := c.do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": token, "code": totpCode(t, secret, time.Now().Add(30*time.Second))})
	if st != http.StatusOK || signedIn["token"] == nil {
		t.Fatalf("second step = %d %v", st, signedIn)
	}
	if st, _, me := c.with(signedIn["token"].(string), "").do("GET", "/api/v1/auth/me", nil); st != http.StatusOK || field(me, "user", "email") != owner.email {
		t.Fatalf("me with the new token = %d %v", st, me)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": token, "code": codes[0].(string)}); st != http.StatusUnauthorized {
		t.Fatalf("the used MFA token again = %d %v", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": login(), "code": codes[0].(string)}); st != http.StatusOK || body["token"] == nil {
		t.Fatalf("recovery code = %d %v", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": login(), "code": codes[0].(string)}); st != http.StatusUnprocessableEntity {
		t.Fatalf("the used recovery code again = %d %v", st, body)
	}

	// The company requirement.
	member := register(t, c, "mfa-member")
	addMember(t, oc, member, "editor")
	mc := c.with(member.token, owner.companyID)
	if st, _, body := mc.do("PUT", "/api/v1/company", map[string]any{"require_2fa": true}); st != http.StatusForbidden {
		t.Fatalf("an editor requiring 2FA = %d %v", st, body)
	}
	if st, _, body := oc.do("PUT", "/api/v1/company", map[string]any{"require_2fa": true}); st != http.StatusOK || body["require_2fa"] != true {
		t.Fatalf("the owner requiring 2FA = %d %v", st, body)
	}
	st, _, refused := mc.do("GET", "/api/v1/posts", nil)
	if st != http.StatusForbidden || refused["type"] != "urn:herald:problem:two-factor-required" || !strings.Contains(fmt.Sprint(refused["detail"]), "two-factor") {
		t.Fatalf("a member without 2FA = %d %v", st, refused)
	}
	if st, _, body := mc.do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Fatalf("/auth/me of a member without 2FA = %d %v", st, body)
	}
	if st, _, body := c.with(member.token, member.companyID).do("GET", "/api/v1/posts", nil); st != http.StatusOK {
		t.Fatalf("the member in their own company = %d %v", st, body)
	}
	if st, _, body := oc.do("GET", "/api/v1/posts", nil); st != http.StatusOK {
		t.Fatalf("the owner with 2FA = %d %v", st, body)
	}
	// The member enrols (the enrolment endpoints work while refused) and gets in.
	st, _, mb := mc.do("POST", "/api/v1/auth/2fa/totp", nil)
	if st != http.StatusOK {
		t.Fatalf("member begins = %d %v", st, mb)
	}
	if st, _, body := mc.do("POST", "/api/v1/auth/2fa/totp/confirm", map[string]string{"code": totpCode(t, mb["secret"].(string), time.Now())}); st != http.StatusOK {
		t.Fatalf("member confirms = %d %v", st, body)
	}
	if st, _, body := mc.do("GET", "/api/v1/posts", nil); st != http.StatusOK {
		t.Fatalf("the member with 2FA = %d %v", st, body)
	}
	// The owner turns it off with the password and a code; then login gives a token at once.
	if st, _, body := oc.do("DELETE", "/api/v1/auth/2fa/totp", map[string]string{"password": "correct horse battery", "code": totpCode(t, secret, time.Now().Add(-30*time.Second))}); st != http.StatusUnprocessableEntity {
		t.Fatalf("disable with an older step's code = %d %v", st, body)
	}
	if st, _, body := oc.do("DELETE", "/api/v1/auth/2fa/totp", map[string]string{"password": "correct horse battery", "code": codes[1].(string)}); st != http.StatusNoContent {
		t.Fatalf("disable = %d %v", st, body)
	}
	if st, _, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": owner.email, "password": "correct horse battery"}); st != http.StatusOK || body["token"] == nil {
		t.Fatalf("login after disabling = %d %v", st, body)
	}
}

// TestWeb_TwoFactorRequiredSendsMembersToSetup: in a company that requires two-factor
// sign-in, a member without it who opens any of its pages is sent to the setup page, which
// (with the profile) still opens; in their own company nothing changes.
func TestWeb_TwoFactorRequiredSendsMembersToSetup(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "web-mfa")
	oc := c.with(owner.token, owner.companyID)
	_, _, begun := oc.do("POST", "/api/v1/auth/2fa/totp", nil)
	if st, _, body := oc.do("POST", "/api/v1/auth/2fa/totp/confirm", map[string]string{"code": totpCode(t, begun["secret"].(string), time.Now())}); st != http.StatusOK {
		t.Fatalf("confirm = %d %v", st, body)
	}
	if st, _, body := oc.do("PUT", "/api/v1/company", map[string]any{"require_2fa": true}); st != http.StatusOK {
		t.Fatalf("require = %d %v", st, body)
	}
	member := register(t, c, "web-mfa-member")
	addMember(t, oc, member, "viewer")
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, company string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", m.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: member.token})
		req.AddCookie(&http.Cookie{Name: "herald_company", Value: company})
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return res.StatusCode, res.Header.Get("Location")
	}
	for _, p := range []string{"/", "/posts", "/settings", "/team"} {
		if st, loc := get(p, owner.companyID); st != http.StatusSeeOther || loc != "/profile/two-factor" {
			t.Errorf("GET %s in the requiring company = %d to %q, want 303 to /profile/two-factor", p, st, loc)
		}
	}
	for _, p := range []string{"/profile/two-factor", "/profile"} {
		if st, _ := get(p, owner.companyID); st != http.StatusOK {
			t.Errorf("GET %s in the requiring company = %d, want 200", p, st)
		}
	}
	if st, loc := get("/posts", member.companyID); st != http.StatusOK {
		t.Errorf("GET /posts in the member's own company = %d %q, want 200", st, loc)
	}
}
