package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestSuspendedCompany_EveryChangeIsRefusedReadsExportAndDeleteWork walks every route Echo
// has, so a route added later is covered without touching this test. Once the operator
// suspends a company, each route that changes it (JSON API and pages) answers 403: the API
// with the problem type company_suspended and the operator's reason, the pages with a page
// saying so. Reading still works; so do the company's export and deletion and the person's
// own export; sign-out and revoking tokens stay allowed, a new API token is refused.
func TestSuspendedCompany_EveryChangeIsRefusedReadsExportAndDeleteWork(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	root := superadmin(t, m, c)
	owner := register(t, c, "suspended")
	oc := c.with(owner.token, owner.companyID)
	// Real resources, so every request is well formed and reaches the permission check.
	account := connectSandboxAPI(t, oc, "suspended")
	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Hello", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	postID := post["id"].(string)
	ids := map[string]string{":id": postID, ":account_id": account, ":platform": "sandbox"}
	bodies := map[string]string{"POST /api/v1/posts/:id/targets/:account_id/resolve": `{"published": false}`, "POST /api/v1/auth/tokens": `{"name": "ci"}`,
		"POST /api/v1/posts/:id/targets/:account_id/comment/resolve": `{"published": false}`,
		"PUT /api/v1/media/:id": `{"alt": "A photo"}`, "PUT /api/v1/queue": `{"slots": []}`,
		"POST /api/v1/snippets": `{"name": "Tags", "content": "#launch"}`, "PUT /api/v1/snippets/:id": `{"name": "Tags", "content": "#launch"}`,
		"POST /api/v1/posts/:id/comments": `{"body": "Looks good"}`,
		"POST /api/v1/posts/bulk":         `{"posts": [{"content": "Hello", "account_ids": ["` + account + `"], "scheduled_for": "2030-01-07T10:00:00Z"}]}`}
	// An invitation made before the suspension.
	st, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("joiner"), "role": "editor"})
	if st != http.StatusCreated {
		t.Fatalf("invite = %d %v", st, inv)
	}
	raw, _ := field(inv, "accept_url").(string)
	acceptURL, err := url.Parse(raw)
	if err != nil || acceptURL.Query().Get("token") == "" {
		t.Fatalf("accept_url = %q: %v", raw, err)
	}
	invToken := acceptURL.Query().Get("token")
	joiner := register(t, c, "joiner")
	if st, _, body := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"status": "suspended", "reason": "Unpaid invoice 4711"}); st != http.StatusOK {
		t.Fatalf("suspend = %d %v", st, body)
	}
	const someID = "3f1c2a9e-8c59-4a43-9a6b-2f4b8e0c1d7a"
	send := func(method, path, contentType, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Content-Type", contentType)
		req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: owner.token})
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+owner.token)
			req.Header.Set("X-Company-ID", owner.companyID)
		}
		if strings.HasPrefix(path, "/api/v1/uploads") { // a well-formed tus request, so suspension is what refuses it
			req.Header.Set("Tus-Resumable", "1.0.0")
			req.Header.Set("Upload-Length", "10")
			req.Header.Set("Upload-Offset", "0")
			if method == http.MethodPatch {
				req.Header.Set("Content-Type", "application/offset+octet-stream")
			}
		}
		hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Errorf("%s %s = %d: %s", method, path, res.StatusCode, raw)
		}
		return res.StatusCode, string(raw)
	}

	// Routes that are about the person, not the company, or that a suspended company keeps.
	notCompanyChanges := map[string]bool{
		"POST /api/v1/auth/register": true, "POST /api/v1/auth/login": true, "POST /api/v1/auth/logout": true,
		"DELETE /api/v1/auth/me": true, "PUT /api/v1/auth/me": true, "DELETE /api/v1/auth/tokens/:id": true, "DELETE /api/v1/company": true,
		"POST /register": true, "POST /login": true, "POST /logout": true, "POST /companies": true, "POST /api/v1/companies": true, "POST /company/switch": true,
		"POST /tokens/:id/revoke": true, "POST /profile": true, "POST /profile/delete": true, "POST /settings/delete": true,
		"POST /api/v1/auth/password": true, "POST /api/v1/auth/logout-all": true, "POST /profile/password": true, "POST /profile/logout-all": true,
		// Two-factor sign-in is the person's own, whatever their companies' state.
		"POST /api/v1/auth/login/mfa": true, "POST /api/v1/auth/2fa/totp": true, "POST /api/v1/auth/2fa/totp/confirm": true,
		"DELETE /api/v1/auth/2fa/totp": true, "POST /api/v1/auth/2fa/recovery-codes": true,
		"POST /login/mfa": true, "POST /profile/two-factor/begin": true, "POST /profile/two-factor/confirm": true,
		"POST /profile/two-factor/disable": true, "POST /profile/two-factor/recovery-codes": true,
		"POST /api/v1/auth/password-reset": true, "POST /api/v1/auth/password-reset/confirm": true, "POST /api/v1/auth/verify-email": true,
		"POST /api/v1/auth/verify-email/resend": true, "POST /password-reset": true, "POST /password-reset/confirm": true,
		"POST /verify-email": true, "POST /verify-email/resend": true,
		// The company an invitation joins comes from its token: checked below with a real one.
		"POST /api/v1/invitations/accept": true, "POST /invitations/accept": true,
		// Passkeys are the person's, not the company's.
		"POST /api/v1/auth/passkeys/register/begin": true, "POST /api/v1/auth/passkeys/register/finish": true,
		"POST /api/v1/auth/passkeys/login/begin": true, "POST /api/v1/auth/passkeys/login/finish": true, "DELETE /api/v1/auth/passkeys/:id": true,
		"POST /login/passkey/begin": true, "POST /login/passkey/finish": true, "POST /profile/passkeys/begin": true, "POST /profile/passkeys/finish": true,
		"POST /profile/passkeys/:id/rename": true, "POST /profile/passkeys/:id/delete": true,
		// The composer's preview renders the form and saves nothing.
		"POST /posts/preview": true,
		// A person's own notifications: marking them read and their email choices.
		"POST /api/v1/notifications/read": true, "PUT /api/v1/notifications/settings": true,
		"POST /notifications/read": true, "POST /notifications/settings": true,
		// A review page's company comes from its token: a client's answer to a suspended
		// company is refused in app's review tests (TestReviews_SuspendedCompanyTakesNoAnswer).
		"POST /review/:token/answers": true,
		// Unsubscribing is a person's own email choice, named by a signed token, no company's.
		"POST /unsubscribe/:token": true,
	}
	checked := 0
	for _, r := range m.echo.Routes() {
		key := r.Method + " " + r.Path
		if r.Method == "echo_route_not_found" || r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodOptions ||
			notCompanyChanges[key] || strings.HasPrefix(r.Path, "/admin") || strings.HasPrefix(r.Path, "/api/v1/admin") ||
			strings.HasPrefix(r.Path, "/sandbox") || strings.HasPrefix(r.Path, "/static") || r.Path == "/*" {
			continue
		}
		path := routeParam.ReplaceAllStringFunc(r.Path, func(p string) string {
			if id, ok := ids[p]; ok {
				return id
			}
			return someID
		})
		if strings.HasPrefix(r.Path, "/accounts/:id") || strings.HasPrefix(r.Path, "/api/v1/accounts/:id") {
			path = strings.Replace(path, postID, account, 1)
		}
		checked++
		if strings.HasPrefix(path, "/api/") {
			body := "{}"
			if b, ok := bodies[key]; ok {
				body = b
			}
			st, body := send(r.Method, path, "application/json", body)
			if st != http.StatusForbidden || !strings.Contains(body, "urn:herald:problem:company_suspended") || !strings.Contains(body, "Unpaid invoice 4711") {
				t.Errorf("%s = %d %s, want 403 company_suspended naming the reason", key, st, body)
			}
			continue
		}
		st, body := send(r.Method, path, "application/x-www-form-urlencoded", url.Values{"name": {"x"}, "email": {"x@example.com"}, "role": {"viewer"},
			"content": {"Changed"}, "account_ids": {account}, "scheduled_for": {"2030-01-07T10:00"}, "version": {"1"}, "brief": {"x"}, "platforms": {"sandbox"},
			"url": {"https://example.com/hook"}, "events": {"post.published"}}.Encode())
		if st != http.StatusForbidden || !strings.Contains(body, "This company is suspended") || !strings.Contains(body, "Unpaid invoice 4711") {
			t.Errorf("page %s = %d, want 403 with a page naming the suspension and its reason:\n%s", key, st, body)
		}
	}
	if checked < 30 {
		t.Errorf("only %d changing routes were found among Echo's routes", checked)
	}

	// Joining a suspended company through an invitation is a change too; the invitation
	// stays for when the company is reactivated.
	jc := c.with(joiner.token, joiner.companyID)
	if st, _, body := jc.do("POST", "/api/v1/invitations/accept", map[string]string{"token": invToken}); st != http.StatusForbidden || field(body, "type") != "urn:herald:problem:company_suspended" || !strings.Contains(fmt.Sprint(body), "Unpaid invoice 4711") {
		t.Errorf("accepting an invitation to the suspended company = %d %v, want 403 company_suspended", st, body)
	}
	if st, _, body := oc.do("GET", "/api/v1/invitations", nil); st != http.StatusOK || len(body["items"].([]any)) != 1 {
		t.Errorf("invitations after the refused accept = %d %v, want the invitation still open", st, body)
	}

	// Reading, exports, sign-out and deletion still work.
	for _, path := range []string{"/api/v1/posts", "/api/v1/accounts", "/api/v1/members", "/api/v1/webhooks", "/api/v1/auth/me", "/api/v1/company/export", "/api/v1/auth/me/export"} {
		if st, _, body := oc.do("GET", path, nil); st != http.StatusOK {
			t.Errorf("GET %s = %d %v, want 200", path, st, body)
		}
	}
	for _, path := range []string{"/", "/posts", "/team", "/settings", "/webhooks"} {
		if st, body := send("GET", path, "", ""); st != http.StatusOK || !strings.Contains(body, "Unpaid invoice 4711") {
			t.Errorf("page %s = %d, want 200 with the suspension's reason shown", path, st)
		}
	}
	if st, _, body := oc.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "ci"}); st != http.StatusForbidden || field(body, "type") != "urn:herald:problem:company_suspended" {
		t.Errorf("a new API token in a suspended company = %d %v, want 403 company_suspended", st, body)
	}
	if st, _, body := oc.do("DELETE", "/api/v1/company", map[string]string{"confirm": "suspended Inc"}); st >= 300 {
		t.Errorf("deleting the suspended company = %d %v, want success", st, body)
	}
}
