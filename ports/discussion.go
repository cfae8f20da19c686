package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// PostComments keeps posts' discussions. Every method is scoped to one company.
type PostComments interface {
	// Add stores c and sets c.ID.
	Add(ctx context.Context, c *domain.PostComment) error
	// List returns the discussion of the company's post, oldest first (at most limit
	// entries, the newest ones, when limit > 0).
	List(ctx context.Context, company domain.CompanyID, post domain.PostID, limit int) ([]domain.PostComment, error)
	// Count returns how many entries the company's post's discussion has.
	Count(ctx context.Context, company domain.CompanyID, post domain.PostID) (int, error)
}

// ReviewLinks keeps review links by the hash of their token.
type ReviewLinks interface {
	// Create stores l with its token's hash and sets l.ID.
	Create(ctx context.Context, l *domain.ReviewLink, hash []byte) error
	// Get returns the company's link, or CodeNotFound (also another company's).
	Get(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID) (domain.ReviewLink, error)
	// ForPost returns the links to the company's post, newest first.
	ForPost(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]domain.ReviewLink, error)
	// Revoke marks the company's link revoked at now (a revoked link stays revoked) and
	// returns it, or CodeNotFound.
	Revoke(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID, now time.Time) (domain.ReviewLink, error)
	// ByToken returns the link whose token has hash, revoked and expired ones too. It is
	// the one lookup not scoped to a company: the token is the capability. CodeNotFound
	// when no link has it.
	ByToken(ctx context.Context, hash []byte) (domain.ReviewLink, error)
	// Used records that a client answered through the company's link at now.
	Used(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID, now time.Time) error
}
