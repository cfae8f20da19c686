package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

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
	l.Handle(PostsChannel, postChanges{changed: changed, missed: missed})
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
