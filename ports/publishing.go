package ports

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/heraldhq/herald/domain"
)

// PostFilter narrows a list of posts; zero fields do not filter.
type PostFilter struct {
	Status    domain.PostStatus
	Platform  domain.Platform
	From, To  time.Time        // the post's time (scheduled, else created) is in [From, To)
	Label     string           // carries this label, regardless of case
	AccountID domain.AccountID // goes to this account
}

// LabelCount is one of a company's labels and how many posts carry it.
type LabelCount struct {
	Label string `db:"label"`
	Posts int    `db:"posts"`
}

// Posts keeps posts and their targets. Every method is scoped to one company: another
// company's post is reported as domain.CodeNotFound, never returned or changed.
type Posts interface {
	// Create stores a new post with its targets and sets p.ID.
	Create(ctx context.Context, p *domain.Post) error
	// CreateMany stores new posts with their targets in a few statements, whatever their
	// number, and sets each one's ID. A post naming another company's account stores
	// nothing (CodeNotFound), so callers check accounts first.
	CreateMany(ctx context.Context, ps []*domain.Post) error
	// Get returns the post with its targets, or CodeNotFound.
	Get(ctx context.Context, company domain.CompanyID, id domain.PostID) (domain.Post, error)
	// Lock is Get plus a row lock on the post held until the transaction ends.
	Lock(ctx context.Context, company domain.CompanyID, id domain.PostID) (domain.Post, error)
	// Update writes every field of p and replaces its targets, or returns CodeNotFound.
	Update(ctx context.Context, p *domain.Post) error
	// SetStatus writes p's status, reason and update time only.
	SetStatus(ctx context.Context, p domain.Post) error
	// SaveTarget writes the state of one of the post's targets, or returns CodeNotFound.
	SaveTarget(ctx context.Context, company domain.CompanyID, post domain.PostID, t domain.Target) error
	// Delete removes the post and its targets, or returns CodeNotFound.
	Delete(ctx context.Context, company domain.CompanyID, id domain.PostID) error
	// List returns one page of the company's posts matching f, newest first, and the
	// cursor of the next page ("" on the last). A malformed cursor is CodeInvalid.
	List(ctx context.Context, company domain.CompanyID, f PostFilter, p Page) ([]domain.Post, string, error)
	// Stalled returns up to limit posts of every company that should have moved on: still
	// scheduled although due before dueBefore, publishing without a change since
	// quietSince, or publishing although every target is final (a status that disagrees
	// with its targets). It is the one cross-company read of posts, for the sweeper.
	Stalled(ctx context.Context, dueBefore, quietSince time.Time, limit int) ([]domain.Post, error)
	// Unfinished returns the ids of the company's scheduled or publishing posts with a
	// target on account that is not final.
	Unfinished(ctx context.Context, company domain.CompanyID, account domain.AccountID) ([]domain.PostID, error)
	// UnfinishedPerAccount counts, per account of the company, the posts Unfinished would
	// return for it; an account with none is absent from the map.
	UnfinishedPerAccount(ctx context.Context, company domain.CompanyID) (map[domain.AccountID]int, error)
	// FailedOn returns the ids of up to limit of the company's posts that failed on account
	// (failed or partially published, with that account's target failed), by their time.
	FailedOn(ctx context.Context, company domain.CompanyID, account domain.AccountID, limit int) ([]domain.PostID, error)
	// FailedPerAccount counts, per account of the company, the posts FailedOn would return
	// for it; an account with none is absent from the map.
	FailedPerAccount(ctx context.Context, company domain.CompanyID) (map[domain.AccountID]int, error)
	// Upcoming returns up to limit of the company's scheduled posts due at or after from,
	// soonest first.
	Upcoming(ctx context.Context, company domain.CompanyID, from time.Time, limit int) ([]domain.Post, error)
	// NeedingAttention returns up to limit of the company's posts a person must look at:
	// failed or partially published, or with a target left unknown; the latest first.
	NeedingAttention(ctx context.Context, company domain.CompanyID, limit int) ([]domain.Post, error)
	// Labels returns the company's labels (one spelling of each, regardless of case), by
	// name, with how many posts carry each.
	Labels(ctx context.Context, company domain.CompanyID) ([]LabelCount, error)
	// LockMany locks the posts named by keys (each scoped to its own company) until the
	// transaction ends, in a fixed order so two of them never deadlock, and returns them
	// with their targets read after the lock (see Lock). With skipLocked, a post another
	// transaction holds is not waited for: its key is returned in busy instead. A key of
	// no post (deleted, or another company's) is in neither.
	LockMany(ctx context.Context, keys []PostKey, skipLocked bool) (locked []domain.Post, busy []PostKey, err error)
	// SaveTargets writes the state of many targets, of posts of any companies, in one
	// statement, as SaveTarget does one. A target that does not exist is CodeNotFound.
	SaveTargets(ctx context.Context, targets []PostTarget) error
	// SetStatuses writes the status, reason and update time of many posts in one
	// statement, as SetStatus does one's.
	SetStatuses(ctx context.Context, posts []domain.Post) error
}

