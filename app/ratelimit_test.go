package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// rateID returns an id no other test or run uses, so counters never carry over.
func rateID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// records counts the log records at each level.
type records struct {
	slog.Handler
	errors, infos *atomic.Int32
}

func newRecords() records {
	return records{Handler: slog.DiscardHandler, errors: new(atomic.Int32), infos: new(atomic.Int32)}
}

func (r records) Enabled(context.Context, slog.Level) bool { return true }

func (r records) Handle(_ context.Context, rec slog.Record) error {
	switch rec.Level {
	case slog.LevelError:
		r.errors.Add(1)
	case slog.LevelInfo:
		r.infos.Add(1)
	}
	return nil
}

// secondInstance opens another pool on the test database: another Herald instance.
func secondInstance(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// at returns a clock stopped at 12:00:20 UTC on a fixed day, and a way to move it.
func at() (func() time.Time, func(time.Duration)) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 12, 0, 20, 0, time.UTC)
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
}

func TestRateLimiter_InstancesShareTheCount(t *testing.T) {
	t.Parallel()
	clock, advance := at()
	quiet := slog.New(slog.DiscardHandler)
	// 5 requests a minute outside a company: 60 scaled by 1/12.
	a := app.NewRateLimiter(pgtest.DB(t), 1.0/12, clock, quiet)
	b := app.NewRateLimiter(secondInstance(t), 1.0/12, clock, quiet)
	caller := domain.RateCaller{Token: domain.TokenID(rateID("token"))}
	ctx := context.Background()

	for i := 1; i <= 5; i++ {
		l := a
		if i%2 == 0 {
			l = b
		}
		quotas, err := l.Allow(ctx, caller)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if len(quotas) != 1 || quotas[0].Policy.Name != "token" || quotas[0].Policy.Limit != 5 || quotas[0].Count != i ||
			quotas[0].Remaining() != 5-i || quotas[0].Reset != 40*time.Second {
			t.Fatalf("request %d: quotas = %+v, want the token's count %d of 5 with 40s to go", i, quotas, i)
		}
	}
	for _, l := range []*app.RateLimiter{a, b} {
		quotas, err := l.Allow(ctx, caller)
		var de *domain.Error
		if domain.CodeOf(err) != domain.CodeRateLimited || !errors.As(err, &de) || de.RetryAfter != 40*time.Second {
			t.Fatalf("past the limit: err = %v, want rate_limited with RetryAfter 40s", err)
		}
		if len(quotas) != 1 || quotas[0].Remaining() != 0 {
			t.Errorf("past the limit: quotas = %+v, want none remaining", quotas)
		}
	}

	advance(40 * time.Second) // the next minute starts
	quotas, err := b.Allow(ctx, caller)
	if err != nil || quotas[0].Count != 1 || quotas[0].Reset != time.Minute {
		t.Fatalf("next minute: %+v, %v; want the first request of a new window", quotas, err)
	}
}

func TestRateLimiter_ConcurrentRequestsCountExactlyOnce(t *testing.T) {
	t.Parallel()
	clock, _ := at()
	quiet := slog.New(slog.DiscardHandler)
	limiters := []*app.RateLimiter{app.NewRateLimiter(pgtest.DB(t), 1, clock, quiet), app.NewRateLimiter(secondInstance(t), 1, clock, quiet)}
	caller := domain.RateCaller{Token: domain.TokenID(rateID("token")), Company: domain.CompanyID(rateID("company")), Plan: domain.PlanBusiness}

	const n = 40
	var mu sync.Mutex
	var tokenCounts, companyCounts []int
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			quotas, err := limiters[i%2].Allow(context.Background(), caller)
			if err != nil || len(quotas) != 2 {
				t.Errorf("Allow: %+v, %v", quotas, err)
				return
			}
			mu.Lock()
			tokenCounts, companyCounts = append(tokenCounts, quotas[0].Count), append(companyCounts, quotas[1].Count)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(tokenCounts)
	slices.Sort(companyCounts)
	for i := range n {
		if tokenCounts[i] != i+1 || companyCounts[i] != i+1 {
			t.Fatalf("counts seen by %d concurrent requests: token %v, company %v; want each of 1..%d once", n, tokenCounts, companyCounts, n)
		}
	}
}

func TestRateLimiter_TokenAndCompanyQuotas(t *testing.T) {
	t.Parallel()
	clock, _ := at()
	// Free plan scaled by 1/20: 3 requests per token and 6 per company a minute.
	l := app.NewRateLimiter(pgtest.DB(t), 1.0/20, clock, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	acme, rival := domain.CompanyID(rateID("acme")), domain.CompanyID(rateID("rival"))
	hit := func(token string, company domain.CompanyID, plan domain.Plan) error {
		t.Helper()
		_, err := l.Allow(ctx, domain.RateCaller{Token: domain.TokenID(token), Company: company, Plan: plan})
		return err
	}
	one, two, three := rateID("one"), rateID("two"), rateID("three")
	for range 3 {
		if err := hit(one, acme, domain.PlanFree); err != nil {
			t.Fatalf("token one within its limit: %v", err)
		}
	}
	if err := hit(one, acme, domain.PlanFree); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("token one's 4th request: %v, want rate_limited", err)
	}
	// Token one's refused request counted for the company too: 4 of 6.
	if err := hit(two, acme, domain.PlanFree); err != nil {
		t.Fatalf("another token of the company: %v", err)
	}
	if err := hit(two, acme, domain.PlanFree); err != nil {
		t.Fatalf("another token of the company: %v", err)
	}
	if err := hit(three, acme, domain.PlanFree); domain.CodeOf(err) != domain.CodeRateLimited || !contains(err, "this company may make 6 requests a minute") {
		t.Fatalf("a fresh token past the company's limit: %v, want the company's rate_limited", err)
	}
	// The rival company's traffic has its own counter, and the same token acting there
	// still counts as the token.
	for range 2 {
		if err := hit(three, rival, domain.PlanFree); err != nil {
			t.Fatalf("another company: %v", err)
		}
	}
	if err := hit(three, rival, domain.PlanFree); domain.CodeOf(err) != domain.CodeRateLimited || !contains(err, "this token may make 3 requests") {
		t.Fatalf("token three's 4th request anywhere: %v, want the token's rate_limited", err)
	}
	// A paid plan allows more: pro's 300 per token scaled is 15.
	pro := domain.CompanyID(rateID("pro"))
	four := rateID("four")
	for i := range 15 {
		if err := hit(four, pro, domain.PlanPro); err != nil {
			t.Fatalf("pro request %d: %v", i+1, err)
		}
	}
	if err := hit(four, pro, domain.PlanPro); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("pro's 16th request: %v, want rate_limited", err)
	}
}

