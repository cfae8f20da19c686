package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestAdmin_AllowsFollowsThePolicy: what pages offer comes from the Casbin policy, per role
// and company, and a suspension does not hide what the role may do.
func TestAdmin_AllowsFollowsThePolicy(t *testing.T) {
	t.Parallel()
	w := setup(t, nil)
	ctx := context.Background()
	admin := app.NewAdmin(w.store, w.authz, time.Now)
	for _, tc := range []struct {
		who   string
		actor domain.Actor
		res   domain.Resource
		act   domain.Action
		want  bool
	}{
		{"owner deletes data", w.owner, domain.ResourceData, domain.ActionWrite, true},
		{"editor writes posts", w.editor, domain.ResourcePosts, domain.ActionWrite, true},
		{"editor manages members", w.editor, domain.ResourceMembers, domain.ActionWrite, false},
		{"editor manages webhooks", w.editor, domain.ResourceWebhooks, domain.ActionWrite, false},
		{"viewer writes posts", w.viewer, domain.ResourcePosts, domain.ActionWrite, false},
		{"viewer reads analytics", w.viewer, domain.ResourceAnalytics, domain.ActionRead, true},
		{"owner in another company", domain.Actor{UserID: w.owner.UserID, CompanyID: w.other.CompanyID, Role: domain.RoleOwner}, domain.ResourcePosts, domain.ActionRead, false},
	} {
		if got := admin.Allows(ctx, tc.actor, tc.res, tc.act); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.who, got, tc.want)
		}
	}
	if _, err := w.store.Pool().Exec(ctx, `UPDATE companies SET status = 'suspended', status_reason = 'unpaid' WHERE id = $1`, string(w.owner.CompanyID)); err != nil {
		t.Fatal(err)
	}
	if err := w.authz.Reload(ctx, w.owner.CompanyID); err != nil {
		t.Fatal(err)
	}
	if !admin.Allows(ctx, w.editor, domain.ResourcePosts, domain.ActionWrite) || admin.Allows(ctx, w.viewer, domain.ResourcePosts, domain.ActionWrite) {
		t.Error("in a suspended company, the pages must still offer what each role may do (the refusal says why)")
	}
}
