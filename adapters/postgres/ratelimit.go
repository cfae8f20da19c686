package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald/ports"
)

var _ ports.RateCounter = (*DB)(nil)

// CountRequest implements ports.RateCounter with one statement outside any transaction:
// one round trip per request. Keys are locked in sorted order, so two requests counting
// the same token and company cannot deadlock.
func (db *DB) CountRequest(ctx context.Context, keys []string, window time.Duration, now time.Time) ([]int, error) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted) // ON CONFLICT refuses to touch one row twice
	start := now.UTC().Truncate(window)
	rows, err := db.pool.Query(ctx, `
		INSERT INTO api_rate_windows (key, window_start, count)
		SELECT k, $2, 1 FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i) ORDER BY i
		ON CONFLICT (key, window_start) DO UPDATE SET count = api_rate_windows.count + 1
		RETURNING key, count`, sorted, start)
	if err != nil {
		return nil, translate(err, "rate limit")
	}
	defer rows.Close()
	got := make(map[string]int, len(sorted))
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, translate(err, "rate limit")
		}
		got[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "rate limit")
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = got[k]
	}
	return out, nil
}