// flaky is the real counter that can be made to fail, as when the database goes away.
type flaky struct {
	ports.RateCounter
	down atomic.Bool
}

func (f *flaky) CountRequest(ctx context.Context, keys []string, window time.Duration, now time.Time) ([]int, error) {
	if f.down.Load() {
		return nil, domain.Errorf(domain.CodeUnavailable, "database unreachable")
	}
	return f.RateCounter.CountRequest(ctx, keys, window, now)
}

func TestRateLimiter_FailsOpenAndLogsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock, _ := at()
	logs := newRecords()

	closed, err := postgres.Open(ctx, pgtest.URL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	l := app.NewRateLimiter(closed, 1.0/60, clock, slog.New(logs))
	caller := domain.RateCaller{IP: "192.0.2.7"}
	for i := range 5 { // one request a minute would refuse the second
		if quotas, err := l.Allow(ctx, caller); err != nil || quotas != nil {
			t.Fatalf("request %d with the database closed: %+v, %v; want let through without quotas", i+1, quotas, err)
		}
	}
	if n := logs.errors.Load(); n != 1 {
		t.Errorf("error lines during the outage = %d, want 1", n)
	}

	f := &flaky{RateCounter: pgtest.DB(t)}
	logs = newRecords()
	l = app.NewRateLimiter(f, 1, clock, slog.New(logs))
	caller = domain.RateCaller{Token: domain.TokenID(rateID("token"))}
	f.down.Store(true)
	_, _ = l.Allow(ctx, caller)
	_, _ = l.Allow(ctx, caller)
	f.down.Store(false)
	quotas, err := l.Allow(ctx, caller)
	if err != nil || len(quotas) != 1 || quotas[0].Count != 1 {
		t.Fatalf("after the outage: %+v, %v; want counting again from 1", quotas, err)
	}
	_, _ = l.Allow(ctx, caller)
	if e, i := logs.errors.Load(), logs.infos.Load(); e != 1 || i != 1 {
		t.Errorf("log lines for one outage and its end: %d errors, %d infos; want 1 and 1", e, i)
	}
}

func TestRateLimiter_CleanupDeletesEndedWindows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock, _ := at()
	// A database of its own: cleaning up two hours ahead would delete other tests' rows.
	db, err := postgres.Open(ctx, pgtest.FreshURL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	l := app.NewRateLimiter(db, 1, clock, slog.New(slog.DiscardHandler))
	caller := domain.RateCaller{Token: domain.TokenID(rateID("token"))}
	for range 3 {
		if _, err := l.Allow(ctx, caller); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteExpired(ctx, clock()); err != nil {
		t.Fatal(err)
	}
	if q, _ := l.Allow(ctx, caller); q[0].Count != 4 {
		t.Fatalf("after cleanup within the window: count %d, want 4 (the current window stays)", q[0].Count)
	}
	if _, err := db.DeleteExpired(ctx, clock().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if q, _ := l.Allow(ctx, caller); q[0].Count != 1 {
		t.Fatalf("after cleanup two hours later: count %d, want 1 (the window was deleted)", q[0].Count)
	}
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// BenchmarkRateLimit_Allow measures what the limiter adds to a request acting in a company:
// one INSERT ... ON CONFLICT ... RETURNING for the token's and the company's counters.
func BenchmarkRateLimit_Allow(b *testing.B) {
	l := app.NewRateLimiter(pgtest.DB(b), 1e6, time.Now, slog.New(slog.DiscardHandler))
	caller := domain.RateCaller{Token: domain.TokenID(rateID("token")), Company: domain.CompanyID(rateID("company")), Plan: domain.PlanFree}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Allow(ctx, caller); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRateLimit_AllowParallel is BenchmarkRateLimit_Allow with callers on every core
// counting under one company: the row lock its counter takes is the contended part.
func BenchmarkRateLimit_AllowParallel(b *testing.B) {
	l := app.NewRateLimiter(pgtest.DB(b), 1e6, time.Now, slog.New(slog.DiscardHandler))
	company := domain.CompanyID(rateID("company"))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		caller := domain.RateCaller{Token: domain.TokenID(rateID("token")), Company: company, Plan: domain.PlanFree}
		for pb.Next() {
			if _, err := l.Allow(ctx, caller); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
