package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// failedPost creates a post on account and publishes it now through the API, on a Herald
// whose sandbox refuses every publish, and returns its id.
func failedPost(t *testing.T, c *client, account, content string) string {
	t.Helper()
	st, _, post := c.do("POST", "/api/v1/posts", map[string]any{"content": content, "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatalf("create post = %d %v", st, post)
	}
	id := post["id"].(string)
	if st, _, body := c.do("POST", "/api/v1/posts/"+id+"/schedule", map[string]any{}); st != http.StatusOK {
		t.Fatalf("schedule = %d %v", st, body)
	}
	return id
}

// TestAPI_Notifications: a post that fails tells its author through GET /notifications (the
// item's shape, unread filter, paging); POST /notifications/read marks ids or all, answers
// 422 for neither, both or a malformed id, and ignores another company's ids; another
// company sees none of it; the settings answer every kind and refuse unknown ones.
func TestAPI_Notifications(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SANDBOX_PERMANENT_RATE": "1"})
	c := newClient(t, m)
	owner := register(t, c, "bell")
	oc := c.with(owner.token, owner.companyID)
	rival := register(t, c, "rivalbell")
	rc := c.with(rival.token, rival.companyID)
	account := connectSandboxAPI(t, oc, "bell")
	first := failedPost(t, oc, account, "Spring launch: the espresso machine")
	second := failedPost(t, oc, account, "Second try")

	var items []any
	waitFor(t, "two post_failed notifications", 60*time.Second, func() bool {
		st, _, body := oc.do("GET", "/api/v1/notifications?unread=true", nil)
		if st != http.StatusOK {
			t.Fatalf("GET /notifications = %d %v", st, body)
		}
		items, _ = body["items"].([]any)
		return len(items) == 2
	})
	newest := items[0].(map[string]any)
	if newest["kind"] != "post_failed" || newest["post_id"] != second || newest["read_at"] != nil || newest["created_at"] == "" ||
		!strings.Contains(newest["text"].(string), "Second try") {
		t.Errorf("newest item = %v", newest)
	}
	if _, ok := newest["account_id"]; ok {
		t.Errorf("an item about no account has account_id: %v", newest)
	}
	st, _, page := oc.do("GET", "/api/v1/notifications?limit=1", nil)
	next, _ := page["next_cursor"].(string)
	if st != http.StatusOK || len(page["items"].([]any)) != 1 || next == "" {
		t.Fatalf("first page = %d %v", st, page)
	}
	st, _, page = oc.do("GET", "/api/v1/notifications?limit=1&cursor="+next, nil)
	if st != http.StatusOK || page["items"].([]any)[0].(map[string]any)["post_id"] != first || page["next_cursor"] != nil {
		t.Errorf("second page = %d %v", st, page)
	}

	// Another company: nothing listed; its marks change nothing here.
	if st, _, body := rc.do("GET", "/api/v1/notifications", nil); st != http.StatusOK || len(body["items"].([]any)) != 0 {
		t.Errorf("the rival's list = %d %v", st, body)
	}
	if st, _, body := rc.do("POST", "/api/v1/notifications/read", map[string]any{"ids": []string{newest["id"].(string)}}); st != http.StatusNoContent {
		t.Errorf("rival marks my id = %d %v", st, body)
	}
	if st, _, body := c.with(rival.token, owner.companyID).do("GET", "/api/v1/notifications", nil); st != http.StatusNotFound {
		t.Errorf("the rival asking in my company = %d %v, want 404", st, body)
	}
	unread := func() int {
		t.Helper()
		_, _, body := oc.do("GET", "/api/v1/notifications?unread=true", nil)
		return len(body["items"].([]any))
	}
	if n := unread(); n != 2 {
		t.Fatalf("unread after the rival's marks = %d, want 2", n)
	}

	for name, body := range map[string]any{
		"neither": map[string]any{}, "empty ids": map[string]any{"ids": []string{}}, "both": map[string]any{"ids": []string{newest["id"].(string)}, "all": true},
		"bad id": map[string]any{"ids": []string{"not-an-id"}},
	} {
		if st, _, res := oc.do("POST", "/api/v1/notifications/read", body); st != http.StatusUnprocessableEntity || problemFields(res)["ids"] == "" {
			t.Errorf("%s: %d %v, want 422 on ids", name, st, res)
		}
	}
	if st, _, res := oc.do("GET", "/api/v1/notifications?unread=maybe", nil); st != http.StatusUnprocessableEntity {
		t.Errorf("unread=maybe: %d %v", st, res)
	}
	if st, _, res := oc.do("POST", "/api/v1/notifications/read", map[string]any{"ids": []string{newest["id"].(string)}}); st != http.StatusNoContent {
		t.Fatalf("mark one = %d %v", st, res)
	}
	if n := unread(); n != 1 {
		t.Errorf("unread after marking one = %d, want 1", n)
	}
	if st, _, res := oc.do("POST", "/api/v1/notifications/read", map[string]any{"all": true}); st != http.StatusNoContent {
		t.Fatalf("mark all = %d %v", st, res)
	}
	if n := unread(); n != 0 {
		t.Errorf("unread after marking all = %d", n)
	}
	_, _, all := oc.do("GET", "/api/v1/notifications", nil)
	if it := all["items"].([]any)[0].(map[string]any); it["read_at"] == nil {
		t.Errorf("a read item has no read_at: %v", it)
	}

	// Settings: every kind answered, unknown kinds refused, the digest switch kept.
	st, _, set := oc.do("GET", "/api/v1/notifications/settings", nil)
	if st != http.StatusOK || field(set, "email", "post_failed") != true || set["digest"] != false || len(set["email"].(map[string]any)) != 9 {
		t.Errorf("settings = %d %v", st, set)
	}
	if st, _, res := oc.do("PUT", "/api/v1/notifications/settings", map[string]any{"email": map[string]any{"bogus": true}, "digest": false}); st != http.StatusUnprocessableEntity {
		t.Errorf("an unknown kind = %d %v", st, res)
	}
	if st, _, res := oc.do("PUT", "/api/v1/notifications/settings", map[string]any{"email": map[string]any{}}); st != http.StatusUnprocessableEntity || problemFields(res)["digest"] == "" {
		t.Errorf("no digest = %d %v", st, res)
	}
	st, _, set = oc.do("PUT", "/api/v1/notifications/settings", map[string]any{"email": map[string]any{"post_failed": false}, "digest": true})
	if st != http.StatusOK || field(set, "email", "post_failed") != false || field(set, "email", "mentioned") != true || set["digest"] != true {
		t.Errorf("saved settings = %d %v", st, set)
	}
	if _, _, set = rc.do("GET", "/api/v1/notifications/settings", nil); field(set, "email", "post_failed") != true || set["digest"] != false {
		t.Errorf("another person's settings changed: %v", set)
	}
}
