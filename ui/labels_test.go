package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// twoSandboxPost is a published post on two sandbox accounts, which only their names tell apart.
func twoSandboxPost(t *testing.T) (domain.Post, accountNames) {
	t.Helper()
	accounts := []domain.Account{{ID: "a1", Platform: domain.Sandbox, DisplayName: "north-desk", Status: domain.AccountActive},
		{ID: "a2", Platform: domain.Sandbox, DisplayName: "south-desk", Status: domain.AccountActive}}
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	p, err := domain.NewPost("c1", "u1", domain.PostInput{Content: "Two desks", AccountIDs: []domain.AccountID{"a1", "a2"}}, accounts, at)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = "p1"
	names := accountNames{}
	for _, a := range accounts {
		names[a.ID] = a
	}
	return domain.RestorePost(p, domain.PostPublished, "", at, 3), names
}

// TestTargets_LabelledWithAccountNames: the posts list, the calendar, the analytics top
// posts and the CSV export name each target's account, so two accounts on one platform
// are told apart ("north-desk", not "Sandbox · published" twice).
func TestTargets_LabelledWithAccountNames(t *testing.T) {
	t.Parallel()
	post, names := twoSandboxPost(t)
	want := func(where, got string) {
		t.Helper()
		if !strings.Contains(got, "north-desk") || !strings.Contains(got, "south-desk") {
			t.Errorf("%s: %q names neither or one account", where, got)
		}
	}

	doc := render(t, pagePosts, postsPage{Posts: []domain.Post{post}, Names: names, Statuses: domain.PostStatuses, Platforms: domain.Platforms}, time.UTC, domain.RoleEditor)
	want("posts list", text(doc.Find("#posts .post-targets")))

	var accounts []calendarAccount
	for _, t := range post.Targets {
		accounts = append(accounts, calendarAccount{names[t.AccountID]})
	}
	day := calendarDay{Date: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Posts: []calendarEntry{{Post: post, At: post.ScheduledFor(), Accounts: accounts}}}
	doc = render(t, pageCalendar, calendarPage{View: "month", Title: "Week", Weeks: [][]calendarDay{{day}}, Names: names}, time.UTC, domain.RoleViewer)
	want("calendar", text(doc.Find(".cal-post")))

	p := analyticsPage{}
	p.fill(app.Report{TopPosts: []ports.MetricsRow{{Key: "p1", Metrics: domain.Metrics{Impressions: 10}}}}, names, func(string) *domain.Post { return &post })
	doc = render(t, pageAnalytics, p, time.UTC, domain.RoleOwner)
	want("analytics top posts", text(doc.Find("#top-posts")))
}
