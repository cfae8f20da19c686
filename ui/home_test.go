package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// homeOf is the start page's data for s, as renderHome builds it.
func homeOf(s app.Start) homePage {
	p := homePage{Form: newForm(nil), Start: &s, Names: accountNames{}, Steps: homeSteps(s), Live: homeFingerprint(s)}
	for _, a := range s.Accounts {
		p.Names[a.ID] = a
	}
	return p
}

func allSteps(done, canAct bool) []app.Step {
	var out []app.Step
	for _, k := range []app.StepKey{app.StepConnectAccount, app.StepFirstPost, app.StepInviteTeammate, app.StepTimeZone} {
		out = append(out, app.Step{Key: k, Done: done, CanAct: canAct})
	}
	return out
}

func TestHome_NewCompanySaysWhatToDoFirst(t *testing.T) {
	t.Parallel()
	s := app.Start{Now: time.Now(), Zone: "UTC", Steps: allSteps(false, true), CanReadPosts: true, CanReadAccounts: true, Results: &app.WeekResults{}}
	doc := render(t, pageHome, homeOf(s), time.UTC, domain.RoleOwner)

	if got := doc.Find("#home-first-step").AttrOr("href", ""); got != routePath("accounts") {
		t.Errorf("first step links %q, want the accounts page", got)
	}
	if n := doc.Find("#home-steps .home-step").Length(); n != 4 {
		t.Errorf("%d steps, want 4", n)
	}
	// No empty boxes: the sections that need posts wait for the first one.
	for _, id := range []string{"#home-live", "#home-attention", "#home-upcoming", "#home-results", "#home-compose"} {
		if doc.Find(id).Length() != 0 {
			t.Errorf("a new company's page shows %s", id)
		}
	}
}

func TestHome_ViewerSeesNoStepsAndNoButtons(t *testing.T) {
	t.Parallel()
	s := app.Start{Now: time.Now(), Zone: "UTC", Steps: allSteps(false, false), CanReadPosts: true, CanReadAccounts: true}
	doc := render(t, pageHome, homeOf(s), time.UTC, domain.RoleViewer)
	if doc.Find("#home-steps").Length() != 0 || doc.Find("#home-first-step").Length() != 0 {
		t.Error("a viewer is shown steps they cannot take")
	}
	if !strings.Contains(doc.Find("#home-welcome").Text(), "has not connected an account") {
		t.Errorf("viewer's welcome = %q", doc.Find("#home-welcome").Text())
	}
}

