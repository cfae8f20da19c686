package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Uploads keeps the records of resumable uploads in progress (the bytes wait on disk,
// where app.Media locks them while a part is written).
// Every method but Expired is scoped to one company.
type Uploads interface {
	// Create stores u and sets u.ID.
	Create(ctx context.Context, u *domain.Upload) error
	// Get returns the upload, or CodeNotFound (also for a malformed id).
	Get(ctx context.Context, company domain.CompanyID, id domain.UploadID) (domain.Upload, error)
	// Delete removes the upload, or returns CodeNotFound.
	Delete(ctx context.Context, company domain.CompanyID, id domain.UploadID) error
	// DeleteExpired removes up to limit uploads of every company that expired at or
	// before now, and returns them.
	DeleteExpired(ctx context.Context, now time.Time, limit int) ([]domain.Upload, error)
}
