package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// PersonTokens keeps the single-use links about people's own accounts (email verification,
// password reset), by the SHA-256 of their secret.
type PersonTokens interface {
	// Create stores t under hash and sets t.ID.
	Create(ctx context.Context, t *domain.PersonToken, hash []byte) error
	// Lock returns the token of purpose whose secret hashes to hash, used or expired ones
	// too, locked until the transaction ends, or CodeNotFound.
	Lock(ctx context.Context, purpose domain.PersonTokenPurpose, hash []byte) (domain.PersonToken, error)
	// UseAll marks every unused token of purpose of the user used at now (the one just
	// taken among them), so no other link of that kind keeps working, and reports how many.
	UseAll(ctx context.Context, user domain.UserID, purpose domain.PersonTokenPurpose, now time.Time) (int, error)
}
