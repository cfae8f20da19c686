package ports

import (
	"context"
	"time"
)

// RateCounter counts JSON API requests per key in fixed windows, shared by every instance.
type RateCounter interface {
	// CountRequest counts one request under each of keys (distinct) in the window of length
	// window that contains now, in one atomic step, and returns each key's count so far in
	// the order of keys. On failure (the database unreachable) it returns an error and counts
	// nothing.
	CountRequest(ctx context.Context, keys []string, window time.Duration, now time.Time) ([]int, error)
}
