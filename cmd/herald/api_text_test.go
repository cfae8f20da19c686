package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// badTexts are the two kinds of text every field refuses, as raw JSON string contents.
var badTexts = map[string]string{"NUL": `a\u0000b`, "invalid UTF-8": "a\xff\xfeb"}

// TestAPI_BadTextInEveryStringFieldIs422 sends, to every JSON route that takes a body, each
// of its string fields in turn holding a NUL character and bytes that are not UTF-8: every
// request answers 422 naming the field, never 500 (a NUL in the brand voice was 500) or a
// misleading 404. Every changing route of the API must be in the table or in the list of
// routes without a body, so a route added later is not forgotten. Path and query parameters
// with such text answer 400.
func TestAPI_BadTextInEveryStringFieldIs422(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	root := superadmin(t, m, c)
	owner := register(t, c, "text")
	oc := c.with(owner.token, owner.companyID)
	account := connectSandboxAPI(t, oc, "text")
	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Hello", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	postID := post["id"].(string)
	st, _, hook := oc.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://example.com/hook", "events": []string{"post.published"}})
	if st != http.StatusCreated {
		t.Fatalf("create webhook = %d %v", st, hook)
	}
	const future = "2030-01-07T10:00:00Z"
	type route struct {
		token string
		body  map[string]any
	}
	routes := map[string]route{
		"POST /api/v1/auth/register":               {"", map[string]any{"email": "t@example.com", "password": "correct horse battery", "name": "T", "company": "T Co", "invitation_token": "herald_inv_x"}},
		"POST /api/v1/auth/login":                  {"", map[string]any{"email": "t@example.com", "password": "correct horse battery"}},
		"POST /api/v1/auth/tokens":                 {owner.token, map[string]any{"name": "ci", "expires_at": future}},
		"POST /api/v1/auth/password":               {owner.token, map[string]any{"current_password": "correct horse battery", "new_password": "a different long passphrase"}},
		"POST /api/v1/auth/login/mfa":              {"", map[string]any{"mfa_token": "hrd_mfa_x", "code": "123456"}},
		"POST /api/v1/auth/2fa/totp/confirm":       {owner.token, map[string]any{"code": "123456"}},
		"DELETE /api/v1/auth/2fa/totp":             {owner.token, map[string]any{"password": "correct horse battery", "code": "123456"}},
		"POST /api/v1/auth/2fa/recovery-codes":     {owner.token, map[string]any{"code": "123456"}},
		"POST /api/v1/invitations/accept":          {owner.token, map[string]any{"token": "herald_inv_x"}},
		"DELETE /api/v1/auth/me":                   {owner.token, map[string]any{"confirm": owner.email}},
		"PUT /api/v1/auth/me":                      {owner.token, map[string]any{"time_zone": "Europe/Paris"}},
		"PUT /api/v1/admin/companies/:id":          {root.token, map[string]any{"plan": "pro", "status": "active", "reason": "Paid"}},
		"DELETE /api/v1/company":                   {owner.token, map[string]any{"confirm": "text Inc"}},
		"POST /api/v1/members":                     {owner.token, map[string]any{"email": "guest@example.com", "role": "viewer"}},
		"PUT /api/v1/members/:user_id":             {owner.token, map[string]any{"role": "viewer"}},
		"POST /api/v1/accounts/connect/:platform":  {owner.token, map[string]any{"return_to": "/accounts"}},
		"POST /api/v1/auth/password-reset":         {"", map[string]any{"email": "t@example.com"}},
		"POST /api/v1/auth/password-reset/confirm": {"", map[string]any{"token": "hrd_pwr_x", "password": "correct horse battery"}},
		"POST /api/v1/auth/verify-email":           {"", map[string]any{"token": "hrd_vfy_x"}},
		"POST /api/v1/posts": {owner.token, map[string]any{"content": "Hi", "media_urls": []string{"https://example.com/a.png"},
			"account_ids": []string{account}, "variants": map[string]any{account: map[string]any{"content": "Hi there"}}}},
		"PUT /api/v1/posts/:id": {owner.token, map[string]any{"content": "Hi", "media_urls": []string{"https://example.com/a.png"},
			"account_ids": []string{account}, "variants": map[string]any{account: map[string]any{"content": "Hi there"}}}},
		"POST /api/v1/posts/bulk": {owner.token, map[string]any{"posts": []any{map[string]any{"content": "Hi", "media_urls": []string{"https://example.com/a.png"},
			"account_ids": []string{account}, "variants": map[string]any{account: map[string]any{"content": "Hi there", "first_comment": "More"}},
			"first_comment": "First", "labels": []string{"Launch"}, "scheduled_for": future}}}},
		"POST /api/v1/posts/:id/schedule":                            {owner.token, map[string]any{"scheduled_for": future}},
		"POST /api/v1/posts/:id/submit":                              {owner.token, map[string]any{"scheduled_for": future}},
		"POST /api/v1/posts/:id/approve":                             {owner.token, map[string]any{"comment": "Good"}},
		"POST /api/v1/posts/:id/reject":                              {owner.token, map[string]any{"comment": "Shorter, please"}},
		"POST /api/v1/posts/:id/targets/:account_id/resolve":         {owner.token, map[string]any{"published": true, "external_url": "https://example.com/p/1"}},
		"POST /api/v1/posts/:id/targets/:account_id/comment/resolve": {owner.token, map[string]any{"published": true}},
		"POST /api/v1/ai/captions":                                   {owner.token, map[string]any{"brief": "Launch", "platforms": []string{"linkedin"}, "tone": "warm", "language": "en"}},
		"POST /api/v1/webhooks":                                      {owner.token, map[string]any{"url": "https://example.com/hook", "events": []string{"post.published"}, "description": "CRM"}},
		"PUT /api/v1/webhooks/:id":                                   {owner.token, map[string]any{"events": []string{"post.published"}, "description": "CRM"}},
		"PUT /api/v1/company": {owner.token, map[string]any{"name": "T", "time_zone": "UTC",
			"brand_voice": map[string]any{"description": "warm", "avoid_words": []string{"x"}, "default_hashtags": []string{"y"}}}},
		"POST /api/v1/companies":   {owner.token, map[string]any{"name": "T2"}},
		"PUT /api/v1/media/:id":    {owner.token, map[string]any{"alt": "A photo"}},
		"PUT /api/v1/queue":        {owner.token, map[string]any{"slots": []any{map[string]any{"weekday": 1, "time": "09:00", "account_ids": []string{account}}}}},
		"POST /api/v1/snippets":    {owner.token, map[string]any{"name": "Tags", "content": "#launch"}},
		"PUT /api/v1/snippets/:id": {owner.token, map[string]any{"name": "Tags", "content": "#launch"}},

		// Passkeys (the credential is checked for text before any ceremony is looked at).
		"POST /api/v1/auth/passkeys/register/begin":  {owner.token, map[string]any{"password": "correct horse battery"}},
		"POST /api/v1/auth/passkeys/register/finish": {owner.token, map[string]any{"ceremony_id": "x", "name": "Laptop", "credential": map[string]any{"id": "abc", "type": "public-key"}}},
		"POST /api/v1/auth/passkeys/login/finish":    {"", map[string]any{"ceremony_id": "x", "credential": map[string]any{"id": "abc", "type": "public-key"}}},
		"POST /api/v1/notifications/read":            {owner.token, map[string]any{"ids": []string{"3f1c2a9e-8c59-4a43-9a6b-2f4b8e0c1d7a"}}},
		"PUT /api/v1/notifications/settings":         {owner.token, map[string]any{"email": map[string]any{"post_failed": false}, "digest": true}},
		"POST /api/v1/posts/:id/comments":            {owner.token, map[string]any{"body": "Looks good @text"}},
		"POST /api/v1/posts/:id/review-links":        {owner.token, map[string]any{"expires_at": future}},
		"POST /api/v1/review-links":                  {owner.token, map[string]any{"from": "2030-01-01", "to": "2030-01-31", "expires_at": future}},
	}
	withoutBody := map[string]bool{
		"POST /api/v1/auth/logout": true, "DELETE /api/v1/auth/tokens/:id": true,
		"POST /api/v1/auth/passkeys/login/begin": true, "DELETE /api/v1/auth/passkeys/:id": true, "DELETE /api/v1/members/:user_id": true,
		"DELETE /api/v1/accounts/:id": true, "DELETE /api/v1/posts/:id": true, "DELETE /api/v1/posts/:id/schedule": true,
		"DELETE /api/v1/webhooks/:id": true, "POST /api/v1/webhooks/:id/rotate": true, "POST /api/v1/webhooks/:id/test": true,
		"POST /api/v1/webhooks/:id/deliveries/:delivery_id/retry": true, "POST /api/v1/accounts/:id/retry-failed": true,
		"POST /api/v1/auth/logout-all": true, "POST /api/v1/auth/verify-email/resend": true, "DELETE /api/v1/invitations/:id": true, "POST /api/v1/invitations/:id/renew": true,
		"DELETE /api/v1/media/:id": true, "POST /api/v1/posts/:id/queue": true, "DELETE /api/v1/snippets/:id": true, "POST /api/v1/posts/:id/duplicate": true,
		"POST /api/v1/posts/:id/targets/:account_id/comment/retry": true, "POST /api/v1/auth/2fa/totp": true, "DELETE /api/v1/review-links/:id": true,
		// Multipart, not JSON: its alt text is checked for NUL and bad UTF-8 in adapters/httpapi's tests.
		"POST /api/v1/media": true,
		// tus: bytes, not JSON; the file name and alt text in Upload-Metadata are checked in
		// adapters/httpapi's upload tests.
		"POST /api/v1/uploads": true, "PATCH /api/v1/uploads/:id": true, "DELETE /api/v1/uploads/:id": true,
		"HEAD /api/v1/uploads/:id": true, "OPTIONS /api/v1/uploads": true,
	}
	for _, r := range m.echo.Routes() {
		key := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodGet || r.Method == "echo_route_not_found" {
			continue
		}
		if _, ok := routes[key]; !ok && !withoutBody[key] {
			t.Errorf("route %s is neither in the table of routes with a body nor in the list of those without", key)
		}
	}
	ids := map[string]string{":id": postID, ":account_id": account, ":platform": "sandbox", ":user_id": owner.userID}
	const marker = "\u2603MARK\u2603"
	for key, r := range routes {
		method, path, _ := strings.Cut(key, " ")
		path = routeParam.ReplaceAllStringFunc(path, func(p string) string { return ids[p] })
		switch {
		case strings.HasPrefix(key, "PUT /api/v1/admin"):
			path = strings.Replace(path, postID, owner.companyID, 1)
		case strings.HasPrefix(key, "PUT /api/v1/webhooks"):
			path = strings.Replace(path, postID, hook["id"].(string), 1)
		}
		for _, field := range stringLeaves("", r.body) {
			for kind, bad := range badTexts {
				raw, _ := json.Marshal(replaceLeaf("", r.body, field, marker))
				raw = bytes.Replace(raw, []byte(marker), []byte(bad), 1)
				req, _ := http.NewRequest(method, m.URL()+path, bytes.NewReader(raw))
				req.Header.Set("Content-Type", "application/json")
				if r.token != "" {
					req.Header.Set("Authorization", "Bearer "+r.token)
					req.Header.Set("X-Company-ID", owner.companyID)
				}
				st, body := roundTrip(t, req)
				if st != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"`+field+`"`) {
					t.Errorf("%s with %s in %s = %d %s, want 422 naming the field", key, kind, field, st, body)
				}
			}
		}
	}

	req, _ := http.NewRequest(http.MethodGet, m.URL()+"/api/v1/posts", nil)
	req.Header.Set("Authorization", "Bearer "+owner.token)
	req.Header.Set("X-Company-ID", "\xff\xfe")
	if st, body := roundTrip(t, req); st != http.StatusBadRequest {
		t.Errorf("X-Company-ID with bytes that are not UTF-8 = %d %s, want 400", st, body)
	}
	for _, path := range []string{"/api/v1/posts/%00", "/api/v1/posts/%FF", "/api/v1/posts?status=%00", "/api/v1/posts?label=%FE",
		"/api/v1/webhooks/" + hook["id"].(string) + "/deliveries?event_type=%00", "/api/v1/analytics/platform/%00"} {
		req, _ := http.NewRequest(http.MethodGet, m.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+owner.token)
		if st, body := roundTrip(t, req); st != http.StatusBadRequest {
			t.Errorf("GET %s = %d %s, want 400", path, st, body)
		}
	}
}

// TestUI_BadTextInEveryFormFieldIs422 submits every form of the signed-in pages with each
// of its fields in turn holding a NUL character and bytes that are not UTF-8: every answer
// is 422 with a page naming the field, never 500 or 404. Addresses with such text are 400.
func TestUI_BadTextInEveryFormFieldIs422(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner := register(t, c, "formtext")
	oc := c.with(owner.token, owner.companyID)
	account := connectSandboxAPI(t, oc, "formtext")
	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Hello", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	st, _, hook := oc.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://example.com/hook", "events": []string{"post.published"}})
	if st != http.StatusCreated {
		t.Fatalf("create webhook = %d %v", st, hook)
	}
	get := func(path string) *goquery.Document {
		req, _ := http.NewRequest(http.MethodGet, m.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: owner.token})
		st, body := roundTrip(t, req)
		if st != http.StatusOK {
			t.Fatalf("GET %s = %d", path, st)
		}
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
		return doc
	}
	forms := 0
	for _, page := range []string{"/", "/team", "/tokens", "/profile", "/settings", "/accounts", "/posts/new", "/posts/" + post["id"].(string),
		"/webhooks", "/webhooks/" + hook["id"].(string)} {
		get(page).Find(`form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
			action, _ := f.Attr("action")
			if action == "/logout" || action == "/company/switch" {
				return // no text of the person's reaches anything
			}
			values := url.Values{}
			var fields []string
			f.Find("input[name], textarea[name], select[name]").Each(func(_ int, s *goquery.Selection) {
				name, _ := s.Attr("name")
				v, _ := s.Attr("value")
				if s.Is("textarea") {
					v = s.Text()
				}
				values.Add(name, v)
				if typ, _ := s.Attr("type"); name != "_csrf" && typ != "checkbox" && typ != "radio" {
					fields = append(fields, name)
				}
			})
			forms++
			for _, field := range fields {
				for kind, bad := range map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xff\xfeb"} {
					form := url.Values{}
					for k, v := range values {
						form[k] = append([]string(nil), v...)
					}
					form.Set(field, bad)
					req, _ := http.NewRequest(http.MethodPost, m.URL()+action, strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: owner.token})
					st, body := roundTrip(t, req)
					if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Please correct "+field+": text must be valid UTF-8 without NUL characters.") {
						t.Errorf("form %s on %s with %s in %s = %d, want 422 naming the field", action, page, kind, field, st)
					}
				}
			}
		})
	}
	if forms < 15 {
		t.Errorf("only %d forms were found on the pages", forms)
	}
	for _, path := range []string{"/posts/%00", "/posts/%FF", "/posts?status=%00", "/webhooks/%00"} {
		req, _ := http.NewRequest(http.MethodGet, m.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: owner.token})
		if st, _ := roundTrip(t, req); st != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", path, st)
		}
	}
}