// PostKey names one post of one company.
type PostKey struct {
	Company domain.CompanyID
	Post    domain.PostID
}

// PostTarget is one target of one post of one company, for Posts.SaveTargets.
type PostTarget struct {
	Company domain.CompanyID
	Post    domain.PostID
	Target  domain.Target
}

// Sealed are an account's tokens, encrypted by a TokenCipher.
type Sealed struct {
	Access  []byte
	Refresh []byte // empty when the platform gave none
}

// RefreshState is how an account's token refresh stands. A refresher takes the lease (no
// other process calls the platform for the account until LeaseUntil) and records its
// intent (StartedAt) in one committed step before calling the platform, then records the
// result and clears both. An intent found by the next refresher means an earlier refresh
// ended without its result stored: the platform may have rotated the refresh token.
type RefreshState struct {
	LeaseUntil time.Time
	StartedAt  time.Time
	LostAt     time.Time // see domain.Account.TokenLostAt
}

// SealedAccount is one account's sealed tokens with what their additional data is made of,
// for re-encryption under a new key.
type SealedAccount struct {
	Account domain.Account
	Sealed  Sealed
}

// Accounts keeps connected social accounts and their encrypted tokens, per company.
type Accounts interface {
	// Connect stores the account, or updates the company's account with the same platform
	// and external id (reconnecting never duplicates), and sets a.ID and a.ConnectedAt. The
	// account becomes active. An empty sealed refresh token keeps the stored one.
	Connect(ctx context.Context, a *domain.Account, s Sealed) error
	// Get returns the account, or CodeNotFound.
	Get(ctx context.Context, company domain.CompanyID, id domain.AccountID) (domain.Account, error)
	// List returns the company's accounts that are not disconnected, by platform and name.
	List(ctx context.Context, company domain.CompanyID) ([]domain.Account, error)
	// Credentials returns the account and its sealed tokens; with lock, the row stays locked
	// until the transaction ends (one refresher per account). CodeNotFound when absent.
	Credentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, lock bool) (domain.Account, Sealed, error)
	// RefreshState returns the account's refresh lease and intent (read it on a locked row).
	RefreshState(ctx context.Context, company domain.CompanyID, id domain.AccountID) (RefreshState, error)
	// SetRefreshState replaces the account's refresh lease and intent, and its
	// domain.Account.TokenLostAt with st.LostAt.
	SetRefreshState(ctx context.Context, company domain.CompanyID, id domain.AccountID, st RefreshState) error
	// SaveCredentials replaces the sealed tokens and their expiry.
	SaveCredentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, s Sealed, expires time.Time) error
	// Erase deletes the account's tokens (a disconnected account keeps no secret).
	Erase(ctx context.Context, company domain.CompanyID, id domain.AccountID) error
	// SetStatus changes the account's status and its reason, or returns CodeNotFound.
	SetStatus(ctx context.Context, company domain.CompanyID, id domain.AccountID, status domain.AccountStatus, reason string) error
	// RecordSuccess sets the account's last success to at, unless the one recorded is less
	// than domain.SuccessResolution older (one write per account and minute at most).
	RecordSuccess(ctx context.Context, company domain.CompanyID, id domain.AccountID, at time.Time) error
	// ExpiringUnwarned returns up to limit active accounts of every company, soonest first,
	// whose token expires before before with no refresh token stored, and whose current
	// expiry was not yet marked warned: the expiry warner's one cross-company read.
	ExpiringUnwarned(ctx context.Context, before time.Time, limit int) ([]domain.Account, error)
	// MarkExpiryWarned records that the account's token expiring at expiry was announced. It
	// returns false, changing nothing, when the stored expiry is another (the account was
	// reconnected meanwhile) or that expiry was already marked.
	MarkExpiryWarned(ctx context.Context, company domain.CompanyID, id domain.AccountID, expiry time.Time) (bool, error)
	// Expiring returns up to limit active accounts of every company whose token expires
	// before before, soonest first: the token renewer's one cross-company read.
	Expiring(ctx context.Context, before time.Time, limit int) ([]domain.Account, error)
	// SealedAfter returns up to limit accounts of every company with ids after after, by id,
	// for re-encryption. It is the one cross-company read, for the operator's key rotation.
	SealedAfter(ctx context.Context, after domain.AccountID, limit int) ([]SealedAccount, error)
}

