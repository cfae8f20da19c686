package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// DB is Herald's PostgreSQL store: one pgx pool, seen by database/sql and sqlx.
type DB struct {
	pool *pgxpool.Pool
	sql  *sql.DB
	x    *sqlx.DB
	jobs JobsFunc
	ann  *announcer // sends the post-change notices of committed transactions
}

// JobsFunc returns the job queue bound to tx, or enqueueing at once when tx is nil. The
// wiring hands in the queue adapter's (an insert-only River client, queue.NewInserter);
// the store itself knows nothing of River.
type JobsFunc func(tx *sql.Tx) ports.Jobs

var _ ports.Store = (*DB)(nil)

// Open connects to databaseURL (see Connect) and returns a store without a job queue:
// enqueueing fails (the migrate and admin commands, tests of the store). Herald's server
// uses Connect and New instead, to hand the store its queue.
func Open(ctx context.Context, databaseURL string, maxConns int32) (*DB, error) {
	pool, err := Connect(ctx, databaseURL, maxConns)
	if err != nil {
		return nil, err
	}
	return New(pool, nil), nil
}

// New returns the store over pool, which it then owns (Close closes it); Tx.Jobs enqueues
// through jobs, on the store's transaction. A nil jobs makes enqueueing an error.
func New(pool *pgxpool.Pool, jobs JobsFunc) *DB {
	sqlDB := stdlib.OpenDBFromPool(pool)
	return &DB{pool: pool, sql: sqlDB, x: sqlx.NewDb(sqlDB, "pgx"), jobs: jobs, ann: newAnnouncer(pool)}
}

// Connect opens a pool of at most maxConns connections (0: pgx's default) to databaseURL
// and checks the connection. It returns an error when the URL is malformed or the server
// cannot be reached.
func Connect(ctx context.Context, databaseURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return pool, nil
}

// Close sends the post-change notices still pending and closes the pool.
func (db *DB) Close() {
	db.ann.close()
	_ = db.sql.Close()
	db.pool.Close()
}

// Pool returns the pgx pool, for River and health checks.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// SQL returns the database/sql view of the pool, for River's database/sql driver.
func (db *DB) SQL() *sql.DB { return db.sql }

