package postgres

import (
	"context"

	"github.com/heraldhq/herald/ports"
)

// RawMetrics answers the analytics sums from post_targets alone, as the reader did before
// the summaries of 000034, so a test can hold the summaries to the same answers.
type RawMetrics struct{ m metrics }

// NewRawMetrics returns RawMetrics on db, and the reader the app uses, on the same pool.
func NewRawMetrics(db *DB) (RawMetrics, ports.MetricsReader) {
	q := db.x
	return RawMetrics{metrics{q: q}}, metrics{q: q}
}

func (r RawMetrics) Daily(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return r.m.rawSummed(ctx, q, `to_char(t.published_at AT TIME ZONE $zone, 'YYYY-MM-DD')`)
}

func (r RawMetrics) ByPlatform(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return r.m.rawSummed(ctx, q, `t.platform`)
}

func (r RawMetrics) ByAccount(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return r.m.rawSummed(ctx, q, `t.account_id::text`)
}

func (r RawMetrics) TopPosts(ctx context.Context, q ports.MetricsQuery, limit int) ([]ports.MetricsRow, error) {
	return r.m.rawTopPosts(ctx, q, limit)
}
