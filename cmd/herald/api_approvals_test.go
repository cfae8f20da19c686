package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestAPI_ApprovalsSubmitRejectApprove walks the approval routes through the JSON API: the
// company requires approval for editors; the editor's schedule answers 409
// approval_required; submit, reject (422 without a comment), resubmit and approve answer
// the post with its approval; wrong states are 409, an editor deciding is 403, another
// company's post is 404 on every route; the member's approver grant; and the webhook
// events post.submitted, post.rejected and post.approved are delivered.
func TestAPI_ApprovalsSubmitRejectApprove(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_WEBHOOK_ALLOW_PRIVATE": "true"})
	c := newClient(t, m)
	owner := register(t, c, "approver-owner")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "approvals-sandbox")
	editor := register(t, c, "approver-editor")
	addMember(t, oc, editor, "editor")
	ec := c.with(editor.token, owner.companyID)
	rcv := newHookReceiver(t)
	if st, _, b := oc.do("POST", "/api/v1/webhooks", map[string]any{"url": rcv.URL + "/hook", "events": []string{"post.submitted", "post.approved", "post.rejected"}}); st != 201 {
		t.Fatalf("webhook = %d %v", st, b)
	}

	if st, _, b := ec.do("PUT", "/api/v1/company", map[string]any{"approvals": []string{"editors"}}); st != http.StatusForbidden {
		t.Errorf("an editor sets approvals = %d %v, want 403", st, b)
	}
	if st, _, b := oc.do("PUT", "/api/v1/company", map[string]any{"approvals": []string{"robots"}}); st != 422 || problemFields(b)["approvals"] == "" {
		t.Errorf("unknown rule = %d %v, want 422 on approvals", st, b)
	}
	st, _, co := oc.do("PUT", "/api/v1/company", map[string]any{"approvals": []string{"editors"}})
	if rules, _ := co["approvals"].([]any); st != 200 || len(rules) != 1 || rules[0] != "editors" {
		t.Fatalf("set approvals = %d %v", st, co)
	}

	st, _, p := ec.do("POST", "/api/v1/posts", map[string]any{"content": "Needs a yes", "account_ids": []string{acct}})
	if st != 201 || p["approval"] != nil || p["ai_assisted"] != false {
		t.Fatalf("create = %d %v", st, p)
	}
	id := p["id"].(string)
	at := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	for _, path := range []string{"/schedule", "/queue"} {
		st, _, b := ec.do("POST", "/api/v1/posts/"+id+path, nil)
		if st != http.StatusConflict || b["type"] != "urn:herald:problem:approval_required" || !strings.Contains(field(b, "detail").(string), "submit it for approval") {
			t.Errorf("editor POST %s = %d %v, want 409 approval_required", path, st, b)
		}
	}
	if st, _, b := ec.do("POST", "/api/v1/posts/"+id+"/submit", map[string]any{"scheduled_for": "tomorrow"}); st != 422 || problemFields(b)["scheduled_for"] == "" {
		t.Errorf("submit with a bad time = %d %v", st, b)
	}
	st, _, p = ec.do("POST", "/api/v1/posts/"+id+"/submit", map[string]any{"scheduled_for": at})
	if st != 200 || p["status"] != "in_review" || p["scheduled_for"] != at || field(p, "approval", "submitted_by") != editor.userID ||
		field(p, "approval", "decided_by") != nil || field(p, "approval", "comment") != nil {
		t.Fatalf("submit = %d %v", st, p)
	}
	if st, _, b := ec.do("POST", "/api/v1/posts/"+id+"/submit", nil); st != http.StatusConflict {
		t.Errorf("submit twice = %d %v, want 409", st, b)
	}
	st, _, list := oc.do("GET", "/api/v1/posts?status=in_review", nil)
	if items, _ := list["items"].([]any); st != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("GET /posts?status=in_review = %d %v", st, list)
	}
	for _, route := range []string{"/approve", "/reject"} {
		if st, _, b := ec.do("POST", "/api/v1/posts/"+id+route, map[string]any{"comment": "mine"}); st != http.StatusForbidden {
			t.Errorf("editor POST %s = %d %v, want 403", route, st, b)
		}
	}

	// Another company reaches none of it.
	other := register(t, c, "approver-other")
	xc := c.with(other.token, other.companyID)
	for route, body := range map[string]any{"/submit": nil, "/approve": map[string]any{"comment": "x"}, "/reject": map[string]any{"comment": "x"}} {
		if st, _, b := xc.do("POST", "/api/v1/posts/"+id+route, body); st != http.StatusNotFound {
			t.Errorf("another company POST %s = %d %v, want 404", route, st, b)
		}
	}
	if st, _, b := xc.do("PUT", "/api/v1/members/"+editor.userID, map[string]any{"approver": true}); st != http.StatusNotFound {
		t.Errorf("another company grants approver = %d %v, want 404", st, b)
	}

	if st, _, b := oc.do("POST", "/api/v1/posts/"+id+"/reject", nil); st != 422 || problemFields(b)["comment"] == "" {
		t.Errorf("reject without a comment = %d %v, want 422 on comment", st, b)
	}
	st, _, p = oc.do("POST", "/api/v1/posts/"+id+"/reject", map[string]any{"comment": "Say which day."})
	if st != 200 || p["status"] != "changes_requested" || field(p, "approval", "comment") != "Say which day." || field(p, "approval", "decided_by") != owner.userID {
		t.Fatalf("reject = %d %v", st, p)
	}
	if st, _, b := oc.do("POST", "/api/v1/posts/"+id+"/approve", nil); st != http.StatusConflict {
		t.Errorf("approve a post sent back = %d %v, want 409", st, b)
	}
	if st, _, b := ec.do("PUT", "/api/v1/posts/"+id, map[string]any{"content": "Needs a yes: Monday", "account_ids": []string{acct}}); st != 200 || b["status"] != "changes_requested" {
		t.Fatalf("editor fixes = %d %v", st, b)
	}
	if st, _, b := ec.do("POST", "/api/v1/posts/"+id+"/submit", nil); st != 200 || b["status"] != "in_review" || b["scheduled_for"] != at {
		t.Fatalf("resubmit = %d %v", st, b)
	}
	st, _, p = oc.do("POST", "/api/v1/posts/"+id+"/approve", map[string]any{"comment": "Good to go"})
	if st != 200 || p["status"] != "scheduled" || p["scheduled_for"] != at || field(p, "approval", "comment") != "Good to go" {
		t.Fatalf("approve = %d %v", st, p)
	}

	// The approver grant.
	if st, _, b := ec.do("PUT", "/api/v1/members/"+editor.userID, map[string]any{"approver": true}); st != http.StatusForbidden {
		t.Errorf("an editor grants themselves approver = %d %v, want 403", st, b)
	}
	st, _, mem := oc.do("PUT", "/api/v1/members/"+editor.userID, map[string]any{"approver": true})
	if st != 200 || mem["approver"] != true || mem["role"] != "editor" {
		t.Fatalf("grant approver = %d %v", st, mem)
	}
	st, _, members := oc.do("GET", "/api/v1/members", nil)
	found := false
	for _, it := range members["items"].([]any) {
		if x := it.(map[string]any); x["user_id"] == editor.userID {
			found = x["approver"] == true
		}
	}
	if st != 200 || !found {
		t.Errorf("members list does not show the grant: %v", members)
	}
	// An approver needs no approval for their own posts (the rule is "editors").
	_, _, own := ec.do("POST", "/api/v1/posts", map[string]any{"content": "An approver's own", "account_ids": []string{acct}})
	if st, _, b := ec.do("POST", "/api/v1/posts/"+own["id"].(string)+"/schedule", map[string]any{"scheduled_for": at}); st != 200 || b["status"] != "scheduled" {
		t.Errorf("approver schedules own post = %d %v", st, b)
	}

	for typ, n := range map[string]int{"post.submitted": 2, "post.rejected": 1, "post.approved": 1} {
		got := rcv.waitType(t, typ, n)
		if post, _ := got.data["post"].(map[string]any); post["id"] != id || post["approval"] == nil {
			t.Errorf("%s data = %v", typ, got.data)
		}
	}
	rejected := rcv.waitType(t, "post.rejected", 1)
	if field(rejected.data, "post", "approval", "comment") != "Say which day." {
		t.Errorf("post.rejected carries %v", rejected.data)
	}
}
