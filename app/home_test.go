package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// exec runs a statement on the test database: the states publishing reaches only through
// platforms (failed, unknown, published with metrics, refused tokens) are set directly.
func exec(t *testing.T, a *apptest.App, query string, args ...any) {
	t.Helper()
	if _, err := a.DB.SQL().ExecContext(a.Ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func ids(posts []domain.Post) []domain.PostID {
	out := make([]domain.PostID, len(posts))
	for i, p := range posts {
		out[i] = p.ID
	}
	return out
}

func steps(s app.Start) map[app.StepKey]app.Step {
	out := map[app.StepKey]app.Step{}
	for _, st := range s.Steps {
		out[st.Key] = st
	}
	return out
}

func TestHome_Start(t *testing.T) {
	t.Parallel()

	h := apptest.NewTenant(t)
	ctx, now := h.Ctx, h.Clock.Now()
	start := func(actor domain.Actor) app.Start {
		t.Helper()
		s, err := h.Home.Start(ctx, actor)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		return s
	}
	schedule := func(actor domain.Actor, account domain.AccountID, content string, at time.Time) domain.Post {
		t.Helper()
		p := h.App.Draft(t, actor, content, account)
		p, err := h.Posts.Schedule(ctx, actor, p.ID, at, 0)
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		return p
	}

	// A brand-new company, seen by its owner: every step to do, nothing else.
	fresh := h.Company(t, domain.RoleOwner, pgtest.CompanyName("Fresh"))
	t.Run("NewCompanyHasEveryStepToDo", func(t *testing.T) {
		s := start(fresh)
		if len(s.Steps) != 4 || s.SetUp() || !s.Empty() || s.Pending() != 4 {
			t.Fatalf("Steps = %+v, SetUp %t, Empty %t, Pending %d; want 4 steps to do", s.Steps, s.SetUp(), s.Empty(), s.Pending())
		}
		for _, st := range s.Steps {
			if st.Done || !st.CanAct {
				t.Errorf("step %s: Done %t, CanAct %t; want to do, by the owner", st.Key, st.Done, st.CanAct)
			}
		}
		if len(s.Upcoming)+len(s.Attention)+len(s.Accounts)+len(s.Reconnect) != 0 || s.Results == nil || s.Results.Posts != 0 {
			t.Errorf("Start = %+v; want empty sections and zero results", s)
		}
		if s.Zone != "UTC" {
			t.Errorf("Zone = %q, want UTC until set", s.Zone)
		}
	})

	// Acme: two scheduled posts (the later one first), a failed one, one with a target left
	// unknown, a second account the platform refused, and published posts this week and
	// the week before.
	later := schedule(h.Owner, h.Account.ID, "Later", now.Add(5*time.Hour))
	sooner := schedule(h.Owner, h.Account.ID, "Sooner", now.Add(2*time.Hour))
	failed := h.Draft("Failed")
	exec(t, h.App, `UPDATE posts SET status = 'failed', status_reason = 'The platform refused it.', updated_at = $2 WHERE id = $1`, string(failed.ID), now.Add(-time.Hour))
	unknown := h.Draft("Unknown")
	exec(t, h.App, `UPDATE posts SET status = 'publishing', updated_at = $2 WHERE id = $1`, string(unknown.ID), now)
	exec(t, h.App, `UPDATE post_targets SET status = 'unknown' WHERE post_id = $1`, string(unknown.ID))
	refused := h.ConnectAs("refused-account")
	exec(t, h.App, `UPDATE social_accounts SET status = 'reauth_required', status_reason = 'Token revoked.' WHERE id = $1`, string(refused.ID))
	publish := func(content string, at time.Time, likes, comments, shares, impressions int) {
		t.Helper()
		p := h.Draft(content)
		exec(t, h.App, `UPDATE posts SET status = 'published', scheduled_for = $2 WHERE id = $1`, string(p.ID), at)
		exec(t, h.App, `UPDATE post_targets SET status = 'published', published_at = $2, likes = $3, comments = $4, shares = $5, impressions = $6
			WHERE post_id = $1`, string(p.ID), at, likes, comments, shares, impressions)
	}
	publish("This week", now.Add(-48*time.Hour), 10, 2, 1, 400)
	publish("This week too", now.Add(-72*time.Hour), 5, 0, 0, 100)
	publish("The week before", now.Add(-9*24*time.Hour), 3, 1, 0, 50)
	pgtest.Member(t, h.DB, h.Owner.CompanyID, domain.RoleEditor)
	if err := h.Authz.Reload(ctx, h.Owner.CompanyID); err != nil {
		t.Fatal(err)
	}

	// Rival: the same kinds of rows, which Acme must never see (and the other way round).
	rival := h.Company(t, domain.RoleOwner, pgtest.CompanyName("Rival"))
	rivalAccount := h.App.Connect(t, rival)
	rivalScheduled := schedule(rival, rivalAccount.ID, "Rival scheduled", now.Add(time.Hour))
	rivalFailed := h.App.Draft(t, rival, "Rival failed", rivalAccount.ID)
	exec(t, h.App, `UPDATE posts SET status = 'failed' WHERE id = $1`, string(rivalFailed.ID))
	exec(t, h.App, `UPDATE social_accounts SET status = 'reauth_required' WHERE id = $1`, string(rivalAccount.ID))

	t.Run("UpcomingAreTheScheduledPostsSoonestFirst", func(t *testing.T) {
		s := start(h.Owner)
		if got := ids(s.Upcoming); len(got) != 2 || got[0] != sooner.ID || got[1] != later.ID || s.MoreUpcoming {
			t.Errorf("Upcoming = %v (more %t), want [%s %s]", got, s.MoreUpcoming, sooner.ID, later.ID)
		}
	})

	t.Run("AttentionHoldsFailedAndUnknownPostsLatestFirst", func(t *testing.T) {
		s := start(h.Owner)
		if got := ids(s.Attention); len(got) != 2 || got[0] != unknown.ID || got[1] != failed.ID {
			t.Errorf("Attention = %v, want [%s %s]", got, unknown.ID, failed.ID)
		}
		if len(s.Reconnect) != 1 || s.Reconnect[0].ID != refused.ID {
			t.Errorf("Reconnect = %+v, want only %s", s.Reconnect, refused.ID)
		}
		if len(s.Accounts) != 2 {
			t.Errorf("Accounts = %d, want 2", len(s.Accounts))
		}
	})

	t.Run("ResultsCompareTheLastSevenDaysWithTheSevenBefore", func(t *testing.T) {
		r := start(h.Owner).Results
		if r == nil {
			t.Fatal("Results = nil for the owner")
		}
		if r.Posts != 2 || r.PreviousPosts != 1 {
			t.Errorf("Posts = %d, previous %d; want 2, 1", r.Posts, r.PreviousPosts)
		}
		if r.Totals.Impressions != 500 || r.Engagement() != 18 || r.Previous.Impressions != 50 || r.PreviousEngagement() != 4 {
			t.Errorf("Totals = %+v (engagement %d), previous %+v (%d); want 500 impressions and 18, 50 and 4",
				r.Totals, r.Engagement(), r.Previous, r.PreviousEngagement())
		}
		if got := r.To.Sub(r.From); got < 167*time.Hour || got > 169*time.Hour {
			t.Errorf("range %s..%s is %s long, want seven days", r.From, r.To, got)
		}
	})

	t.Run("StepsKnowWhatIsDone", func(t *testing.T) {
		st := steps(start(h.Owner))
		for key, done := range map[app.StepKey]bool{app.StepConnectAccount: true, app.StepFirstPost: true, app.StepInviteTeammate: true, app.StepTimeZone: false} {
			if st[key].Done != done {
				t.Errorf("step %s Done = %t, want %t", key, st[key].Done, done)
			}
		}
		if err := h.Analytics.SetZone(ctx, h.Owner, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
		s := start(h.Owner)
		if !s.SetUp() || s.Zone != "Europe/Paris" {
			t.Errorf("after setting the zone: SetUp %t, Zone %q; want set up in Europe/Paris", s.SetUp(), s.Zone)
		}
	})

	t.Run("AnInvitationCountsAsATeammate", func(t *testing.T) {
		if steps(start(fresh))[app.StepInviteTeammate].Done {
			t.Fatal("fresh company has a teammate before inviting")
		}
		if _, err := h.Teams.Invite(ctx, fresh, "colleague@example.com", string(domain.RoleEditor)); err != nil {
			t.Fatalf("Invite: %v", err)
		}
		if !steps(start(fresh))[app.StepInviteTeammate].Done {
			t.Error("after an invitation: the invite step is not done")
		}
	})

	t.Run("AViewerCanActOnNoStep", func(t *testing.T) {
		viewer := h.Member(t, h.Owner.CompanyID, domain.RoleViewer)
		s := start(viewer)
		for _, st := range s.Steps {
			if st.CanAct {
				t.Errorf("viewer can act on step %s", st.Key)
			}
		}
		if !s.SetUp() || len(s.Upcoming) != 2 || s.Results == nil {
			t.Errorf("viewer: SetUp %t, %d upcoming, results %v; want nothing to do and the sections", s.SetUp(), len(s.Upcoming), s.Results)
		}
	})

	t.Run("OtherCompanysPostsAndAccountsNeverAppear", func(t *testing.T) {
		acme, other := start(h.Owner), start(rival)
		mine := map[domain.PostID]bool{}
		for _, p := range append(append([]domain.Post{}, acme.Upcoming...), acme.Attention...) {
			mine[p.ID] = true
			if p.CompanyID != h.Owner.CompanyID {
				t.Errorf("Acme sees post %s of company %s", p.ID, p.CompanyID)
			}
		}
		if mine[rivalScheduled.ID] || mine[rivalFailed.ID] {
			t.Error("Acme sees Rival's posts")
		}
		for _, a := range append(append([]domain.Account{}, acme.Accounts...), acme.Reconnect...) {
			if a.CompanyID != h.Owner.CompanyID {
				t.Errorf("Acme sees account %s of company %s", a.ID, a.CompanyID)
			}
		}
		if got := ids(other.Upcoming); len(got) != 1 || got[0] != rivalScheduled.ID {
			t.Errorf("Rival's upcoming = %v, want only its own %s", got, rivalScheduled.ID)
		}
		if got := ids(other.Attention); len(got) != 1 || got[0] != rivalFailed.ID {
			t.Errorf("Rival's attention = %v, want only its own %s", got, rivalFailed.ID)
		}
		if len(other.Reconnect) != 1 || other.Reconnect[0].ID != rivalAccount.ID {
			t.Errorf("Rival's reconnect = %+v, want only its own account", other.Reconnect)
		}
		if other.Results == nil || other.Results.Posts != 0 || other.Results.Totals.Impressions != 0 {
			t.Errorf("Rival's results = %+v, want none of Acme's", other.Results)
		}
	})

}
