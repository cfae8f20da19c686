package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// TestAnalytics_ByLabelCountsOnlyThatLabelsPostsOfTheCompany publishes posts with and
// without a label in two companies that use the same label name: each company's report by
// label counts only its own posts carrying it, whatever the label's case.
func TestAnalytics_ByLabelCountsOnlyThatLabelsPostsOfTheCompany(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	acme, rival := a.Company(t, domain.RoleOwner), a.Company(t, domain.RoleOwner)
	publish := func(actor domain.Actor, acct domain.AccountID, likes int64, labels ...string) {
		t.Helper()
		p, err := a.Posts.Create(a.Ctx, actor, domain.PostInput{Content: "Post", AccountIDs: []domain.AccountID{acct}, Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = a.Posts.Schedule(a.Ctx, actor, p.ID, time.Time{}, 0); err != nil {
			t.Fatal(err)
		}
		if err := a.Publishing.PublishPost(a.Ctx, actor.CompanyID, p.ID, p.Version()); err != nil {
			t.Fatal(err)
		}
		if err := a.Publishing.PublishTarget(a.Ctx, app.TargetJob{Company: actor.CompanyID, Post: p.ID, Account: acct, Version: p.Version()}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.SQL().ExecContext(a.Ctx, `UPDATE post_targets SET likes = $3::bigint, impressions = $3::bigint * 10
			WHERE company_id = $1 AND post_id = $2`, string(actor.CompanyID), string(p.ID), likes); err != nil {
			t.Fatal(err)
		}
	}
	acmeAcct, rivalAcct := a.Connect(t, acme), a.Connect(t, rival)
	publish(acme, acmeAcct.ID, 1, "Spring launch")
	publish(acme, acmeAcct.ID, 10, "Hiring", "spring LAUNCH")
	publish(acme, acmeAcct.ID, 100)
	publish(rival, rivalAcct.ID, 1000, "Spring launch")

	for _, tc := range []struct {
		actor domain.Actor
		label string
		likes int64
	}{
		{acme, "", 111}, {acme, "Spring launch", 11}, {acme, "SPRING LAUNCH", 11}, {acme, "Hiring", 10}, {acme, "Nothing", 0},
		{rival, "spring launch", 1000}, {rival, "Hiring", 0},
	} {
		r, err := a.Analytics.LabelOverview(a.Ctx, tc.actor, tc.label, "", "")
		if err != nil {
			t.Fatalf("LabelOverview(%q) = %v", tc.label, err)
		}
		var top int64
		for _, p := range r.TopPosts {
			top += p.Likes
		}
		if r.Totals.Likes != tc.likes || top != tc.likes || r.Label != tc.label {
			t.Errorf("company %s, label %q: %d likes (top posts %d), want %d", tc.actor.CompanyID, tc.label, r.Totals.Likes, top, tc.likes)
		}
	}
	if r, err := a.Analytics.LabelReport(a.Ctx, acme, "sandbox", "hiring", "", ""); err != nil || r.Totals.Likes != 10 {
		t.Errorf("LabelReport(sandbox, hiring) = %d likes, %v; want 10", r.Totals.Likes, err)
	}
	labels, err := a.Posts.Labels(a.Ctx, rival)
	if err != nil || len(labels) != 1 || labels[0].Posts != 1 {
		t.Errorf("the rival's labels = %+v, %v; want only its own Spring launch", labels, err)
	}
}
