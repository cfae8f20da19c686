package main

import (
	"net/http"
	"testing"
	"time"
)

// TestAPI_RetryFailedAfterReconnect fails two posts by disconnecting their account, one
// due in an hour and one whose time passes meanwhile, reconnects the account and retries:
// the first goes back to its own time, the second is published now. Another company's
// account is not found, a viewer may not, a disconnected account is a conflict, and the
// retry is audited.
func TestAPI_RetryFailedAfterReconnect(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, rival, viewer := register(t, c, "reo"), register(t, c, "rival"), register(t, c, "vera")
	oc := c.with(owner.token, owner.companyID)
	joinCompany(t, oc, viewer, "viewer")
	acct := connectSandboxAPI(t, oc, "retry-me")

	later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	soon := time.Now().Add(3 * time.Second).UTC()
	ahead := schedulePost(t, oc, acct, "due in an hour", later)
	passed := schedulePost(t, oc, acct, "due in three seconds", soon)
	if st, _, b := oc.do("DELETE", "/api/v1/accounts/"+acct, nil); st != http.StatusNoContent {
		t.Fatalf("disconnect = %d %v", st, b)
	}
	for _, id := range []string{ahead, passed} {
		if _, _, p := oc.do("GET", "/api/v1/posts/"+id, nil); p["status"] != "failed" {
			t.Fatalf("post %s after the disconnect = %v, want failed", id, p["status"])
		}
	}
	if st, _, b := oc.do("POST", "/api/v1/accounts/"+acct+"/retry-failed", nil); st != http.StatusConflict {
		t.Errorf("retry on a disconnected account = %d %v, want 409", st, b)
	}

	waitFor(t, "the second post's time passes", 30*time.Second, func() bool { return time.Now().After(soon.Add(time.Second)) })
	if again := connectSandboxAPI(t, oc, "retry-me"); again != acct {
		t.Fatalf("reconnecting gave account %s, want the same %s", again, acct)
	}

	if st, _, b := c.with(rival.token, rival.companyID).do("POST", "/api/v1/accounts/"+acct+"/retry-failed", nil); st != http.StatusNotFound {
		t.Errorf("another company's retry = %d %v, want 404", st, b)
	}
	if st, _, b := oc.do("POST", "/api/v1/accounts/not-a-uuid/retry-failed", nil); st != http.StatusNotFound {
		t.Errorf("retry on a malformed id = %d %v, want 404", st, b)
	}
	if st, _, b := c.with(viewer.token, owner.companyID).do("POST", "/api/v1/accounts/"+acct+"/retry-failed", nil); st != http.StatusForbidden {
		t.Errorf("a viewer's retry = %d %v, want 403", st, b)
	}

	st, _, body := oc.do("POST", "/api/v1/accounts/"+acct+"/retry-failed", nil)
	posts, _ := body["posts"].([]any)
	if st != http.StatusOK || len(posts) != 2 {
		t.Fatalf("retry = %d %v, want 200 with both posts", st, body)
	}
	byID := map[string]map[string]any{}
	for _, p := range posts {
		byID[p.(map[string]any)["id"].(string)] = p.(map[string]any)
	}
	if p := byID[ahead]; p["status"] != "scheduled" || p["scheduled_for"] != later.Format(time.RFC3339) {
		t.Errorf("the post still ahead = %v at %v, want scheduled at its own %s", p["status"], p["scheduled_for"], later.Format(time.RFC3339))
	}
	if p := byID[passed]; p["status"] != "publishing" {
		t.Errorf("the post whose time passed = %v, want publishing now", p["status"])
	}
	waitFor(t, "the post whose time passed is published", 60*time.Second, func() bool {
		_, _, p := oc.do("GET", "/api/v1/posts/"+passed, nil)
		return p["status"] == "published"
	})
	if _, _, p := oc.do("GET", "/api/v1/posts/"+ahead, nil); p["status"] != "scheduled" {
		t.Errorf("the post still ahead went out early: %v", p["status"])
	}
	if st, _, b := oc.do("POST", "/api/v1/accounts/"+acct+"/retry-failed", nil); st != http.StatusOK || len(b["posts"].([]any)) != 0 {
		t.Errorf("a second retry = %d %v, want 200 with no posts", st, b)
	}
	if got := auditOf(t, m, owner.companyID, "account.failed_posts_retried"); len(got) != 2 || got[0].Details["posts"] != "2" || got[0].Subject != acct {
		t.Errorf("audit of the retries = %+v, want two entries, the first with 2 posts", got)
	}
	if got := auditOf(t, m, owner.companyID, "post.retried"); len(got) != 2 {
		t.Errorf("audit of the retried posts = %+v, want one per post", got)
	}

	// The account object says when the platform last answered with a success.
	_, _, list := oc.do("GET", "/api/v1/accounts", nil)
	items, _ := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("accounts = %v", list)
	}
	a := items[0].(map[string]any)
	last, err := time.Parse(time.RFC3339, a["last_success_at"].(string))
	if err != nil || time.Since(last) > 5*time.Minute {
		t.Errorf("last_success_at = %v after a publish, want a recent time", a["last_success_at"])
	}
	if _, ok := a["access_ends_at"]; !ok || a["access_ends_at"] != nil {
		t.Errorf("access_ends_at = %v, want null for a sandbox account Herald renews", a["access_ends_at"])
	}
	for _, k := range []string{"id", "platform", "external_id", "display_name", "status", "token_expires_at", "connected_at"} {
		if _, ok := a[k]; !ok {
			t.Errorf("the account object lost %q: %v", k, a)
		}
	}
}
