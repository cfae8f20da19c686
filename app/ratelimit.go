package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// RateLimiter counts the JSON API's requests per token, per company and per client
// address against the plans' limits (domain.RatePolicies), in counters every instance
// shares.
type RateLimiter struct {
	counter ports.RateCounter
	scale   float64
	now     func() time.Time
	log     *slog.Logger
	failing atomic.Bool // the counter failed last time: logged once until it works again
}

// NewRateLimiter returns a limiter counting in counter, with every limit multiplied by
// scale; a scale of 0 or less turns limiting off (Enabled reports false).
func NewRateLimiter(counter ports.RateCounter, scale float64, now func() time.Time, log *slog.Logger) *RateLimiter {
	return &RateLimiter{counter: counter, scale: scale, now: now, log: log}
}

// Enabled reports whether requests are limited at all.
func (l *RateLimiter) Enabled() bool { return l != nil && l.scale > 0 }

// Policies returns the quotas a request of c counts against, without counting it.
func (l *RateLimiter) Policies(c domain.RateCaller) []domain.RatePolicy {
	return domain.RatePolicies(c, l.scale)
}

// Allow counts one request of c and returns its quotas with their counts. The error is
// CodeRateLimited (with RetryAfter) when a quota is past its limit; the request still
// counted, so a caller that keeps knocking keeps the window full. When the counter fails
// (the database unreachable) Allow lets the request through and returns no quotas: a
// limiter must not turn every request into an error. It logs the first failure and the
// recovery, not every request.
func (l *RateLimiter) Allow(ctx context.Context, c domain.RateCaller) ([]domain.RateQuota, error) {
	policies := l.Policies(c)
	keys := make([]string, len(policies))
	for i, p := range policies {
		keys[i] = p.Key
	}
	now := l.now()
	counts, err := l.counter.CountRequest(ctx, keys, domain.RateWindow, now)
	if err != nil {
		if ctx.Err() == nil && l.failing.CompareAndSwap(false, true) {
			l.log.ErrorContext(ctx, "the API rate limiter cannot count requests; letting them through until it can", "err", err)
		}
		return nil, nil
	}
	if l.failing.CompareAndSwap(true, false) {
		l.log.InfoContext(ctx, "the API rate limiter counts requests again")
	}
	quotas := make([]domain.RateQuota, len(policies))
	for i, p := range policies {
		end := now.UTC().Truncate(p.Window).Add(p.Window)
		quotas[i] = domain.RateQuota{Policy: p, Count: counts[i], Reset: end.Sub(now)}
	}
	return quotas, domain.RateError(quotas)
}
