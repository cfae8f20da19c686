package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Queues keeps each company's posting queue and which posts took a time from it.
type Queues interface {
	// Get returns the company's queue; a company that never saved one has no slots and
	// version 1.
	Get(ctx context.Context, company domain.CompanyID) (domain.Queue, error)
	// Lock is Get plus a lock on the company's queue held until the transaction ends, so
	// two posts added to the queue at once cannot take the same time.
	Lock(ctx context.Context, company domain.CompanyID) (domain.Queue, error)
	// Save writes q's slots and version (the caller bumps it).
	Save(ctx context.Context, q domain.Queue) error
	// Taken returns the times, after since, held by the company's queued scheduled posts
	// other than except, each with the post's accounts.
	Taken(ctx context.Context, company domain.CompanyID, since time.Time, except domain.PostID) ([]domain.QueuedTime, error)
	// MarkQueued records that the post's time came from the queue; writing the post with
	// another time or status (Posts.Update) clears it. CodeNotFound when absent.
	MarkQueued(ctx context.Context, company domain.CompanyID, post domain.PostID) error
	// Queued returns the ids of up to limit of the company's queued scheduled posts due
	// after since, earliest first.
	Queued(ctx context.Context, company domain.CompanyID, since time.Time, limit int) ([]domain.PostID, error)
}
