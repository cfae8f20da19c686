package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestFirstComments_EachOnceAfterItsPost runs Herald against the sandbox with posts that
// carry a first comment: each post and each comment exists once, the comment under its
// post, also when the sandbox loses every answer (HERALD_SANDBOX_LOST_RATE=1, so both the
// post and the comment are looked up instead of sent again).
func TestFirstComments_EachOnceAfterItsPost(t *testing.T) {
	t.Parallel()
	for _, lost := range []string{"0", "1"} {
		t.Run("lost_rate_"+lost, func(t *testing.T) {
			t.Parallel()
			m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SANDBOX_LOST_RATE": lost}, func(m *Main) {
				m.Publishing = app.PublishingConfig{MaxAttempts: 6, Backoff: 200 * time.Millisecond, MaxBackoff: time.Second, CallTimeout: 30 * time.Second}
			})
			c := newClient(t, m)
			owner := register(t, c, "comments-"+lost)
			oc := c.with(owner.token, owner.companyID)
			acct := connectSandboxAPI(t, oc, "first-comments-"+lost)
			const n = 3
			ids := make([]string, n)
			for i := range n {
				st, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": fmt.Sprintf("Commented post %d", i), "account_ids": []string{acct},
					"first_comment": fmt.Sprintf("More on post %d at https://example.com/%d", i, i)})
				if st != 201 {
					t.Fatalf("create post = %d %v", st, p)
				}
				ids[i] = p["id"].(string)
				if st, _, p = oc.do("POST", "/api/v1/posts/"+ids[i]+"/schedule", map[string]string{"scheduled_for": time.Now().Add(-time.Second).UTC().Format(time.RFC3339)}); st != 200 {
					t.Fatalf("schedule = %d %v", st, p)
				}
			}
			for _, id := range ids {
				waitFor(t, "post "+id+" and its comment published", 90*time.Second, func() bool {
					_, _, p := oc.do("GET", "/api/v1/posts/"+id, nil)
					tg, _ := p["targets"].([]any)[0].(map[string]any)
					fc, _ := tg["first_comment"].(map[string]any)
					return p["status"] == "published" && fc["status"] == "published"
				})
			}
			for i, id := range ids {
				var posts, comments int
				var text string
				err := m.db.Pool().QueryRow(context.Background(), `
					SELECT (SELECT count(*) FROM sandbox_posts WHERE reference LIKE $1),
					       (SELECT count(*) FROM sandbox_posts WHERE reference LIKE 'comment/%/' || $1),
					       coalesce((SELECT min(c.text) FROM sandbox_posts c JOIN sandbox_posts p ON c.reference = 'comment/' || p.id || '/' || p.reference
					                 WHERE p.reference LIKE $1), '')`, id+"/%").Scan(&posts, &comments, &text)
				if err != nil {
					t.Fatal(err)
				}
				if posts != 1 || comments != 1 || text != fmt.Sprintf("More on post %d at https://example.com/%d", i, i) {
					t.Errorf("post %s: %d posts, %d comments (%q) in the sandbox, want one each under its post", id, posts, comments, text)
				}
			}
		})
	}
}
