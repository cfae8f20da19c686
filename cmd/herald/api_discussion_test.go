package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestAPI_CommentsShapesMentionsAndTenancy walks the thread of a post through the API: the
// comment's shape, @mentions of members (and of a stranger, which stays text), 422 on bad
// bodies, viewers who may comment, and another company that reaches nothing (404).
func TestAPI_CommentsShapesMentionsAndTenancy(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, viewer, rival := register(t, c, "Olga"), register(t, c, "Vik"), register(t, c, "Rob")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, viewer, "viewer")
	vc := c.with(viewer.token, owner.companyID)
	rc := c.with(rival.token, rival.companyID)
	account := connectSandboxAPI(t, oc, "olga-thread")
	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Spring launch", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	path := "/api/v1/posts/" + post["id"].(string) + "/comments"

	st, _, cm := oc.do("POST", path, map[string]string{"body": "@vik have a look, and @rob too"})
	if st != http.StatusCreated || cm["id"] == nil || cm["body"] != "@vik have a look, and @rob too" || cm["created_at"] == nil ||
		field(cm, "author", "id") != owner.userID || field(cm, "author", "name") != "Olga" || field(cm, "author", "client") != nil {
		t.Fatalf("comment = %d %v", st, cm)
	}
	if ms, _ := cm["mentions"].([]any); len(ms) != 1 || ms[0] != viewer.userID {
		t.Errorf("mentions = %v, want only the member Vik (Rob is another company's)", cm["mentions"])
	}
	if n := countRows(t, m, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'mentioned'`, viewer.userID); n != 1 {
		t.Errorf("Vik has %d mention notifications, want 1", n)
	}
	if st, _, body := vc.do("POST", path, map[string]string{"body": "Looks good"}); st != http.StatusCreated {
		t.Errorf("a viewer comments = %d %v, want 201", st, body)
	}
	for _, bad := range []map[string]any{{}, {"body": "  "}, {"body": strings.Repeat("x", 5001)}, {"body": 7}} {
		if st, _, body := oc.do("POST", path, bad); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
			t.Errorf("POST %v = %d %v, want 422 (or 400 for a wrong type)", bad, st, body)
		}
	}
	st, _, list := vc.do("GET", path, nil)
	if items, _ := list["items"].([]any); st != http.StatusOK || len(items) != 2 || items[0].(map[string]any)["id"] != cm["id"] {
		t.Errorf("list = %d %v, want both comments oldest first", st, list)
	}

	for _, r := range []struct{ method, path string }{{"GET", path}, {"POST", path}, {"GET", "/api/v1/posts/not-a-uuid/comments"}} {
		if st, _, body := rc.do(r.method, r.path, map[string]string{"body": "hi"}); st != http.StatusNotFound {
			t.Errorf("rival %s %s = %d %v, want 404", r.method, r.path, st, body)
		}
	}
}

// TestAPI_ReviewLinks makes, lists and revokes review links through the API, checks their
// limits, permissions and tenancy, and opens the page a link leads to, signed out.
func TestAPI_ReviewLinks(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, viewer, rival := register(t, c, "Rhea"), register(t, c, "Val"), register(t, c, "Rex")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, viewer, "viewer")
	vc := c.with(viewer.token, owner.companyID)
	rc := c.with(rival.token, rival.companyID)
	account := connectSandboxAPI(t, oc, "rhea-review")
	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Client preview text", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	links := "/api/v1/posts/" + post["id"].(string) + "/review-links"
	week := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)

	for _, exp := range []string{time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(91 * 24 * time.Hour).UTC().Format(time.RFC3339), "soon"} {
		if st, _, body := oc.do("POST", links, map[string]string{"expires_at": exp}); st != http.StatusUnprocessableEntity || problemFields(body)["expires_at"] == "" {
			t.Errorf("expires_at %q = %d %v, want 422 on expires_at", exp, st, body)
		}
	}
	if st, _, body := vc.do("POST", links, map[string]string{"expires_at": week}); st != http.StatusForbidden {
		t.Errorf("a viewer makes a link = %d %v, want 403", st, body)
	}
	st, _, link := oc.do("POST", links, map[string]string{"expires_at": week})
	url, _ := link["url"].(string)
	if st != http.StatusCreated || link["id"] == nil || link["expires_at"] == nil || !strings.HasPrefix(url, m.URL()+"/review/hrd_rev_") {
		t.Fatalf("make a link = %d %v", st, link)
	}
	st, _, list := vc.do("GET", links, nil)
	if items, _ := list["items"].([]any); st != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["url"] != nil || items[0].(map[string]any)["revoked_at"] != nil {
		t.Errorf("list = %d %v, want the link without its address", st, list)
	}
	st, _, period := oc.do("POST", "/api/v1/review-links", map[string]string{"from": "2030-01-01", "to": "2030-01-31", "expires_at": week})
	if st != http.StatusCreated || period["from"] != "2030-01-01T00:00:00Z" || period["to"] != "2030-02-01T00:00:00Z" || period["post_id"] != nil {
		t.Errorf("a period's link = %d %v", st, period)
	}
	if st, _, body := oc.do("POST", "/api/v1/review-links", map[string]string{"from": "2030-02-01", "to": "2030-01-01", "expires_at": week}); st != http.StatusUnprocessableEntity || problemFields(body)["to"] == "" {
		t.Errorf("a backwards period = %d %v, want 422 on to", st, body)
	}

	// The page opens signed out, never indexed; another company reaches no link.
	get := func(u string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, b.String(), res.Header
	}
	if st, body, h := get(url); st != http.StatusOK || !strings.Contains(body, "Client preview text") || !strings.Contains(h.Get("X-Robots-Tag"), "noindex") ||
		!strings.Contains(body, `name="robots" content="noindex`) || strings.Contains(body, "site-menu") {
		t.Errorf("the review page = %d %v\n%s", st, h, body)
	}
	for _, r := range []struct{ method, path string }{{"GET", links}, {"POST", links}, {"DELETE", "/api/v1/review-links/" + link["id"].(string)}} {
		if st, _, body := rc.do(r.method, r.path, map[string]string{"expires_at": week}); st != http.StatusNotFound {
			t.Errorf("rival %s %s = %d %v, want 404", r.method, r.path, st, body)
		}
	}
	if st, _, body := oc.do("DELETE", "/api/v1/review-links/"+link["id"].(string), nil); st != http.StatusNoContent {
		t.Fatalf("revoke = %d %v", st, body)
	}
	if st, body, _ := get(url); st != http.StatusGone || !strings.Contains(body, "revoked") {
		t.Errorf("the revoked link's page = %d\n%s", st, body)
	}
	if st, _, _ := get(m.URL() + "/review/hrd_rev_unknown"); st != http.StatusNotFound {
		t.Errorf("an unknown link's page = %d, want 404", st)
	}
	if n := countRows(t, m, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action IN ('review_link.created', 'review_link.revoked')`, owner.companyID); n != 3 {
		t.Errorf("%d audit entries, want two made and one revoked", n)
	}
}

// countRows runs a count query on m's database.
func countRows(t *testing.T, m *Main, query string, args ...any) int {
	t.Helper()
	var n int
	if err := m.db.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReviewLink_TokenNeverLogged opens a review link and checks the access log names the
// route with the token blanked out.
func TestReviewLink_TokenNeverLogged(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	m := startHeraldWith(t, app.Limits{}, nil, func(m *Main) { m.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	c := newClient(t, m)
	owner := register(t, c, "Lou")
	oc := c.with(owner.token, owner.companyID)
	account := connectSandboxAPI(t, oc, "lou-log")
	_, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Logged?", "account_ids": []string{account}})
	st, _, link := oc.do("POST", "/api/v1/posts/"+post["id"].(string)+"/review-links", map[string]string{"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if st != http.StatusCreated {
		t.Fatalf("make a link = %d %v", st, link)
	}
	u := link["url"].(string)
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	token := u[strings.LastIndex(u, "/")+1:]
	// The request line is written once the answer has gone out: wait for it.
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(logs.String(), "route=/review/:token") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if out := logs.String(); strings.Contains(out, token) || !strings.Contains(out, "path=/review/[token]") {
		t.Errorf("the log holds the token, or no request line for the page:\n%s", out)
	}
}
