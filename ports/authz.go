package ports

import (
	"context"

	"github.com/heraldhq/herald/domain"
)

// Authorizer decides what an actor may do. Roles come from the memberships in storage.
type Authorizer interface {
	// Can returns nil when actor may do act on res in actor's company, CodeForbidden otherwise.
	// ResourceTenants is about no company and is allowed to superadmins only.
	Can(ctx context.Context, actor domain.Actor, res domain.Resource, act domain.Action) error
	// Reload re-reads the company's role assignments after a membership change committed,
	// so this instance decides on them at once (others follow through notifications).
	Reload(ctx context.Context, company domain.CompanyID) error
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	// Hash returns an encoded hash of password with its parameters and salt.
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded; a malformed encoded is an error.
	Verify(encoded, password string) (bool, error)
}