func TestHome_SectionsShowPostsAccountsAndResults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	scheduled := samplePost(t, domain.PostScheduled, now.Add(3*time.Hour))
	failed := samplePost(t, domain.PostFailed, now.Add(-time.Hour))
	failed.ID = "p2"
	unknown := samplePost(t, domain.PostPublishing, now.Add(-2*time.Hour))
	unknown.ID = "p3"
	unknown.Targets[0] = domain.RestoreTarget(unknown.Targets[0], domain.TargetUnknown, "", "", "", 1, false, time.Time{})
	accounts := []domain.Account{
		{ID: "a1", CompanyID: "c1", Platform: domain.LinkedIn, DisplayName: "Acme on LinkedIn", Status: domain.AccountReauthRequired, StatusReason: "Token revoked."},
		{ID: "a2", CompanyID: "c1", Platform: domain.Instagram, DisplayName: "acme.gram", Status: domain.AccountActive},
	}
	steps := allSteps(true, true)
	steps[3].Done = false
	s := app.Start{Now: now, Zone: "Europe/Paris", Steps: steps, CanReadPosts: true, CanReadAccounts: true,
		Upcoming: []domain.Post{scheduled}, Attention: []domain.Post{unknown, failed},
		Accounts: accounts, Reconnect: accounts[:1],
		Results: &app.WeekResults{Posts: 4, PreviousPosts: 2, Totals: domain.Metrics{Likes: 10, Comments: 5, Shares: 5, Impressions: 1000},
			Previous: domain.Metrics{Likes: 40, Impressions: 1000}}}
	paris, _ := time.LoadLocation("Europe/Paris")
	doc := render(t, pageHome, homeOf(s), paris, domain.RoleOwner)

	if doc.Find("#home-welcome").Length() != 0 {
		t.Error("a company with posts is welcomed as new")
	}
	if got := doc.Find("#home-steps .home-step:not(.done)").AttrOr("data-step", ""); got != string(app.StepTimeZone) {
		t.Errorf("step left = %q, want the time zone", got)
	}
	up := doc.Find(`#home-upcoming [data-post="p1"]`)
	if !strings.Contains(up.Find("time").Text(), "Mon 23 Nov 2026, 14:00") || !strings.Contains(up.Text(), "Acme on LinkedIn") || !strings.Contains(up.Text(), "Hello <b>world</b>") {
		t.Errorf("upcoming post = %q; want Paris time, its accounts and first line", up.Text())
	}
	if got := doc.Find(`#home-attention [data-post="p3"] .home-fix`).Text(); !strings.HasPrefix(got, "Resolve") {
		t.Errorf("unknown post's action = %q, want Resolve", got)
	}
	if got := doc.Find(`#home-attention [data-post="p2"] .home-fix`); !strings.HasPrefix(got.Text(), "Retry") || got.AttrOr("href", "") != routePath("post", "p2")+"#post-summary" {
		t.Errorf("failed post's action = %q → %q, want Retry on its page", got.Text(), got.AttrOr("href", ""))
	}
	if doc.Find("#home-live form").Length() != 0 {
		t.Error("the live region holds a form")
	}
	rc := doc.Find(`#home-reconnect [data-account="a1"]`)
	if rc.Find(`form[action="`+routePath("account.connect", domain.LinkedIn)+`"]`).Length() != 1 || !strings.Contains(rc.Text(), "Token revoked.") {
		t.Errorf("reconnect item = %q; want the reason and a reconnect form", rc.Text())
	}
	for id, want := range map[string]string{"posts": "+100%", "impressions": "same", "engagement": "−50%"} {
		if got := doc.Find("#home-stat-" + id + " .home-change").Text(); !strings.Contains(got, want) {
			t.Errorf("%s change = %q, want %q", id, got, want)
		}
	}
	if got := doc.Find("#home-live").AttrOr("data-live-events", ""); !strings.HasPrefix(got, routePath("home.events")+"?since=") {
		t.Errorf("live events = %q", got)
	}
}

func TestHome_SetUpCompanyHidesTheChecklist(t *testing.T) {
	t.Parallel()
	s := app.Start{Now: time.Now(), Zone: "UTC", Steps: allSteps(true, true), CanReadPosts: true, CanReadAccounts: true, Results: &app.WeekResults{}}
	doc := render(t, pageHome, homeOf(s), time.UTC, domain.RoleOwner)
	if doc.Find("#home-steps").Length() != 0 {
		t.Error("the checklist shows although every step is done")
	}
	if doc.Find("#home-all-clear").Length() != 1 || doc.Find("#home-nothing-scheduled").Length() != 1 {
		t.Error("empty sections do not say what to do")
	}
}

func TestHomeFingerprint_FollowsUpcomingAndAttention(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := samplePost(t, domain.PostScheduled, now.Add(time.Hour))
	a := homeFingerprint(app.Start{Upcoming: []domain.Post{p}})
	failed := domain.RestorePost(p, domain.PostFailed, "refused", p.ScheduledFor(), p.Version()+1)
	if b := homeFingerprint(app.Start{Attention: []domain.Post{failed}}); a == b {
		t.Error("fingerprint unchanged when a post moved from upcoming to attention")
	}
	if a != homeFingerprint(app.Start{Upcoming: []domain.Post{p}}) {
		t.Error("fingerprint changes for the same start page")
	}
}
