package postgres

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"
	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
)

// PostsChannel is the notification channel on which PostgreSQL announces, at commit, that
// a company's posts or their targets changed; the payload is the company's id. Triggers of
// migration 000016 send it, whoever made the change.
const PostsChannel = "herald_posts"

// ListenPostChanges calls changed with the company of every notification on PostsChannel
// until ctx ends, on one connection taken from pool for good. After every (re)connection
// it calls missed, since changes made while it was not listening were never announced.
// Both are called from the listening goroutine and must not block. Connection failures
// are logged and retried every two seconds; it returns nil when ctx is cancelled.
func ListenPostChanges(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, changed func(domain.CompanyID), missed func()) error {
	return ListenChanges(ctx, pool, log, LiveChanges{Posts: changed, Missed: missed})
}

// LiveChanges are what ListenChanges calls; each is called from the listening goroutine
// and must not block. A nil one is not listened for (Missed: not called).
type LiveChanges struct {
	Posts         func(domain.CompanyID)                // a company's posts changed (PostsChannel)
	Notifications func(domain.CompanyID, domain.UserID) // a person has a new notification (NotificationsChannel)
	Missed        func()                                // after every (re)connection
}

// ListenChanges is ListenPostChanges for every channel the live pages follow, on one
// connection.
func ListenChanges(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, on LiveChanges) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			c, err := pool.Acquire(ctx)
			if err != nil {
				return nil, err
			}
			return c.Hijack(), nil
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() != nil {
				return // shutting down
			}
			log.WarnContext(ctx, "live pages: listener", "err", err)
		},
		ReconnectDelay: 2 * time.Second,
	}
	missed := on.Missed
	if missed == nil {
		missed = func() {}
	}
	if on.Posts != nil {
		l.Handle(PostsChannel, postChanges{changed: on.Posts, missed: missed})
		missed = func() {} // once per (re)connection is enough
	}
	if on.Notifications != nil {
		l.Handle(NotificationsChannel, notificationChanges{changed: on.Notifications, missed: missed})
	}
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type postChanges struct {
	changed func(domain.CompanyID)
	missed  func()
}

func (p postChanges) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	p.changed(domain.CompanyID(n.Payload))
	return nil
}

// HandleBacklog runs on every (re)connection, once LISTEN is in place.
func (p postChanges) HandleBacklog(context.Context, string, *pgx.Conn) error {
	p.missed()
	return nil
}

type notificationChanges struct {
	changed func(domain.CompanyID, domain.UserID)
	missed  func()
}

// HandleNotification takes the payload "<company id>:<user id>" of notifications.Add.
func (p notificationChanges) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	if company, user, ok := strings.Cut(n.Payload, ":"); ok {
		p.changed(domain.CompanyID(company), domain.UserID(user))
	}
	return nil
}

// HandleBacklog runs on every (re)connection, once LISTEN is in place.
func (p notificationChanges) HandleBacklog(context.Context, string, *pgx.Conn) error {
	p.missed()
	return nil
}

// announcedSetting names the transaction-local setting that lists the companies whose post
// changes the transaction's own process announces after commit; the triggers of migration
// 000016 send no notice for them (see announcer).
const announcedSetting = "herald.announced_companies"

// announced collects, within one transaction of InTx, the companies whose posts it changes
// through the posts store. A nil *announced (outside InTx) leaves notices to the triggers.
type announced struct {
	companies []domain.CompanyID
}

// quiet takes over company's notice from the triggers for the rest of the transaction run
// on q. It returns the database's error, translated.
func (a *announced) quiet(ctx context.Context, q sqlx.ExecerContext, company domain.CompanyID) error {
	if a == nil || slices.Contains(a.companies, company) {
		return nil
	}
	a.companies = append(a.companies, company)
	list := make([]string, len(a.companies))
	for i, c := range a.companies {
		list[i] = string(c)
	}
	if _, err := q.ExecContext(ctx, `SELECT set_config($1, $2, true)`, announcedSetting, strings.Join(list, ",")); err != nil {
		a.companies = a.companies[:len(a.companies)-1]
		return translate(err, "post")
	}
	return nil
}

// quietAll is quiet for every company of companies, with one statement at most.
func (a *announced) quietAll(ctx context.Context, q sqlx.ExecerContext, companies []domain.CompanyID) error {
	if a == nil {
		return nil
	}
	n := len(a.companies)
	for _, c := range companies {
		if !slices.Contains(a.companies, c) {
			a.companies = append(a.companies, c)
		}
	}
	if len(a.companies) == n {
		return nil
	}
	list := make([]string, len(a.companies))
	for i, c := range a.companies {
		list[i] = string(c)
	}
	if _, err := q.ExecContext(ctx, `SELECT set_config($1, $2, true)`, announcedSetting, strings.Join(list, ",")); err != nil {
		a.companies = a.companies[:n]
		return translate(err, "post")
	}
	return nil
}

// announceGap is the least time between two sends of the announcer.
const announceGap = 100 * time.Millisecond

// announcer sends the notices of this process's committed post changes on PostsChannel.
// A NOTIFY inside the changing transaction would hold PostgreSQL's notification lock
// through that transaction's commit, WAL flush included, so every notifying commit of the
// cluster would wait for the one before it: on the publishing path that cost about a third
// of the throughput. The announcer instead sends the notices after commit, a burst of them
// in one short transaction at most every announceGap, with synchronous_commit off (a notice
// lost in a crash is covered by the streams' re-check).
type announcer struct {
	pool    *pgxpool.Pool
	mu      sync.Mutex
	pending map[domain.CompanyID]struct{}
	wake    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

func newAnnouncer(pool *pgxpool.Pool) *announcer {
	ctx, stop := context.WithCancel(context.Background())
	a := &announcer{pool: pool, pending: map[domain.CompanyID]struct{}{}, wake: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	go a.run(ctx)
	return a
}

// add queues notices for companies; it never blocks on the database.
func (a *announcer) add(companies []domain.CompanyID) {
	if len(companies) == 0 {
		return
	}
	a.mu.Lock()
	for _, c := range companies {
		a.pending[c] = struct{}{}
	}
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *announcer) run(ctx context.Context) {
	defer close(a.done)
	for {
		select {
		case <-ctx.Done():
			// Send what is left, briefly: the pool closes next.
			last, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			a.flush(last)
			cancel()
			return
		case <-a.wake:
		}
		a.flush(ctx)
		select { // coalesce: what arrives meanwhile goes out in the next send
		case <-ctx.Done():
		case <-time.After(announceGap):
		}
	}
}

// flush sends the pending notices; on failure they stay pending for the next send.
func (a *announcer) flush(ctx context.Context) {
	a.mu.Lock()
	list := make([]string, 0, len(a.pending))
	for c := range a.pending {
		list = append(list, string(c))
	}
	clear(a.pending)
	a.mu.Unlock()
	if len(list) == 0 {
		return
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, c) FROM unnest($2::text[]) AS c`, PostsChannel, list)
		return err
	})
	if err != nil {
		a.mu.Lock()
		for _, c := range list {
			a.pending[domain.CompanyID(c)] = struct{}{}
		}
		a.mu.Unlock()
		if ctx.Err() == nil {
			select { // try again after the gap
			case a.wake <- struct{}{}:
			default:
			}
		}
	}
}

// close sends what is pending and stops.
func (a *announcer) close() {
	a.stop()
	<-a.done
}
