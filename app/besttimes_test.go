package app_test

import (
	"testing"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestAnalytics_BestTimes ranks an account's hours of the week (in the company's zone) by
// engagement per impression, counts the posts each rests on, leaves out hours with one
// post, never counts another company's metrics, and falls back to the study's guidance
// below ten posts.
func TestAnalytics_BestTimes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		return tx.Companies().SetSettings(h.Ctx, h.Owner.CompanyID, map[string]string{"time_zone": "Europe/Berlin"})
	}); err != nil {
		t.Fatal(err)
	}
	// published stores a post on account as published at (UTC) with its metrics collected.
	published := func(actor domain.Actor, account domain.AccountID, at string, likes, comments, shares, reach, impressions int) {
		t.Helper()
		p := h.App.Draft(t, actor, "published at "+at, account)
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE post_targets SET status = 'published', published_at = $3, metrics_at = $3,
			likes = $4, comments = $5, shares = $6, reach = $7, impressions = $8 WHERE company_id = $1 AND post_id = $2`,
			string(actor.CompanyID), string(p.ID), at, likes, comments, shares, reach, impressions); err != nil {
			t.Fatal(err)
		}
	}
	acct := h.Account.ID
	viewer := h.addViewer()

	got, err := h.Analytics.BestTimes(h.Ctx, viewer, acct)
	if err != nil || got.Source != app.BestTimesDefault || len(got.Items) == 0 || got.Items[0].Posts != 0 {
		t.Fatalf("BestTimes(no data) = %+v, %v; want the default guidance", got, err)
	}
	if first := got.Items[0]; first.Weekday != 2 || first.Hour != 10 {
		t.Errorf("default first item = %+v, want Tuesday 10:00 (the middle of the study's 9–12 window)", first)
	}

	// Tuesday 09:00 Berlin (08:00Z in winter): 3 posts, (30+6+3)/300 = 0.13.
	published(h.Owner, acct, "2026-12-01T08:10:00Z", 10, 2, 1, 0, 100)
	published(h.Owner, acct, "2026-12-08T08:20:00Z", 10, 2, 1, 0, 100)
	published(h.Owner, acct, "2026-12-15T08:59:00Z", 10, 2, 1, 0, 100)
	// Wednesday 12:00 Berlin in summer (10:00Z): 2 posts on reach only, 40/200 = 0.2.
	published(h.Owner, acct, "2026-07-01T10:00:00Z", 20, 0, 0, 100, 0)
	published(h.Owner, acct, "2026-07-08T10:30:00Z", 20, 0, 0, 100, 0)
	// Friday 18:00 Berlin: 4 posts, 4/400 = 0.01.
	for _, at := range []string{"2026-12-04T17:00:00Z", "2026-12-11T17:00:00Z", "2026-12-18T17:00:00Z", "2026-11-27T17:00:00Z"} {
		published(h.Owner, acct, at, 1, 0, 0, 0, 100)
	}
	// 9 posts so far: still the default.
	if got, err := h.Analytics.BestTimes(h.Ctx, viewer, acct); err != nil || got.Source != app.BestTimesDefault {
		t.Fatalf("BestTimes(9 posts) = %s, %v; want default", got.Source, err)
	}
	// Monday 07:00 Berlin: 1 post, great, but one post is not enough to rank its hour.
	published(h.Owner, acct, "2026-12-07T06:00:00Z", 90, 0, 0, 0, 100)
	// Another company's post on its own account at Friday 18:00 would lift that hour if it counted.
	rival := h.newCompany("Rival", domain.RoleOwner)
	rivalAcct := h.Connect(rival)
	for i := 0; i < 3; i++ {
		published(rival, rivalAcct.ID, "2026-12-04T17:00:00Z", 1000, 0, 0, 0, 100)
	}

	got, err = h.Analytics.BestTimes(h.Ctx, viewer, acct)
	if err != nil {
		t.Fatal(err)
	}
	want := []app.BestTime{{Weekday: 3, Hour: 12, Score: 0.2, Posts: 2}, {Weekday: 2, Hour: 9, Score: 0.13, Posts: 3}, {Weekday: 5, Hour: 18, Score: 0.01, Posts: 4}}
	if got.Source != app.BestTimesCompany || len(got.Items) != len(want) {
		t.Fatalf("BestTimes = %s %+v, want company %+v", got.Source, got.Items, want)
	}
	for i, w := range want {
		g := got.Items[i]
		if g.Weekday != w.Weekday || g.Hour != w.Hour || g.Posts != w.Posts || g.Score < w.Score-1e-9 || g.Score > w.Score+1e-9 {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
	}

	if _, err := h.Analytics.BestTimes(h.Ctx, viewer, rivalAcct.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("BestTimes(another company's account) = %v, want CodeNotFound", err)
	}
	if _, err := h.Analytics.BestTimes(h.Ctx, viewer, "not-an-id"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("BestTimes(malformed id) = %v, want CodeNotFound", err)
	}
}
