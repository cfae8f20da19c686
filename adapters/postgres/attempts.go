package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/ports"
)

// attempts implements ports.Attempts on q with one row per key and window.
type attempts struct{ q sqlx.ExtContext }

var _ ports.Attempts = attempts{}

// Hit implements ports.Attempts.
func (s attempts) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	start := now.UTC().Truncate(window)
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `
		INSERT INTO login_attempts (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = login_attempts.count + 1
		RETURNING count`, key, start)
	if err != nil {
		return 0, time.Time{}, translate(err, "attempt")
	}
	return n, start.Add(window), nil
}
