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
}