// roundTrip sends req without following redirects and returns the status and body; a 5xx
// fails the test.
func roundTrip(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		t.Errorf("%s %s = %d: %s", req.Method, req.URL, res.StatusCode, raw)
	}
	return res.StatusCode, string(raw)
}

// stringLeaves lists the paths of every string in v ("content", "media_urls[0]",
// "variants.<id>.content"), as the API names fields.
func stringLeaves(path string, v any) []string {
	var out []string
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v := v.(type) {
	case string:
		return []string{path}
	case []string:
		for i := range v {
			out = append(out, path+"["+strconv.Itoa(i)+"]")
		}
	case map[string]any:
		for k, e := range v {
			out = append(out, stringLeaves(join(k), e)...)
		}
	}
	return out
}

// replaceLeaf returns v with the string at target replaced by s.
func replaceLeaf(path string, v any, target, s string) any {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v := v.(type) {
	case string:
		if path == target {
			return s
		}
		return v
	case []string:
		cp := append([]string(nil), v...)
		for i := range cp {
			if path+"["+strconv.Itoa(i)+"]" == target {
				cp[i] = s
			}
		}
		return cp
	case map[string]any:
		cp := map[string]any{}
		for k, e := range v {
			cp[k] = replaceLeaf(join(k), e, target, s)
		}
		return cp
	}
	return v
}
