package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// DueTarget is a published target whose metrics are due.
type DueTarget struct {
	Post        domain.PostID
	Account     domain.AccountID
	ExternalID  string
	PublishedAt time.Time
}

// AccountRef names one company's account.
type AccountRef struct {
	Company domain.CompanyID
	Account domain.AccountID
}

// Metrics keeps the metrics collected for published targets.
type Metrics interface {
	// DueAccounts returns up to limit active accounts, of every company, with targets whose
	// metrics are due at now: the collector's one cross-company read.
	DueAccounts(ctx context.Context, now, since time.Time, limit int) ([]AccountRef, error)
	// Due returns up to limit of the account's published targets due at now, published
	// after since, oldest due first.
	Due(ctx context.Context, company domain.CompanyID, account domain.AccountID, now, since time.Time, limit int) ([]DueTarget, error)
	// Record stores a snapshot of the target's metrics taken at at, keeps them as its latest,
	// and sets when to collect next (zero: never again).
	Record(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, at time.Time, m domain.Metrics, next time.Time) error
	// Postpone sets when to collect the target next without a snapshot (its collection failed).
	Postpone(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, next time.Time) error
	// Unsupported stops collecting the target's metrics for good, keeping note (for a
	// person) of why: its platform does not share them with apps.
	Unsupported(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, note string) error
}

// MetricsRow is metrics summed over a group: a day, a platform, an account or a post.
type MetricsRow struct {
	Key string // the day (YYYY-MM-DD), platform, account id or post id
	domain.Metrics
}

// MetricsQuery selects published targets: the company's, published in [From, To), on
// Platform when not empty; days are counted in Zone.
type MetricsQuery struct {
	Company  domain.CompanyID
	From, To time.Time
	Platform domain.Platform
	Zone     string // IANA name
}

// TargetMetrics is one target's latest metrics.
type TargetMetrics struct {
	Account     domain.AccountID
	Platform    domain.Platform
	CollectedAt time.Time // zero: never collected
	Note        string    // why the platform's numbers are not collected; "" when they are
	domain.Metrics
}

// HourMetrics sums the latest metrics of the posts published at one hour of one weekday.
type HourMetrics struct {
	Weekday int // 1 = Monday … 7 = Sunday
	Hour    int // 0–23
	Posts   int // how many published targets the sums rest on
	domain.Metrics
}

// MetricsReader reads metrics back, summed the ways the analytics pages show them.
type MetricsReader interface {
	// Daily sums the latest metrics of the targets published each day.
	Daily(ctx context.Context, q MetricsQuery) ([]MetricsRow, error)
	// ByPlatform, ByAccount and TopPosts sum them per platform, per account, and per post
	// (the limit posts with the most impressions, then likes).
	ByPlatform(ctx context.Context, q MetricsQuery) ([]MetricsRow, error)
	ByAccount(ctx context.Context, q MetricsQuery) ([]MetricsRow, error)
	TopPosts(ctx context.Context, q MetricsQuery, limit int) ([]MetricsRow, error)
	// Post returns the latest metrics of each of the company's post's targets, or
	// CodeNotFound for a post the company does not have.
	Post(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]TargetMetrics, error)
	// Series returns the post's snapshots summed over its targets per collection time, oldest
	// first (Key is the time in RFC 3339).
	Series(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]MetricsRow, error)
	// Published counts the posts with at least one target published in the query's range.
	Published(ctx context.Context, q MetricsQuery) (int, error)
	// ByHour sums the latest metrics of the account's published targets that have metrics,
	// per weekday and hour of publication in zone (an IANA name), by weekday then hour.
	ByHour(ctx context.Context, company domain.CompanyID, account domain.AccountID, zone string) ([]HourMetrics, error)
}
