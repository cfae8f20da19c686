package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestPlan_LimitsGrowWithThePlan(t *testing.T) {
	t.Parallel()
	for i := 1; i < len(domain.Plans); i++ {
		lo, hi := domain.Plans[i-1].Limits(), domain.Plans[i].Limits()
		bigger := func(a, b int) bool { return b == domain.Unlimited || (a != domain.Unlimited && b > a) }
		if !bigger(lo.SocialAccounts, hi.SocialAccounts) || !bigger(lo.Members, hi.Members) ||
			!bigger(lo.ScheduledPostsPerMonth, hi.ScheduledPostsPerMonth) || hi.AITokensPerMonth <= lo.AITokensPerMonth ||
			!bigger(lo.APIRequestsPerMinute, hi.APIRequestsPerMinute) || !bigger(lo.APITokenRequestsPerMinute, hi.APITokenRequestsPerMinute) {
			t.Errorf("%s %+v is not more than %s %+v", domain.Plans[i], hi, domain.Plans[i-1], lo)
		}
	}
	if got := domain.Plan("platinum").Limits(); got != domain.PlanFree.Limits() {
		t.Errorf("unknown plan's limits = %+v, want the free plan's", got)
	}
	if domain.Plan("platinum").Valid() || !domain.PlanBusiness.Valid() {
		t.Error("Valid is wrong")
	}
}

func TestPlan_Checks(t *testing.T) {
	t.Parallel()
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	free, pro, biz := domain.PlanFree.Limits(), domain.PlanPro.Limits(), domain.PlanBusiness.Limits()
	tests := []struct {
		name    string
		err     error
		blocked bool
		says    string
	}{
		{"FreeAccountBelowLimit", domain.PlanFree.CheckAccounts(free.SocialAccounts-1, 1), false, ""},
		{"FreeAccountAtLimit", domain.PlanFree.CheckAccounts(free.SocialAccounts, 1), true, "Your Free plan allows 3 social accounts and 3 are already connected"},
		{"FreeTwoAccountsWithRoomForOne", domain.PlanFree.CheckAccounts(free.SocialAccounts-1, 2), true, "social accounts"},
		{"ProAccountAtLimit", domain.PlanPro.CheckAccounts(pro.SocialAccounts, 1), true, "Pro plan allows 10"},
		{"ReconnectAddsNothing", domain.PlanFree.CheckAccounts(free.SocialAccounts, 0), false, ""},
		{"FreeMemberBelowLimit", domain.PlanFree.CheckMembers(free.Members-1, 1), false, ""},
		{"FreeMemberAtLimit", domain.PlanFree.CheckMembers(free.Members, 1), true, "open invitations included"},
		{"BusinessMemberAtLimit", domain.PlanBusiness.CheckMembers(biz.Members, 1), true, "Business plan allows 100 members"},
		{"FreePostBelowLimit", domain.PlanFree.CheckScheduledPosts(free.ScheduledPostsPerMonth-1, month), false, ""},
		{"FreePostAtLimit", domain.PlanFree.CheckScheduledPosts(free.ScheduledPostsPerMonth, month), true, "30 are already counted for November 2026"},
		{"ProPostAtLimit", domain.PlanPro.CheckScheduledPosts(pro.ScheduledPostsPerMonth, month), true, "500 scheduled posts a month"},
		{"BusinessPostsAreUnlimited", domain.PlanBusiness.CheckScheduledPosts(1_000_000, month), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.blocked {
				if tt.err != nil {
					t.Fatalf("err = %v, want nil", tt.err)
				}
				return
			}
			if domain.CodeOf(tt.err) != domain.CodeLimit || !strings.Contains(domain.MessageOf(tt.err), tt.says) {
				t.Errorf("err = %v, want %s saying %q", tt.err, domain.CodeLimit, tt.says)
			}
		})
	}
}

func TestPlan_CheckAITokens(t *testing.T) {
	t.Parallel()
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	allowance := domain.PlanFree.Limits().AITokensPerMonth
	if err := domain.PlanFree.CheckAITokens(allowance-1, month, now); err != nil {
		t.Errorf("below the allowance: %v", err)
	}
	err := domain.PlanFree.CheckAITokens(allowance, month, now)
	var de *domain.Error
	if domain.CodeOf(err) != domain.CodeRateLimited || !strings.Contains(domain.MessageOf(err), "20,000 AI tokens for November") {
		t.Fatalf("spent allowance = %v", err)
	}
	if de, _ = err.(*domain.Error); de.RetryAfter != 12*time.Hour {
		t.Errorf("RetryAfter = %s, want 12h (until 1 December)", de.RetryAfter)
	}
}

func TestMonthOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 23, 30, 0, 0, time.FixedZone("X", -2*3600)) // already December in UTC
	if got := domain.MonthOf(at); !got.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("MonthOf = %s", got)
	}
}
