package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// sandboxCallback runs the sandbox connect flow for handle and returns where the callback
// sends the browser (such as /accounts?connected=1).
func sandboxCallback(t *testing.T, c *client, handle string) string {
	t.Helper()
	return c.get(sandboxConsent(t, c, nil, handle, "allow")).Header.Get("Location")
}

// wantLimit checks an answer is the plan-limit problem (403) saying says.
func wantLimit(t *testing.T, what string, st int, body map[string]any, says string) {
	t.Helper()
	if st != http.StatusForbidden || body["type"] != "urn:herald:problem:plan_limit" || !strings.Contains(fmt.Sprint(body["detail"]), says) {
		t.Errorf("%s = %d %v, want 403 plan_limit saying %q", what, st, body, says)
	}
}

func TestAPI_PlanLimitsAccounts(t *testing.T) {
	t.Parallel()
	// LinkedIn is configured (its consent page is never visited) to start a flow on a
	// platform the company has no account on.
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_LINKEDIN_CLIENT_ID": "li", "HERALD_LINKEDIN_CLIENT_SECRET": "ls"})
	c := newClient(t, m)
	owner := register(t, c, "acc")
	oc := c.with(owner.token, owner.companyID)
	limit := domain.PlanFree.Limits().SocialAccounts
	for i := range limit {
		connectSandboxAPI(t, oc, fmt.Sprintf("acc-%d", i))
	}
	// One more: the flow may start (it could be a reconnection), the callback refuses.
	if loc := sandboxCallback(t, oc, "acc-extra"); loc != "/accounts?connect_error=plan_limit" {
		t.Errorf("connecting one account too many: to %q", loc)
	}
	// With no room and nothing to reconnect there, a flow on another platform is refused at once.
	st, _, body := oc.do("POST", "/api/v1/accounts/connect/linkedin", nil)
	wantLimit(t, "starting a LinkedIn connection at the limit", st, body, "Your Free plan allows 3 social accounts and 3 are already connected")
	// Reconnecting an account the company has works at the limit.
	if loc := sandboxCallback(t, oc, "acc-0"); loc != "/accounts?connected=1" {
		t.Errorf("reconnecting at the limit: to %q", loc)
	}
	if _, _, body := oc.do("GET", "/api/v1/accounts", nil); len(body["items"].([]any)) != limit {
		t.Errorf("accounts = %v, want %d", body["items"], limit)
	}
	// Disconnecting one makes room.
	_, _, body = oc.do("GET", "/api/v1/accounts", nil)
	first := body["items"].([]any)[0].(map[string]any)["id"].(string)
	if st, _, _ := oc.do("DELETE", "/api/v1/accounts/"+first, nil); st != 204 {
		t.Fatalf("disconnect = %d", st)
	}
	if st, _, body := oc.do("POST", "/api/v1/accounts/connect/linkedin", nil); st != 200 || body["authorize_url"] == nil {
		t.Errorf("starting a LinkedIn connection with room = %d %v", st, body)
	}
	if loc := sandboxCallback(t, oc, "acc-extra"); loc != "/accounts?connected=1" {
		t.Errorf("connecting after a disconnect: to %q", loc)
	}
	// Upgrading lifts the limit.
	root := superadmin(t, m, c)
	if st, _, b := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "pro", "reason": "Bought Pro"}); st != 200 {
		t.Fatalf("upgrade = %d %v", st, b)
	}
	if loc := sandboxCallback(t, oc, "acc-pro"); loc != "/accounts?connected=1" {
		t.Errorf("connecting on Pro: to %q", loc)
	}
}

func TestAPI_PlanLimitsMembers(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner := register(t, c, "mem")
	oc := c.with(owner.token, owner.companyID)
	existing := register(t, c, "existing")
	limit := domain.PlanFree.Limits().Members
	addMember(t, oc, existing, "editor")
	invited := ""
	for i := 2; i < limit; i++ { // the owner and the member count
		invited = uniqueEmail("invitee")
		if st, _, b := oc.do("POST", "/api/v1/members", map[string]string{"email": invited, "role": "viewer"}); st != 201 {
			t.Fatalf("invite %d = %d %v", i, st, b)
		}
	}
	st, _, body := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("toomany"), "role": "viewer"})
	wantLimit(t, "inviting one too many", st, body, fmt.Sprintf("Your Free plan allows %d members (open invitations included)", limit))
	outsider := register(t, c, "outsider")
	st, _, body = oc.do("POST", "/api/v1/members", map[string]string{"email": outsider.email, "role": "viewer"})
	wantLimit(t, "adding an existing user one too many", st, body, "members")
	// Renewing an invitation or re-adding a member adds nobody: not the limit's business.
	if st, _, b := oc.do("POST", "/api/v1/members", map[string]string{"email": invited, "role": "editor"}); st != 201 {
		t.Errorf("renewing an invitation at the limit = %d %v", st, b)
	}
	if st, _, _ := oc.do("POST", "/api/v1/members", map[string]string{"email": existing.email, "role": "viewer"}); st != 409 {
		t.Errorf("adding a member again at the limit = %d, want 409", st)
	}
	if st, _, _ := oc.do("DELETE", "/api/v1/members/"+existing.userID, nil); st != 204 {
		t.Fatalf("remove member = %d", st)
	}
	if st, _, b := oc.do("POST", "/api/v1/members", map[string]string{"email": outsider.email, "role": "viewer"}); st != 201 {
		t.Errorf("adding after a removal = %d %v", st, b)
	}
}