// OAuthState is a connect flow waiting for the platform's redirect. It is kept server-side
// under the hash of its state parameter, taken once, and expires.
type OAuthState struct {
	Hash      []byte
	CompanyID domain.CompanyID
	UserID    domain.UserID
	Platform  domain.Platform
	Verifier  []byte // the PKCE verifier, sealed
	ReturnTo  string // the web app's path to go back to
	ExpiresAt time.Time
}

// OAuthStates keeps connect flows in progress.
type OAuthStates interface {
	// Save stores s.
	Save(ctx context.Context, s OAuthState) error
	// Take deletes and returns the unexpired state with that hash, or CodeNotFound.
	Take(ctx context.Context, hash []byte, now time.Time) (OAuthState, error)
}

// PostDue is a post's version to publish at At (see Jobs.PublishPosts).
type PostDue struct {
	Post    domain.PostID
	Version int
	At      time.Time
}

// Jobs enqueues background work on the caller's transaction: a job exists if and only
// if that transaction commits.
type Jobs interface {
	// PublishPost enqueues publishing version v of the post at at.
	PublishPost(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, at time.Time) error
	// PublishPosts enqueues, in one insert, publishing each post's version at its time, as
	// PublishPost does for one.
	PublishPosts(ctx context.Context, company domain.CompanyID, posts []PostDue) error
	// PurgeMedia enqueues deleting the company's stored media bytes under keys, or all of
	// them when keys is empty (the company is gone), retried until storage answers.
	PurgeMedia(ctx context.Context, company domain.CompanyID, keys []string) error
	// PublishTargets enqueues publishing version v of the post to each account, now.
	PublishTargets(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, accounts []domain.AccountID) error
	// PublishTargetAt enqueues publishing version v of the post to account at at (a
	// transient failure's retry time).
	PublishTargetAt(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, account domain.AccountID, at time.Time) error
	// PublishComment enqueues sending the first comment of the post's target on account
	// under the platform's post parent, now (v is the post's version); round tells apart the
	// sends a person asks for again (0 the first time).
	PublishComment(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, v int, parent string, round int64) error
	// DeliverWebhooks enqueues an attempt of each delivery now. A delivery whose job waits
	// for its next attempt has that job made due now instead of a second one.
	DeliverWebhooks(ctx context.Context, company domain.CompanyID, deliveries []domain.WebhookDeliveryID) error
	// SendEmail enqueues sending the outbox's email id now.
	SendEmail(ctx context.Context, id domain.EmailID) error
	// CancelCompany cancels every job of the company that has not finished (waiting,
	// scheduled, retrying or running: a running one is told to stop), so nothing runs for
	// a deleted company, and returns how many it cancelled. Every job about one company
	// carries its id in the args' company_id.
	CancelCompany(ctx context.Context, company domain.CompanyID) (int, error)
}

// TokenCipher encrypts secrets at rest (AES-256-GCM under a key ring). aad binds a
// ciphertext to its row: opened with other aad, it fails.
type TokenCipher interface {
	// Seal encrypts plaintext under the active key.
	Seal(plaintext, aad []byte) ([]byte, error)
	// Open decrypts a ciphertext sealed under any key of the ring; a wrong key, aad or a
	// damaged ciphertext is an error.
	Open(ciphertext, aad []byte) ([]byte, error)
	// Stale reports whether ciphertext was sealed under a key other than the active one.
	Stale(ciphertext []byte) bool
}

// Publication is what a platform is asked to publish for one target.
type Publication struct {
	// Reference is Herald's name of this target (post and account ids). Platforms that
	// keep a client reference store it; reconciliation looks for it.
	Reference string
	Text      string
	// Media are the post's media for this target, in order: library files (Open set) and
	// addresses typed by a person (media_urls: Open nil, facts unknown unless probed).
	Media []PublicationMedia
}

