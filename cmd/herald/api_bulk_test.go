package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// bulkItems returns the items of a POST /posts/bulk answer, checking each names its index.
func bulkItems(t *testing.T, body map[string]any, n int) []map[string]any {
	t.Helper()
	raw, _ := body["items"].([]any)
	if len(raw) != n {
		t.Fatalf("bulk answer has %d items, want %d: %v", len(raw), n, body)
	}
	out := make([]map[string]any, n)
	for i, r := range raw {
		out[i] = r.(map[string]any)
		if idx, _ := out[i]["index"].(float64); int(idx) != i {
			t.Errorf("item %d names index %v", i, out[i]["index"])
		}
	}
	return out
}

// problemOf returns the item's problem type ("" when it was saved) and its field errors.
func problemOf(item map[string]any) (string, map[string]string) {
	p, ok := item["problem"].(map[string]any)
	if !ok {
		return "", nil
	}
	return strings.TrimPrefix(p["type"].(string), "urn:herald:problem:"), problemFields(p)
}

// postCount returns how many posts the company has.
func postCount(t *testing.T, m *Main, company string) int {
	t.Helper()
	var n int
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM posts WHERE company_id = $1`, company).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAPI_PostsBulk: POST /posts/bulk saves the valid posts (drafts, or scheduled with one
// publish job each) and answers each invalid one with the problem the single requests
// would give, saving nothing of it; the request as a whole is refused past 1,000 posts,
// for viewers, and replayed for a repeated Idempotency-Key. Approval and the plan's
// scheduled posts apply per post; posts due now publish once.
func TestAPI_PostsBulk(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "bulk")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "bulk-sandbox")
	rival := register(t, c, "bulk-rival")
	rc := c.with(rival.token, rival.companyID)
	rivalAcct := connectSandboxAPI(t, rc, "bulk-rival-sandbox")
	future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)

	t.Run("MixedItemsSaveTheValidOnesOnly", func(t *testing.T) {
		if st, _, hook := oc.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://example.com/hook", "events": []string{"post.scheduled"}}); st != http.StatusCreated {
			t.Fatalf("create webhook = %d %v", st, hook)
		}
		before := postCount(t, m, owner.companyID)
		posts := []any{
			map[string]any{"content": "A draft", "account_ids": []string{acct}, "labels": []string{"Launch"}, "first_comment": "More soon"},
			map[string]any{"content": "Scheduled", "account_ids": []string{acct}, "scheduled_for": future,
				"variants": map[string]any{acct: map[string]any{"content": "Scheduled, for the sandbox"}}},
			map[string]any{"content": "", "account_ids": []string{acct}, "scheduled_for": future},
			map[string]any{"content": "On the rival's account", "account_ids": []string{rivalAcct}, "scheduled_for": future},
			map[string]any{"content": "Bad time", "account_ids": []string{acct}, "scheduled_for": "tomorrow at nine"},
			map[string]any{"content": "Unknown field", "account_ids": []string{acct}, "colour": "red"},
			map[string]any{"content": "In the past", "account_ids": []string{acct}, "scheduled_for": "2020-01-01T10:00:00Z"},
			map[string]any{"content": strings.Repeat("x", 6000), "account_ids": []string{acct}, "scheduled_for": future},
		}
		st, _, body := oc.do("POST", "/api/v1/posts/bulk", map[string]any{"posts": posts})
		if st != http.StatusOK {
			t.Fatalf("bulk = %d %v", st, body)
		}
		items := bulkItems(t, body, len(posts))
		draft, _ := items[0]["post"].(map[string]any)
		if draft["status"] != "draft" || draft["first_comment"] != "More soon" || fmt.Sprint(draft["labels"]) != "[Launch]" {
			t.Errorf("item 0 = %v, want a draft with its first comment and label", items[0])
		}
		sched, _ := items[1]["post"].(map[string]any)
		if sched["status"] != "scheduled" || sched["scheduled_for"] != future || sched["version"] != float64(2) {
			t.Errorf("item 1 = %v, want scheduled at %s, version 2", items[1], future)
		}
		tg, _ := sched["targets"].([]any)
		if len(tg) != 1 || tg[0].(map[string]any)["content"] != "Scheduled, for the sandbox" {
			t.Errorf("item 1 targets = %v, want its variant", tg)
		}
		wants := map[int]struct{ typ, field string }{2: {"invalid", "content"}, 3: {"invalid", "account_ids[0]"}, 4: {"invalid", "scheduled_for"},
			5: {"invalid", "colour"}, 6: {"invalid", "scheduled_for"}, 7: {"invalid", ""}}
		for i, w := range wants {
			typ, fields := problemOf(items[i])
			if typ != w.typ || (w.field != "" && fields[w.field] == "") || items[i]["post"] != nil {
				t.Errorf("item %d = %v, want problem %s naming %q", i, items[i], w.typ, w.field)
			}
		}
		if got := postCount(t, m, owner.companyID) - before; got != 2 {
			t.Errorf("posts saved = %d, want 2", got)
		}
		if got := postCount(t, m, rival.companyID); got != 0 {
			t.Errorf("rival's posts = %d, want 0", got)
		}
		var jobs int
		if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'publish_post' AND args->>'post_id' = $1`,
			sched["id"]).Scan(&jobs); err != nil || jobs != 1 {
			t.Errorf("publish_post jobs of the scheduled post = %d (%v), want 1", jobs, err)
		}
		var events int
		if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM webhook_events WHERE company_id = $1 AND type = 'post.scheduled' AND data->'post'->>'id' = $2`,
			owner.companyID, sched["id"]).Scan(&events); err != nil || events != 1 {
			t.Errorf("post.scheduled events of the scheduled post = %d (%v), want 1", events, err)
		}
		var audits int
		if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE subject = $1 AND action IN ('post.created', 'post.scheduled')`,
			sched["id"]).Scan(&audits); err != nil || audits != 2 {
			t.Errorf("audit entries of the scheduled post = %d (%v), want created and scheduled", audits, err)
		}
	})

	t.Run("MoreThanAThousandIsRefusedWhole", func(t *testing.T) {
		before := postCount(t, m, owner.companyID)
		posts := make([]any, app.MaxBulkPosts+1)
		for i := range posts {
			posts[i] = map[string]any{"content": fmt.Sprintf("Post %d", i), "account_ids": []string{acct}}
		}
		st, _, body := oc.do("POST", "/api/v1/posts/bulk", map[string]any{"posts": posts})
		if st != http.StatusUnprocessableEntity || problemFields(body)["posts"] == "" {
			t.Errorf("1,001 posts = %d %v, want 422 naming posts", st, body)
		}
		if st, _, body := oc.do("POST", "/api/v1/posts/bulk", map[string]any{"posts": []any{}}); st != http.StatusUnprocessableEntity {
			t.Errorf("no posts = %d %v, want 422", st, body)
		}
		if got := postCount(t, m, owner.companyID); got != before {
			t.Errorf("posts after refused requests = %d, want %d", got, before)
		}
	})

	t.Run("IdempotencyKeyReplaysTheFirstAnswer", func(t *testing.T) {
		before := postCount(t, m, owner.companyID)
		req := map[string]any{"posts": []any{map[string]any{"content": "Once", "account_ids": []string{acct}, "scheduled_for": future},
			map[string]any{"content": "", "account_ids": []string{acct}}}}
		st, _, first := oc.do("POST", "/api/v1/posts/bulk", req, "Idempotency-Key", "bulk-once")
		if st != http.StatusOK {
			t.Fatalf("first = %d %v", st, first)
		}
		st, h, again := oc.do("POST", "/api/v1/posts/bulk", req, "Idempotency-Key", "bulk-once")
		if st != http.StatusOK || h.Get("Idempotent-Replayed") != "true" || fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("repeat = %d %v, want the first answer replayed", st, again)
		}
		other := map[string]any{"posts": []any{map[string]any{"content": "Another", "account_ids": []string{acct}}}}
		if st, _, body := oc.do("POST", "/api/v1/posts/bulk", other, "Idempotency-Key", "bulk-once"); st != http.StatusUnprocessableEntity {
			t.Errorf("same key, other body = %d %v, want 422", st, body)
		}
		if got := postCount(t, m, owner.companyID) - before; got != 1 {
			t.Errorf("posts saved = %d, want 1", got)
		}
	})

	t.Run("ViewerIsRefusedEditorIsNot", func(t *testing.T) {
		viewer, editor := register(t, c, "bulk-viewer"), register(t, c, "bulk-editor")
		addMember(t, oc, viewer, "viewer")
		addMember(t, oc, editor, "editor")
		req := map[string]any{"posts": []any{map[string]any{"content": "By a member", "account_ids": []string{acct}, "scheduled_for": future}}}
		if st, _, body := c.with(viewer.token, owner.companyID).do("POST", "/api/v1/posts/bulk", req); st != http.StatusForbidden {
			t.Errorf("viewer = %d %v, want 403", st, body)
		}
		st, _, body := c.with(editor.token, owner.companyID).do("POST", "/api/v1/posts/bulk", req)
		if items := bulkItems(t, body, 1); st != http.StatusOK || field(items[0], "post", "status") != "scheduled" {
			t.Errorf("editor = %d %v, want the post scheduled", st, body)
		}

		// Once editors need approval, an editor's posts to schedule answer approval_required;
		// drafts are still saved. The owner needs none.
		if st, _, b := oc.do("PUT", "/api/v1/company", map[string]any{"approvals": []string{"editors"}}); st != http.StatusOK {
			t.Fatalf("require approval = %d %v", st, b)
		}
		t.Cleanup(func() { oc.do("PUT", "/api/v1/company", map[string]any{"approvals": []string{}}) })
		mixed := map[string]any{"posts": []any{map[string]any{"content": "Needs approval", "account_ids": []string{acct}, "scheduled_for": future},
			map[string]any{"content": "Just a draft", "account_ids": []string{acct}}}}
		st, _, body = c.with(editor.token, owner.companyID).do("POST", "/api/v1/posts/bulk", mixed)
		items := bulkItems(t, body, 2)
		if typ, _ := problemOf(items[0]); st != http.StatusOK || typ != "approval_required" || field(items[1], "post", "status") != "draft" {
			t.Errorf("editor under approval = %d %v, want approval_required then a draft", st, body)
		}
		st, _, body = oc.do("POST", "/api/v1/posts/bulk", mixed)
		if items := bulkItems(t, body, 2); st != http.StatusOK || field(items[0], "post", "status") != "scheduled" {
			t.Errorf("owner under approval = %d %v, want the post scheduled", st, body)
		}
	})

	t.Run("PlanLimitIsCountedAcrossTheRequest", func(t *testing.T) {
		small := register(t, c, "bulk-free") // the free plan: 30 scheduled posts a month
		sc := c.with(small.token, small.companyID)
		a := connectSandboxAPI(t, sc, "bulk-free-sandbox")
		at := time.Now().AddDate(0, 2, 0)
		at = time.Date(at.Year(), at.Month(), 10, 9, 0, 0, 0, time.UTC)
		posts := make([]any, 32)
		for i := range posts {
			posts[i] = map[string]any{"content": fmt.Sprintf("Post %d", i), "account_ids": []string{a}, "scheduled_for": at.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)}
		}
		st, _, body := sc.do("POST", "/api/v1/posts/bulk", map[string]any{"posts": posts})
		if st != http.StatusOK {
			t.Fatalf("bulk = %d %v", st, body)
		}
		items := bulkItems(t, body, 32)
		for i, it := range items {
			typ, _ := problemOf(it)
			if (i < 30 && typ != "") || (i >= 30 && typ != "plan_limit") {
				t.Errorf("item %d = %v, want %s", i, it, map[bool]string{true: "saved", false: "plan_limit"}[i < 30])
			}
		}
		if got := postCount(t, m, small.companyID); got != 30 {
			t.Errorf("posts saved = %d, want 30", got)
		}
	})

	t.Run("PostsDueNowPublishOnce", func(t *testing.T) {
		now := time.Now().UTC().Format(time.RFC3339)
		posts := make([]any, 5)
		for i := range posts {
			posts[i] = map[string]any{"content": fmt.Sprintf("Right away %d", i), "account_ids": []string{acct}, "scheduled_for": now}
		}
		st, _, body := oc.do("POST", "/api/v1/posts/bulk", map[string]any{"posts": posts})
		if st != http.StatusOK {
			t.Fatalf("bulk = %d %v", st, body)
		}
		for _, it := range bulkItems(t, body, 5) {
			id, _ := field(it, "post", "id").(string)
			if id == "" {
				t.Fatalf("item = %v, want a post", it)
			}
			waitFor(t, "post "+id+" published", 90*time.Second, func() bool {
				_, _, p := oc.do("GET", "/api/v1/posts/"+id, nil)
				return p["status"] == "published"
			})
			var sent, jobs int
			err := m.db.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM sandbox_posts WHERE reference LIKE $1 || '/%'),
				(SELECT count(*) FROM river_job WHERE kind = 'publish_post' AND args->>'post_id' = $1)`, id).Scan(&sent, &jobs)
			if err != nil || sent != 1 || jobs != 1 {
				t.Errorf("post %s: %d sent to the sandbox, %d publish_post jobs (%v); want 1 and 1", id, sent, jobs, err)
			}
		}
	})
}