func TestAPI_PlanLimitsScheduledPosts(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner := register(t, c, "sched")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "sched-sandbox")
	draft := func() string {
		t.Helper()
		st, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Counted", "account_ids": []string{acct}})
		if st != 201 {
			t.Fatalf("create = %d %v", st, p)
		}
		return p["id"].(string)
	}
	schedule := func(id string, at time.Time) (int, map[string]any) {
		t.Helper()
		st, _, body := oc.do("POST", "/api/v1/posts/"+id+"/schedule", map[string]string{"scheduled_for": at.Format(time.RFC3339)})
		return st, body
	}
	// Next month and the one after, so nothing publishes during the test.
	next := domain.MonthOf(time.Now()).AddDate(0, 1, 0)
	day := func(month time.Time, d int) time.Time { return month.AddDate(0, 0, d).Add(12 * time.Hour) }
	later := next.AddDate(0, 1, 0)
	limit := domain.PlanFree.Limits().ScheduledPostsPerMonth
	ids := make([]string, limit)
	for i := range ids {
		ids[i] = draft()
		if st, b := schedule(ids[i], day(next, i%27)); st != 200 {
			t.Fatalf("schedule %d = %d %v", i, st, b)
		}
	}
	extra := draft()
	st, body := schedule(extra, day(next, 3))
	wantLimit(t, "one scheduled post too many", st, body, fmt.Sprintf("%d are already counted for %s", limit, next.Format("January 2006")))
	// Rescheduling a counted post within its month does not count it twice.
	if st, b := schedule(ids[0], day(next, 20)); st != 200 {
		t.Errorf("rescheduling within the month = %d %v", st, b)
	}
	// Unscheduling gives the place back.
	if st, _, _ := oc.do("DELETE", "/api/v1/posts/"+ids[1]+"/schedule", nil); st != 200 {
		t.Fatalf("unschedule = %d", st)
	}
	if st, b := schedule(extra, day(next, 3)); st != 200 {
		t.Errorf("scheduling after an unschedule = %d %v", st, b)
	}
	st, body = schedule(ids[1], day(next, 4))
	wantLimit(t, "scheduling the unscheduled post again, now full", st, body, "scheduled posts a month")
	// Moving a post to another month counts it there and frees its old place.
	if st, b := schedule(ids[2], day(later, 1)); st != 200 {
		t.Errorf("moving to the month after = %d %v", st, b)
	}
	if st, b := schedule(ids[1], day(next, 4)); st != 200 {
		t.Errorf("scheduling into the freed place = %d %v", st, b)
	}
	// Deleting a post that has not gone out gives the place back.
	if st, _, _ := oc.do("DELETE", "/api/v1/posts/"+ids[3], nil); st != 204 {
		t.Fatalf("delete = %d", st)
	}
	fresh := draft()
	if st, b := schedule(fresh, day(next, 5)); st != 200 {
		t.Errorf("scheduling after a delete = %d %v", st, b)
	}
	st, body = schedule(draft(), day(next, 6))
	wantLimit(t, "full again", st, body, "scheduled posts a month")

	// A post published this month keeps its place once deleted.
	now := draft()
	if st, b := schedule(now, time.Now()); st != 200 {
		t.Fatalf("publish now = %d %v", st, b)
	}
	waitFor(t, "the post to be published", 20*time.Second, func() bool {
		_, _, p := oc.do("GET", "/api/v1/posts/"+now, nil)
		return p["status"] == "published"
	})
	if st, _, _ := oc.do("DELETE", "/api/v1/posts/"+now, nil); st != 204 {
		t.Fatalf("delete published = %d", st)
	}
	root := superadmin(t, m, c)
	if _, _, co := root.do("GET", "/api/v1/admin/companies/"+owner.companyID, nil); field(co, "usage", "scheduled_posts") != float64(1) {
		t.Errorf("this month's usage after deleting the published post = %v, want 1", co["usage"])
	}
	// Business has no monthly limit.
	if st, _, b := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "business"}); st != 200 {
		t.Fatalf("upgrade = %d %v", st, b)
	}
	if st, b := schedule(draft(), day(next, 6)); st != 200 {
		t.Errorf("scheduling on Business = %d %v", st, b)
	}
}

// superadmin registers a person, makes them superadmin and returns their client.
func superadmin(t *testing.T, m *Main, c *client) *client {
	t.Helper()
	root := register(t, c, "root")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), root.email, "", ""); err != nil {
		t.Fatal(err)
	}
	return c.with(root.token, "")
}

// waitFor polls cond until it holds, or fails the test after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
