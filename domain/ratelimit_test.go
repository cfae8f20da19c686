package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestRatePolicies(t *testing.T) {
	t.Parallel()
	free, biz := domain.PlanFree.Limits(), domain.PlanBusiness.Limits()
	tests := []struct {
		name   string
		caller domain.RateCaller
		scale  float64
		want   []domain.RatePolicy
	}{
		{"InACompany", domain.RateCaller{Token: "t1", IP: "192.0.2.1", Company: "c1", Plan: domain.PlanFree}, 1, []domain.RatePolicy{
			{Name: "token", Key: "token:t1", Limit: free.APITokenRequestsPerMinute, Window: time.Minute},
			{Name: "company", Key: "company:c1", Limit: free.APIRequestsPerMinute, Window: time.Minute}}},
		{"BusinessScaled", domain.RateCaller{Token: "t1", Company: "c1", Plan: domain.PlanBusiness}, 0.5, []domain.RatePolicy{
			{Name: "token", Key: "token:t1", Limit: biz.APITokenRequestsPerMinute / 2, Window: time.Minute},
			{Name: "company", Key: "company:c1", Limit: biz.APIRequestsPerMinute / 2, Window: time.Minute}}},
		{"UnknownPlanIsFree", domain.RateCaller{Token: "t1", Company: "c1", Plan: "platinum"}, 1, []domain.RatePolicy{
			{Name: "token", Key: "token:t1", Limit: free.APITokenRequestsPerMinute, Window: time.Minute},
			{Name: "company", Key: "company:c1", Limit: free.APIRequestsPerMinute, Window: time.Minute}}},
		{"TokenOutsideACompany", domain.RateCaller{Token: "t1", IP: "192.0.2.1"}, 1, []domain.RatePolicy{
			{Name: "token", Key: "token:t1", Limit: domain.CallerRequestsPerMinute, Window: time.Minute}}},
		{"NoCredentialsCountsTheAddress", domain.RateCaller{IP: "192.0.2.1"}, 1, []domain.RatePolicy{
			{Name: "caller", Key: "ip:192.0.2.1", Limit: domain.CallerRequestsPerMinute, Window: time.Minute}}},
		{"TinyScaleStillAllowsOne", domain.RateCaller{IP: "192.0.2.1"}, 0.0001, []domain.RatePolicy{
			{Name: "caller", Key: "ip:192.0.2.1", Limit: 1, Window: time.Minute}}},
		{"ScaleRoundsUp", domain.RateCaller{IP: "192.0.2.1"}, 0.11, []domain.RatePolicy{
			{Name: "caller", Key: "ip:192.0.2.1", Limit: 7, Window: time.Minute}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := domain.RatePolicies(tt.caller, tt.scale)
			if len(got) != len(tt.want) {
				t.Fatalf("RatePolicies = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("RatePolicies[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRateError(t *testing.T) {
	t.Parallel()
	token := domain.RatePolicy{Name: "token", Key: "token:t", Limit: 2, Window: time.Minute}
	company := domain.RatePolicy{Name: "company", Key: "company:c", Limit: 5, Window: time.Minute}
	if err := domain.RateError([]domain.RateQuota{{Policy: token, Count: 2, Reset: 10 * time.Second}, {Policy: company, Count: 5}}); err != nil {
		t.Errorf("at the limits: %v, want nil", err)
	}
	err := domain.RateError([]domain.RateQuota{{Policy: token, Count: 2}, {Policy: company, Count: 6, Reset: 1500 * time.Millisecond}})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeRateLimited || de.RetryAfter != 2*time.Second || !strings.Contains(de.Message, "this company may make 5 requests a minute") {
		t.Errorf("company past its limit: %#v, want rate_limited naming the company, RetryAfter 2s", err)
	}
	err = domain.RateError([]domain.RateQuota{{Policy: token, Count: 3, Reset: 0}})
	if !errors.As(err, &de) || de.RetryAfter != time.Second {
		t.Errorf("a window ending now: %#v, want RetryAfter at least 1s", err)
	}
	if q := (domain.RateQuota{Policy: token, Count: 9}); q.Remaining() != 0 {
		t.Errorf("Remaining past the limit = %d, want 0", q.Remaining())
	}
}