// PublicationMedia is one image or video of a publication. Platforms that pull media from
// an address use URL; platforms that take the bytes stream them from Open (never reading a
// whole video into memory), or download URL when Open is nil.
type PublicationMedia struct {
	Kind     domain.MediaKind
	MIMEType string // "" when unknown
	Size     int64  // bytes; 0 when unknown
	Width    int    // pixels; 0 when unknown
	Height   int
	Duration time.Duration // videos; 0 when unknown
	Name     string        // a file name with the type's extension
	Alt      string        // alt text for platforms that take it; may be empty
	// URL is where anyone can fetch the bytes: the address the person gave, or a signed
	// address of Herald's (or of the bucket) valid for domain.MediaURLTTL.
	URL string
	// Open streams the stored bytes; nil for media given by address.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Published is the platform's answer to a successful publish.
type Published struct {
	ExternalID string
	URL        string
	At         time.Time
}

// ErrLookupUnsupported is what Platform.Lookup returns when the platform cannot tell
// whether a post exists.
var ErrLookupUnsupported = errors.New("platform cannot look up posts")

// ErrMetricsUnsupported is what Platform.Metrics returns when the platform does not share
// this kind of post's numbers with apps (LinkedIn's personal posts, for one); collection
// stops for the post, and the pages say why.
var ErrMetricsUnsupported = errors.New("platform does not share this post's metrics")

// Platform connects accounts of one social network and publishes to them. Its errors are
// classified with domain codes: CodeRateLimited (with RetryAfter) and CodeUnavailable are
// worth retrying, as is any unclassified error (network, timeout); CodeUnauthenticated
// means the token is expired or revoked; CodeInvalid, CodeForbidden and CodeConflict
// (duplicate content) are permanent. A publish that may have reached the platform without
// a clear answer wraps domain.ErrMaybePublished (see domain.MaybePublished), and only such
// a publish does: every other error promises that the platform does not have the post.
// Messages are written for a person and never carry a token or an app secret. The
// conformance suite in adapters/platforms/platformtest checks all of this.
type Platform interface {
	// Platform names the network.
	Platform() domain.Platform
	// AuthCodeURL returns the consent page's address for state, with the PKCE challenge of
	// verifier where the platform takes one.
	AuthCodeURL(state, verifier, redirectURL string) string
	// Exchange trades the code from the consent redirect for the accounts it gives access to.
	Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error)
	// Refresh returns new credentials for c. CodeUnauthenticated means the grant is gone
	// and a person must reconnect; anything else may be retried.
	Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error)
	// Publish publishes p on the account.
	Publish(ctx context.Context, c domain.Credentials, account domain.Account, p Publication) (Published, error)
	// Lookup looks for p among the account's posts, after an attempt whose result was lost.
	// It returns found false when the platform has no such post, ErrLookupUnsupported when
	// the platform cannot tell.
	Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p Publication) (Published, bool, error)
	// Metrics returns the published post's numbers now, or ErrMetricsUnsupported.
	Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error)
}

// Comment is a first comment to publish under a post of the account.
type Comment struct {
	// Reference is Herald's name of the target (post and account ids), as in Publication.
	Reference string
	// Parent is the platform's id of the published post (Published.ExternalID).
	Parent string
	Text   string
}

// Commenter is implemented by a Platform that can publish a first comment under a post,
// by the account that published it. Its errors follow Platform's contract: CodeRateLimited
// (with RetryAfter), CodeUnavailable and unclassified errors are worth retrying;
// CodeUnauthenticated means the token is expired or revoked; CodeInvalid, CodeForbidden,
// CodeNotFound (the post is gone) and CodeConflict are permanent. A comment that may have
// reached the platform without a clear answer wraps domain.ErrMaybePublished, and only
// such a comment does: every other error promises the platform does not have it. Messages
// never carry a token or an app secret.
type Commenter interface {
	// Comment publishes c under its parent post; Published.ExternalID is the comment's id.
	Comment(ctx context.Context, creds domain.Credentials, account domain.Account, c Comment) (Published, error)
	// LookupComment looks for c among the parent post's comments by the account, after an
	// attempt whose result was lost. It returns found false when the platform has no such
	// comment, ErrLookupUnsupported when the platform cannot tell.
	LookupComment(ctx context.Context, creds domain.Credentials, account domain.Account, c Comment) (Published, bool, error)
}

// APIVersion is the version of a platform's API an adapter calls, with its documented
// lifetime. A zero Released means the platform does not say when it came out; a zero
// Retires means no retirement is announced. Doc is the page that documents the lifetime.
type APIVersion struct {
	Version           string
	Released, Retires time.Time
	Doc               string
	// Unknown is set when the adapter does not know this version (a configured version
	// newer or older than its table): Retires is then the adapter's best estimate, or zero.
	Unknown bool
}

// Versioned is implemented by a Platform that calls a versioned API, so Herald can warn
// before the configured version is retired (LinkedIn answers every call naming a retired
// version with 426 NONEXISTENT_VERSION).
type Versioned interface {
	// APIVersion returns the configured version and its lifetime.
	APIVersion() APIVersion
}

// MediaProbe looks at a media URL the way a platform will fetch it.
type MediaProbe interface {
	// Probe returns what the server at url says of the file (type, size) and, for images,
	// their size in pixels. CodeInvalid, with a sentence for a person, when the URL cannot
	// be fetched (not found, refused, on a private network, timed out).
	Probe(ctx context.Context, url string) (domain.MediaInfo, error)
}
