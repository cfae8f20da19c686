package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestDeleteCompany_StopsItsRunningAndWaitingJobs deletes a company while one of its
// targets is being published (the platform call in flight) and another post waits for its
// time: the waiting job is cancelled at once, the running one is told to stop and ends
// cancelled, and another company's job is left alone.
func TestDeleteCompany_StopsItsRunningAndWaitingJobs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{MaxAttempts: 3, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: time.Minute}, true)
	hold, started := make(chan struct{}), make(chan struct{}, 1)
	defer close(hold)
	h.Net.Mu.Lock()
	h.Net.Hold, h.Net.Started = hold, started
	h.Net.Mu.Unlock()

	later := h.Draft("later")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, later.ID, time.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	now := h.Draft("now")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, now.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the publish never reached the platform")
	}
	other := h.newCompany("Other", domain.RoleOwner)
	err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		return tx.Jobs().PublishPost(h.Ctx, other.CompanyID, domain.PostID("00000000-0000-0000-0000-000000000001"), 1, time.Now().Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}

	privacy := h.Privacy
	if _, err := privacy.DeleteCompany(h.Ctx, h.Owner, "Acme"); err != nil {
		t.Fatalf("DeleteCompany: %v", err)
	}
	states := func(company domain.CompanyID) map[string]int {
		t.Helper()
		out := map[string]int{}
		rows, err := h.DB.SQL().QueryContext(h.Ctx, `SELECT state::text, count(*) FROM river_job WHERE args->>'company_id' = $1 GROUP BY 1`, string(company))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				t.Fatal(err)
			}
			out[s] = n
		}
		return out
	}
	// The waiting publish_post and the running one (its post handed to the batcher, whose
	// platform call is held) end cancelled; the purge of the company's media files that the
	// deletion enqueued ends completed.
	unfinished := func(st map[string]int) int {
		return st["running"] + st["available"] + st["scheduled"] + st["retryable"] + st["pending"]
	}
	apptest.WaitFor(t, "the company's jobs to stop", 30*time.Second, func() (bool, error) {
		st := states(h.Owner.CompanyID)
		return unfinished(st) == 0, nil
	})
	if st := states(h.Owner.CompanyID); st["cancelled"] != 2 || st["completed"] != 1 {
		t.Errorf("the deleted company's jobs: %v, want 2 cancelled, and the media purge completed", st)
	}
	if refs, posts := h.Net.Total(); refs != 0 || posts != 0 {
		t.Errorf("the platform got %d posts after the company was deleted", posts)
	}
	if st := states(other.CompanyID); st["available"] != 1 {
		t.Errorf("the other company's jobs: %v, want its waiting job kept", st)
	}
}
