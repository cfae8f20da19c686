package queue

import (
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/ports"
)

// Inserter is an insert-only River client: it has no queues and no workers, so it only
// enqueues (and lists, cancels or retries jobs). It exists before the store, which is
// built with its Jobs, and before the services and the working client (New) that come
// after; it needs neither.
type Inserter struct {
	client *river.Client[*sql.Tx]
}

// NewInserter returns the insert-only client over pool, the store's pool: jobs join the
// store's transactions. It returns an error when River rejects the configuration.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger) (*Inserter, error) {
	client, err := river.NewClient(riverdatabasesql.New(stdlib.OpenDBFromPool(pool)), &river.Config{
		Logger: log,
		// Insert middleware runs in the inserting client: this one.
		Middleware: []rivertype.Middleware{&dueOnTime{queues: []string{QueuePublish}}},
	})
	if err != nil {
		return nil, fmt.Errorf("queue: new insert-only client: %w", err)
	}
	return &Inserter{client: client}, nil
}

// Jobs returns the ports.Jobs that enqueues on tx (at once when tx is nil), for
// postgres.New.
func (i *Inserter) Jobs(tx *sql.Tx) ports.Jobs { return jobs{client: i.client, tx: tx} }