// InTx implements ports.Store. A failed commit is reported; on error or panic the
// transaction is rolled back.
func (db *DB) InTx(ctx context.Context, fn func(ports.Tx) error) error {
	tx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op

	ann := &announced{}
	if err := fn(txn{q: tx, tx: tx.Tx, jobs: db.jobs, ann: ann}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	db.ann.add(ann.companies)
	return nil
}

// Read implements ports.Store.
func (db *DB) Read(ctx context.Context, fn func(ports.Tx) error) error {
	return fn(txn{q: db.x, jobs: db.jobs})
}

// txn binds every store to q, the pool or an open transaction (then tx is that transaction).
type txn struct {
	q    sqlx.ExtContext
	tx   *sql.Tx
	jobs JobsFunc
	ann  *announced // nil outside InTx
}

func (t txn) Companies() ports.Companies             { return companies{q: t.q} }
func (t txn) Users() ports.Users                     { return users{q: t.q} }
func (t txn) Memberships() ports.Memberships         { return memberships{q: t.q} }
func (t txn) Invitations() ports.Invitations         { return invitations{q: t.q} }
func (t txn) Tokens() ports.Tokens                   { return tokens{q: t.q} }
func (t txn) Attempts() ports.Attempts               { return attempts{q: t.q} }
func (t txn) Audit() ports.Audit                     { return audit{q: t.q} }
func (t txn) IdempotencyKeys() ports.IdempotencyKeys { return idempotencyKeys{q: t.q} }
func (t txn) Posts() ports.Posts                     { return posts{q: t.q, ann: t.ann} }
func (t txn) Media() ports.MediaLibrary              { return media{q: t.q} }
func (t txn) Uploads() ports.Uploads                 { return uploads{q: t.q} }
func (t txn) Snippets() ports.Snippets               { return snippets{q: t.q} }
func (t txn) Accounts() ports.Accounts               { return accounts{q: t.q} }
func (t txn) OAuthStates() ports.OAuthStates         { return oauthStates{q: t.q} }
func (t txn) AIUsage() ports.AIUsage                 { return aiUsage{q: t.q} }
func (t txn) Metrics() ports.Metrics                 { return metrics{q: t.q} }
func (t txn) MetricsReader() ports.MetricsReader     { return metrics{q: t.q} }
func (t txn) Webhooks() ports.Webhooks               { return webhooks{q: t.q} }
func (t txn) PlanUsage() ports.PlanUsage             { return planUsage{q: t.q} }
func (t txn) Queues() ports.Queues                   { return queues{q: t.q} }
func (t txn) Notifications() ports.Notifications     { return notifications{q: t.q} }
func (t txn) Emails() ports.Emails                   { return emails{q: t.q} }
func (t txn) PersonTokens() ports.PersonTokens       { return personTokens{q: t.q} }
func (t txn) Passkeys() ports.Passkeys               { return passkeys{q: t.q} }
func (t txn) TwoFactor() ports.TwoFactor             { return twoFactor{q: t.q} }
func (t txn) PostComments() ports.PostComments       { return postComments{q: t.q, ann: t.ann} }
func (t txn) ReviewLinks() ports.ReviewLinks         { return reviewLinks{q: t.q} }
func (t txn) Exports() ports.Exports                 { return exports{q: t.q, inTx: t.tx != nil} }

// Jobs implements ports.Tx. Without a queue (the migrate and admin commands) enqueueing
// is an error, never silently skipped.
func (t txn) Jobs() ports.Jobs {
	if t.jobs == nil {
		return noJobs{}
	}
	return t.jobs(t.tx)
}

type noJobs struct{}

var errNoQueue = &domain.Error{Code: domain.CodeUnavailable, Message: "Background jobs are not running in this process."}

func (noJobs) PublishPost(context.Context, domain.CompanyID, domain.PostID, int, time.Time) error {
	return errNoQueue
}

func (noJobs) PublishPosts(context.Context, domain.CompanyID, []ports.PostDue) error {
	return errNoQueue
}

func (noJobs) PublishTargets(context.Context, domain.CompanyID, domain.PostID, int, []domain.AccountID) error {
	return errNoQueue
}

func (noJobs) PublishTargetAt(context.Context, domain.CompanyID, domain.PostID, int, domain.AccountID, time.Time) error {
	return errNoQueue
}

func (noJobs) PublishComment(context.Context, domain.CompanyID, domain.PostID, domain.AccountID, int, string, int64) error {
	return errNoQueue
}

func (noJobs) PurgeMedia(context.Context, domain.CompanyID, []string) error { return errNoQueue }

func (noJobs) DeliverWebhooks(context.Context, domain.CompanyID, []domain.WebhookDeliveryID) error {
	return errNoQueue
}
func (noJobs) SendEmail(context.Context, domain.EmailID) error              { return errNoQueue }
func (noJobs) CancelCompany(context.Context, domain.CompanyID) (int, error) { return 0, errNoQueue }

// translate is the only place in Herald that knows PostgreSQL's error codes.
func translate(err error, what string) error {
	var pg *pgconn.PgError
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &domain.Error{Code: domain.CodeNotFound, Message: "That " + what + " does not exist.", Err: err}
	case errors.As(err, &pg) && pg.Code == "23505": // unique_violation
		return &domain.Error{Code: domain.CodeConflict, Message: "That " + what + " already exists.", Err: err}
	case errors.As(err, &pg) && pg.Code == "23503": // foreign_key_violation
		return &domain.Error{Code: domain.CodeNotFound, Message: "Something this " + what + " refers to does not exist.", Err: err}
	case errors.As(err, &pg) && pg.Code == "22P02": // invalid text representation (such as a malformed id)
		return &domain.Error{Code: domain.CodeNotFound, Message: "That " + what + " does not exist.", Err: err}
	case errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05"): // bytes not UTF-8, a NUL (\u0000) in text or JSON
		// The edges refuse such text first; this keeps a path that misses it from a 500.
		return &domain.Error{Code: domain.CodeInvalid, Message: "Text must be valid UTF-8 without NUL characters.", Err: err}
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// oneRow returns CodeNotFound when res changed no row.
func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("postgres: %s: rows affected: %w", what, err)
	}
	if n == 0 {
		return domain.Errorf(domain.CodeNotFound, "That %s does not exist.", what)
	}
	return nil
}

// Unreachable reports whether err means the database could not be reached or went away
// (refused or dropped connections, a server shutting down or starting, a network
// timeout), as opposed to a query that failed: callers answer 503 and try again later.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return strings.HasPrefix(pg.Code, "08") // connection_exception
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "failed to connect")
}
