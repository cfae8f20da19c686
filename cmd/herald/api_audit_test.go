package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// auditItems reads one page of an audit log answer.
func auditItems(t *testing.T, c *client, path string) ([]map[string]any, string) {
	t.Helper()
	st, _, body := c.do("GET", path, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s = %d %v", path, st, body)
	}
	var out []map[string]any
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	next, _ := body["next_cursor"].(string)
	return out, next
}

// TestAPI_AuditLogRecordsEveryChangeByAPerson makes each change a person can make to a
// company through the API and finds each in the company's audit log, with who, when and
// from which address; another company's log never shows it.
func TestAPI_AuditLogRecordsEveryChangeByAPerson(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner, mate, rival := register(t, c, "audra"), register(t, c, "bert"), register(t, c, "cyd")
	oc := c.with(owner.token, owner.companyID)
	oc.ip = uniqueIP()
	start := time.Now().Add(-time.Second)

	acct := connectSandboxAPI(t, oc, "audra-sandbox")
	st, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Audited", "account_ids": []string{acct}})
	if st != 201 {
		t.Fatalf("create post = %d %v", st, p)
	}
	id := p["id"].(string)
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{"PUT", "/api/v1/posts/" + id, map[string]any{"content": "Audited, edited", "account_ids": []string{acct}}, 200},
		{"POST", "/api/v1/posts/" + id + "/schedule", map[string]string{"scheduled_for": time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)}, 200},
		{"DELETE", "/api/v1/posts/" + id + "/schedule", nil, 200},
		{"DELETE", "/api/v1/posts/" + id, nil, 204},
		{"PUT", "/api/v1/members/" + mate.userID, map[string]string{"role": "admin"}, 200},
		{"DELETE", "/api/v1/members/" + mate.userID, nil, 204},
		{"DELETE", "/api/v1/accounts/" + acct, nil, 204},
	}
	invitation := addMember(t, oc, mate, "editor")
	for _, s := range steps {
		if st, _, body := oc.do(s.method, s.path, s.body); st != s.want {
			t.Fatalf("%s %s = %d %v, want %d", s.method, s.path, st, body, s.want)
		}
	}
	root := register(t, c, "auditroot")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), root.email, "", ""); err != nil {
		t.Fatal(err)
	}
	rootc := c.with(root.token, "")
	rootc.ip = uniqueIP()
	if st, _, body := rootc.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "pro"}); st != 200 {
		t.Fatalf("superadmin changes the plan = %d %v", st, body)
	}

	entries, next := auditItems(t, oc, "/api/v1/audit?limit=200")
	if next != "" {
		t.Errorf("next_cursor = %q with fewer than 200 entries", next)
	}
	byAction := map[string]map[string]any{}
	for _, e := range entries {
		if e["company_id"] != owner.companyID {
			t.Errorf("entry of another company in the log: %v", e)
		}
		if _, seen := byAction[e["action"].(string)]; !seen {
			byAction[e["action"].(string)] = e // newest first: the latest of each action
		}
	}
	for action, subject := range map[string]string{"post.created": id, "post.updated": id, "post.scheduled": id, "post.unscheduled": id,
		"post.deleted": id, "member.invited": invitation, "member.role_changed": mate.userID, "member.removed": mate.userID,
		"account.connected": acct, "account.disconnected": acct} {
		e := byAction[action]
		if e == nil {
			t.Errorf("no %s entry; the log has %v", action, keys(byAction))
			continue
		}
		actor, _ := e["actor"].(map[string]any)
		at, err := time.Parse(time.RFC3339, e["created_at"].(string))
		if e["subject"] != subject || actor == nil || actor["id"] != owner.userID || actor["email"] != owner.email ||
			err != nil || at.Before(start) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%s entry = %v, want subject %s by %s now", action, e, subject, owner.userID)
		}
		// The consent comes back through the browser, from the test's own address.
		if want := oc.ip; action != "account.connected" && e["ip"] != want {
			t.Errorf("%s entry from %v, want %s", action, e["ip"], want)
		} else if e["ip"] == nil {
			t.Errorf("%s entry has no address", action)
		}
	}
	if e := byAction["member.role_changed"]; e != nil {
		if d := e["details"].(map[string]any); d["from"] != "editor" || d["to"] != "admin" {
			t.Errorf("role change details = %v", d)
		}
	}
	var plan map[string]any
	for _, e := range entries {
		if strings.HasPrefix(e["action"].(string), "company.") && e["actor"] != nil && e["actor"].(map[string]any)["id"] == root.userID {
			plan = e
		}
	}
	if plan == nil || plan["ip"] != rootc.ip {
		t.Errorf("the superadmin's plan change = %v, want an entry from %s", plan, rootc.ip)
	}

	// Filters: a family, an exact action, a person, a date range; paging by cursor.
	for q, want := range map[string]int{"action=post.": 5, "action=post.deleted": 1, "actor=" + mate.userID: 1, // joining, by accepting the invitation
		"action=member.&actor=" + owner.userID: 3, "to=2001-01-01": 0} {
		got, _ := auditItems(t, oc, "/api/v1/audit?"+q)
		if len(got) != want {
			t.Errorf("filter %s: %d entries, want %d", q, len(got), want)
		}
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if got, _ := auditItems(t, oc, "/api/v1/audit?action=post.&from="+today+"&to="+today); len(got) != 5 {
		t.Errorf("today's post entries: %d, want 5", len(got))
	}
	first, cur := auditItems(t, oc, "/api/v1/audit?limit=2")
	second, _ := auditItems(t, oc, "/api/v1/audit?limit=2&cursor="+url.QueryEscape(cur))
	if len(first) != 2 || cur == "" || len(second) != 2 || second[0]["id"].(float64) >= first[1]["id"].(float64) {
		t.Errorf("paging: %v then %v", first, second)
	}

	// Bad filters are 422 with the field named, never 500.
	for q, fieldName := range map[string]string{"from=yesterday": "from", "to=2026-13-01": "to", "actor=nobody": "actor",
		"action=DROP%20TABLE": "action", "from=2026-02-01&to=2026-01-01": "to", "cursor=bm9wZQ": "cursor", "limit=0": "limit"} {
		if st, _, body := oc.do("GET", "/api/v1/audit?"+q, nil); st != 422 || problemFields(body)[fieldName] == "" {
			t.Errorf("GET /audit?%s = %d %v, want 422 naming %s", q, st, body, fieldName)
		}
	}

	// Tenancy: the rival's log has none of this, even when it asks for the company by id.
	rc := c.with(rival.token, rival.companyID)
	got, _ := auditItems(t, rc, "/api/v1/audit?limit=200&company_id="+owner.companyID)
	for _, e := range got {
		if e["company_id"] != rival.companyID {
			t.Errorf("the rival reads another company's entry: %v", e)
		}
	}
	if st, _, _ := c.with(rival.token, owner.companyID).do("GET", "/api/v1/audit", nil); st != 404 {
		t.Errorf("rival names the other company = %d, want 404", st)
	}
	// Roles: editors and viewers do not read the log; admins do.
	addMember(t, oc, mate, "viewer")
	mc := c.with(mate.token, owner.companyID)
	for _, role := range []string{"viewer", "editor"} {
		if role != "viewer" {
			if st, _, _ := oc.do("PUT", "/api/v1/members/"+mate.userID, map[string]string{"role": role}); st != 200 {
				t.Fatal("role change failed")
			}
		}
		if st, _, _ := mc.do("GET", "/api/v1/audit", nil); st != 403 {
			t.Errorf("%s reads the audit log = %d, want 403", role, st)
		}
	}
	if st, _, _ := oc.do("PUT", "/api/v1/members/"+mate.userID, map[string]string{"role": "admin"}); st != 200 {
		t.Fatal("role change failed")
	}
	if got, _ := auditItems(t, mc, "/api/v1/audit?action=post.deleted"); len(got) != 1 {
		t.Errorf("admin reads %d post.deleted entries, want 1", len(got))
	}

	// The operator's log: superadmins only; it spans companies and filters by one.
	for _, who := range []*client{oc, mc, rc} {
		if st, _, _ := who.with(who.token, "").do("GET", "/api/v1/admin/audit", nil); st != 403 {
			t.Errorf("a non-superadmin reads every company's log = %d, want 403", st)
		}
	}
	all, _ := auditItems(t, rootc, "/api/v1/admin/audit?limit=200&company_id="+owner.companyID)
	if len(all) != len(entries)+4 { // since: the mate invited and joining again, and two role changes
		t.Errorf("operator sees %d entries of the company, want the %d the company saw plus 4", len(all), len(entries))
	}
	seen := map[string]bool{}
	for _, e := range all {
		if e["company_id"] != owner.companyID {
			t.Errorf("company filter leaked %v", e)
		}
		seen[e["action"].(string)] = true
	}
	if !seen["post.deleted"] || !seen["account.connected"] {
		t.Errorf("operator's filtered log lacks entries: %v", seen)
	}
	if got, _ := auditItems(t, rootc, "/api/v1/admin/audit?limit=200&company_id="+rival.companyID); len(got) == 0 || got[0]["company_id"] != rival.companyID {
		t.Errorf("operator's log of the rival = %v", got)
	}
	if st, _, body := rootc.do("GET", "/api/v1/admin/audit?company_id=x", nil); st != 422 || problemFields(body)["company"] == "" {
		t.Errorf("operator filters by a malformed company = %d %v", st, body)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
