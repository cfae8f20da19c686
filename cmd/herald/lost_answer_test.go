package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestLostAnswers_EveryPostOnceThroughLookup runs Herald against a sandbox that publishes
// every post but loses every answer (HERALD_SANDBOX_LOST_RATE=1), as when connections break
// after the request was sent: the adapter says the post may have been published, Herald
// looks it up instead of sending it again, and each post exists once.
func TestLostAnswers_EveryPostOnceThroughLookup(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SANDBOX_LOST_RATE": "1"}, func(m *Main) {
		m.Publishing = app.PublishingConfig{MaxAttempts: 6, Backoff: 200 * time.Millisecond, MaxBackoff: time.Second, CallTimeout: 30 * time.Second}
	})
	c := newClient(t, m)
	owner := register(t, c, "lost")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "lost-answers")
	const n = 5
	ids := make([]string, n)
	for i := range n {
		ids[i] = schedulePost(t, oc, acct, fmt.Sprintf("Answer lost %d", i), time.Now().Add(-time.Second))
	}
	for _, id := range ids {
		waitFor(t, "post "+id+" published", 90*time.Second, func() bool {
			_, _, p := oc.do("GET", "/api/v1/posts/"+id, nil)
			return p["status"] == "published"
		})
		_, _, p := oc.do("GET", "/api/v1/posts/"+id, nil)
		tg := p["targets"].([]any)[0].(map[string]any)
		if tg["external_id"] == nil || tg["external_id"] == "" {
			t.Errorf("post %s published without the platform's id: %v", id, tg)
		}
	}
	var posts, refs int
	err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT reference) FROM sandbox_posts WHERE reference LIKE ANY ($1)`,
		func() []string {
			out := make([]string, n)
			for i, id := range ids {
				out[i] = id + "/%"
			}
			return out
		}()).Scan(&posts, &refs)
	if err != nil {
		t.Fatal(err)
	}
	if posts != n || refs != n {
		t.Errorf("the sandbox holds %d posts for %d references, want %d each: a lost answer was sent again", posts, refs, n)
	}
}
