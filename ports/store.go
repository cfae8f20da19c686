package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Store runs units of work against Herald's database.
type Store interface {
	// InTx runs fn in one transaction and commits when fn returns nil. Everything done
	// through tx commits or rolls back together; fn's error is returned unchanged.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Read runs fn outside a transaction, for reads that need no consistent snapshot.
	Read(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is an open unit of work, seen through the stores the app uses.
type Tx interface {
	Companies() Companies
	Users() Users
	Memberships() Memberships
	Invitations() Invitations
	Tokens() Tokens
	Attempts() Attempts
	Audit() Audit
	IdempotencyKeys() IdempotencyKeys
	Posts() Posts
	Media() MediaLibrary
	Snippets() Snippets
	Uploads() Uploads
	Accounts() Accounts
	OAuthStates() OAuthStates
	AIUsage() AIUsage
	Metrics() Metrics
	MetricsReader() MetricsReader
	// Jobs enqueues on this transaction; outside a transaction (Read) it enqueues at once.
	Jobs() Jobs
	Webhooks() Webhooks
	PlanUsage() PlanUsage
	Queues() Queues
	Notifications() Notifications
	Emails() Emails
	PersonTokens() PersonTokens
	Passkeys() Passkeys
	// TwoFactor keeps people's second factors and sign-in challenges.
	TwoFactor() TwoFactor
	PostComments() PostComments
	ReviewLinks() ReviewLinks
	// Exports reads a company's or a person's data for their archive; only inside InTx.
	Exports() Exports
}

// Page asks for one page of a list: Limit items after the opaque Cursor ("" for the first).
type Page struct {
	Limit  int
	Cursor string
}

// Companies keeps tenants.
type Companies interface {
	// Create stores c and sets its ID.
	Create(ctx context.Context, c *domain.Company) error
	// Get returns the company, or CodeNotFound.
	Get(ctx context.Context, id domain.CompanyID) (domain.Company, error)
	// Lock is Get plus a row lock held until the transaction ends; membership changes take
	// it so two of them cannot race past the last-owner rule.
	Lock(ctx context.Context, id domain.CompanyID) (domain.Company, error)
	// GetMany returns the companies of ids that exist, by id (an absent one is left out).
	GetMany(ctx context.Context, ids []domain.CompanyID) (map[domain.CompanyID]domain.Company, error)
	// Update writes c's plan, status, status reason and status time, or returns CodeNotFound.
	Update(ctx context.Context, c domain.Company) error
	// Rename sets the company's name and bumps its version, or returns CodeNotFound.
	Rename(ctx context.Context, id domain.CompanyID, name string) error
	// SetSettings replaces the company's settings and bumps its version, or returns CodeNotFound.
	SetSettings(ctx context.Context, id domain.CompanyID, settings map[string]string) error
	// List returns one page of every company with its counts (the monthly ones in month),
	// oldest first, and the cursor of the next page ("" on the last). A malformed cursor is
	// CodeInvalid.
	List(ctx context.Context, p Page, month time.Time) ([]domain.CompanySummary, string, error)
	// Summary returns one company with its counts (the monthly ones in month), or CodeNotFound.
	Summary(ctx context.Context, id domain.CompanyID, month time.Time) (domain.CompanySummary, error)
	// Delete removes the company and, through the foreign keys, every row of it: members,
	// invitations, accounts with their tokens, posts, metrics, AI usage and its audit log.
	// It tells every instance that the company's roles are gone. CodeNotFound when absent.
	Delete(ctx context.Context, id domain.CompanyID) error
}

// Users keeps people and their password hashes.
type Users interface {
	// Create stores u with its password hash and sets u.ID; an email in use is CodeConflict.
	Create(ctx context.Context, u *domain.User, passwordHash string) error
	// Get returns the user, or CodeNotFound.
	Get(ctx context.Context, id domain.UserID) (domain.User, error)
	// ByEmail returns the user with that (normalized) email and their password hash, or CodeNotFound.
	ByEmail(ctx context.Context, email string) (domain.User, string, error)
	// SetSuperadmin grants the superadmin flag, or returns CodeNotFound.
	SetSuperadmin(ctx context.Context, id domain.UserID) error
	// SetTimeZone stores the IANA zone the user's times are shown in, or returns CodeNotFound.
	SetTimeZone(ctx context.Context, id domain.UserID, zone string) error
	// SetEmailVerified records that the user's address was verified at at (zero: it is
	// not, after a change of address), or returns CodeNotFound.
	SetEmailVerified(ctx context.Context, id domain.UserID, at time.Time) error
	// SetPassword replaces the user's password hash, or returns CodeNotFound.
	SetPassword(ctx context.Context, id domain.UserID, passwordHash string) error
	// KnowsAddress reports whether the user signed in before from the client address whose
	// hash is addressHash; an unknown user knows no address.
	KnowsAddress(ctx context.Context, id domain.UserID, addressHash []byte) (bool, error)
	// RememberAddress records that the user signed in from the address whose hash is
	// addressHash at now.
	RememberAddress(ctx context.Context, id domain.UserID, addressHash []byte, now time.Time) error
	// Delete removes the user with their memberships, sessions, API tokens and remembered
	// answers; posts they wrote and audit entries they made stay, without them. It tells
	// every instance that roles changed. CodeNotFound when absent.
	Delete(ctx context.Context, id domain.UserID) error
}

// Memberships keeps who belongs to which company with which role. Every change made
// through it also tells the other Herald instances that the company's roles changed.
type Memberships interface {
	// Add stores m; a user already in the company is CodeConflict.
	Add(ctx context.Context, m domain.Membership) error
	// Get returns the user's membership in company, or CodeNotFound.
	Get(ctx context.Context, company domain.CompanyID, user domain.UserID) (domain.Membership, error)
	// ForUser returns every company the user belongs to, by company name.
	ForUser(ctx context.Context, user domain.UserID) ([]domain.Membership, error)
	// Members returns the company's members, oldest first.
	Members(ctx context.Context, company domain.CompanyID) ([]domain.Member, error)
	// Owners counts the company's owners.
	Owners(ctx context.Context, company domain.CompanyID) (int, error)
	// SetRole changes the member's role, or returns CodeNotFound.
	SetRole(ctx context.Context, company domain.CompanyID, user domain.UserID, role domain.Role) error
	// SetApprover grants or takes away the member's approver permission (bumping the
	// membership's version), or returns CodeNotFound.
	SetApprover(ctx context.Context, company domain.CompanyID, user domain.UserID, approver bool) error
	// Remove deletes the membership, or returns CodeNotFound.
	Remove(ctx context.Context, company domain.CompanyID, user domain.UserID) error
}

// Invitations keeps invitation links by the hash of their token.
type Invitations interface {
	// Create stores inv with its token's hash and sets its ID; inviting an email the
	// company already invited replaces that invitation's role, link and expiry.
	Create(ctx context.Context, inv *domain.Invitation, hash []byte) error
	// List returns the company's invitations not yet accepted or revoked (expired ones
	// too), oldest first.
	List(ctx context.Context, company domain.CompanyID) ([]domain.Invitation, error)
	// Renew gives the company's invitation id a new token hash and expiry, so the old link
	// stops working, and returns it. Errors: CodeNotFound.
	Renew(ctx context.Context, company domain.CompanyID, id domain.InvitationID, hash []byte, expires, now time.Time) (domain.Invitation, error)
	// Delete removes the company's invitation id, or returns CodeNotFound.
	Delete(ctx context.Context, company domain.CompanyID, id domain.InvitationID) error
	// ByToken returns the invitation whose token has hash, with its company's name, while
	// it works at now. It is the one lookup not scoped to a company: the token is the
	// capability. Errors: CodeNotFound (unknown, used or expired).
	ByToken(ctx context.Context, hash []byte, now time.Time) (domain.Invitation, error)
	// Take deletes and returns the company's invitation whose token has hash, while it
	// works at now; of two takers at once exactly one gets it. Errors: CodeNotFound.
	Take(ctx context.Context, company domain.CompanyID, hash []byte, now time.Time) (domain.Invitation, error)
}

// Tokens keeps sessions and personal API tokens by the hash of their secret.
type Tokens interface {
	// Create stores t with the hash of its secret and sets t.ID.
	Create(ctx context.Context, t *domain.Token, hash []byte) error
	// Lookup returns the unexpired token with that hash and its user, or CodeNotFound.
	Lookup(ctx context.Context, hash []byte, now time.Time) (domain.Session, error)
	// Delete removes the user's token id, or returns CodeNotFound.
	Delete(ctx context.Context, user domain.UserID, id domain.TokenID) error
	// List returns the user's unexpired personal tokens, newest first.
	List(ctx context.Context, user domain.UserID, now time.Time) ([]domain.Token, error)
	// DeleteSessions removes every session (login token) of the user but the token except
	// ("" for none) and returns how many went; personal API tokens stay.
	DeleteSessions(ctx context.Context, user domain.UserID, except domain.TokenID) (int, error)
}

// Attempts counts attempts per key in fixed windows, shared by every instance.
type Attempts interface {
	// Hit counts one attempt for key in the window that contains now, and returns the count
	// so far and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error)
}

// Audit keeps the audit log.
type Audit interface {
	// Record appends e. An entry by a person without an IP takes domain.ClientIP(ctx).
	Record(ctx context.Context, e domain.AuditEntry) error
	// RecordMany appends every entry, in order, in one statement, as Record would each.
	RecordMany(ctx context.Context, es []domain.AuditEntry) error
	// List returns one page of entries matching f, newest first, and the next page's
	// cursor ("" on the last). A malformed cursor is CodeInvalid.
	List(ctx context.Context, f domain.AuditFilter, p Page) ([]domain.AuditEntry, string, error)
}

// StoredAnswer is the first answer given to a request made with an Idempotency-Key.
// Status is 0 while that request is still running.
type StoredAnswer struct {
	Fingerprint []byte
	Status      int
	ContentType string
	Body        []byte
}

// IdempotencyKeys remembers answers to requests made with an Idempotency-Key, per user.
type IdempotencyKeys interface {
	// Claim records key for the user as running with fingerprint, unless a claim newer than
	// since exists; it returns claimed true, or the existing claim.
	Claim(ctx context.Context, user domain.UserID, key string, fingerprint []byte, now, since time.Time) (StoredAnswer, bool, error)
	// Complete stores the answer of the claimed request.
	Complete(ctx context.Context, user domain.UserID, key string, a StoredAnswer) error
	// Release forgets the claim, so the request may be tried again (after a server fault).
	Release(ctx context.Context, user domain.UserID, key string) error
}

// PlanUsage counts what a company's plan limits (domain.PlanLimits).
type PlanUsage interface {
	// Lock holds the company's plan-limit checks until the transaction ends, so two
	// concurrent changes cannot both take its last place, and returns the company; it
	// does not block reads or rows that merely reference the company. CodeNotFound when
	// the company does not exist.
	Lock(ctx context.Context, company domain.CompanyID) (domain.Company, error)
	// Of returns the company's usage, the monthly counts in month (the first day, UTC).
	Of(ctx context.Context, company domain.CompanyID, month time.Time) (domain.PlanUsage, error)
	// PostMonth returns the month the post is counted in, and false when it is not counted.
	PostMonth(ctx context.Context, company domain.CompanyID, post domain.PostID) (time.Time, bool, error)
	// CountPost counts the post in month, moving it from any month it was counted in.
	CountPost(ctx context.Context, company domain.CompanyID, post domain.PostID, month, at time.Time) error
	// CountPosts counts each new post in its month (months[i] for posts[i]), in one
	// statement; none of them may be counted yet.
	CountPosts(ctx context.Context, company domain.CompanyID, posts []domain.PostID, months []time.Time, at time.Time) error
	// UncountPost gives the post's place back; nothing happens when it was not counted.
	UncountPost(ctx context.Context, company domain.CompanyID, post domain.PostID) error
}

// ExportWriter receives an archive as it is read: a section, then its rows, each one JSON
// object; then the next section. An error stops the export and is returned by it.
type ExportWriter interface {
	Section(name string) error
	Row(object []byte) error
}

// Exports reads everything Herald holds about one company or one person, section by
// section, without secrets (token hashes, sealed tokens, password hashes). Each works in
// one snapshot, so it must be the first call of its InTx; outside a transaction, or after
// another call, it returns an error.
type Exports interface {
	// Company writes the company's sections to w, only its own rows.
	Company(ctx context.Context, company domain.CompanyID, w ExportWriter) error
	// User writes the person's sections to w: profile, memberships, token metadata and the
	// audit entries they made.
	User(ctx context.Context, user domain.UserID, w ExportWriter) error
}

// Snippets keeps companies' saved snippets.
type Snippets interface {
	// Create stores s and sets its ID; a name the company already uses (in any case) is
	// CodeConflict with a problem for the field name.
	Create(ctx context.Context, s *domain.Snippet) error
	// Get returns the company's snippet, or CodeNotFound (also another company's).
	Get(ctx context.Context, company domain.CompanyID, id domain.SnippetID) (domain.Snippet, error)
	// Lock is Get plus a row lock held until the transaction ends.
	Lock(ctx context.Context, company domain.CompanyID, id domain.SnippetID) (domain.Snippet, error)
	// List returns every snippet of the company, by name.
	List(ctx context.Context, company domain.CompanyID) ([]domain.Snippet, error)
	// Count returns how many snippets the company has.
	Count(ctx context.Context, company domain.CompanyID) (int, error)
	// Update writes s's name, text, version and time, or returns CodeNotFound; a name
	// another snippet of the company uses is CodeConflict as in Create.
	Update(ctx context.Context, s domain.Snippet) error
	// Delete removes the company's snippet, or returns CodeNotFound.
	Delete(ctx context.Context, company domain.CompanyID, id domain.SnippetID) error
}
