package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Crash recovery. River rescues a job left running by a dead process only after
// RescueStuckJobsAfter (minutes: it cannot tell a dead worker from a slow one), so after
// kill -9 and a restart, due posts waited about 5 minutes. Herald tells them apart: every
// process holds a session advisory lock, named after its River client id, on a connection
// of its own for as long as it lives. PostgreSQL drops the lock when that process's
// connection ends, so a running job whose worker holds no lock belonged to a dead process.
// The rescuer makes such jobs available again once their owner has been absent on checks
// at least AbsentFor apart (a live process that lost its connection in a database restart
// takes its lock again within a second); the job then finds its target's attempt open and
// asks the platform before anything is sent again.

// presenceClass is the first key of the presence advisory locks ("HRLD").
const presenceClass = 0x48524c44

// clientPrefix starts the River client id of every Herald process: the rescuer touches
// only jobs of such clients.
const clientPrefix = "herald-"

// NewClientID returns a River client id for this process: the prefix, the host and random.
func NewClientID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return -1
		}
		return r
	}, host)
	if len(host) > 40 {
		host = host[:40]
	}
	return clientPrefix + host + "-" + strings.ToLower(rand.Text()[:12])
}

// presenceKey is the second key of the client's presence lock.
func presenceKey(clientID string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(clientID))
	return int32(h.Sum32())
}

// RescueConfig tunes the rescuer; zero fields take the defaults.
type RescueConfig struct {
	Interval  time.Duration // between two checks (default 5 s)
	AbsentFor time.Duration // how long an owner must be seen absent (default 10 s)
}

// rescuer keeps this process's presence and rescues the jobs of absent ones.
type rescuer struct {
	id   string
	db   *sql.DB
	pool *pgxpool.Pool
	cfg  RescueConfig
	log  *slog.Logger

	mu     sync.Mutex
	absent map[string]time.Time // owner -> first seen absent
	// present is closed once the presence lock was first taken.
	present chan struct{}
	once    sync.Once
}

func newRescuer(id string, db *sql.DB, pool *pgxpool.Pool, cfg RescueConfig, log *slog.Logger) *rescuer {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.AbsentFor <= 0 {
		cfg.AbsentFor = 10 * time.Second
	}
	return &rescuer{id: id, db: db, pool: pool, cfg: cfg, log: log, absent: map[string]time.Time{}, present: make(chan struct{})}
}

// hold takes the presence lock and keeps it until ctx ends, taking it again on a new
// connection whenever the old one is lost.
func (r *rescuer) hold(ctx context.Context) {
	for ctx.Err() == nil {
		conn, err := r.pool.Acquire(ctx)
		if err == nil {
			_, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, int32(presenceClass), presenceKey(r.id))
			if err == nil {
				r.once.Do(func() { close(r.present) })
				for err == nil {
					select {
					case <-ctx.Done():
						_ = conn.Conn().Close(context.Background()) // the lock goes with the connection
						conn.Release()
						return
					case <-time.After(r.cfg.Interval):
					}
					err = conn.Ping(ctx)
				}
			}
			// A broken connection is destroyed on release; a lock on a live one would be
			// kept by the pool, so close it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			conn.Release()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// run checks at every interval until ctx ends.
func (r *rescuer) run(ctx context.Context) {
	for {
		if _, err := r.check(ctx, time.Now()); err != nil && ctx.Err() == nil {
			r.log.DebugContext(ctx, "looking for jobs of stopped processes failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.cfg.Interval):
		}
	}
}

// check rescues the running jobs whose owner has been absent for AbsentFor, and returns
// how many it made available again.
func (r *rescuer) check(ctx context.Context, now time.Time) (int, error) {
	rows, err := r.db.QueryContext(ctx, `
		SELECT DISTINCT attempted_by[array_length(attempted_by, 1)] FROM river_job
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] LIKE $1`, clientPrefix+"%")
	if err != nil {
		return 0, fmt.Errorf("queue: rescue: %w", err)
	}
	var owners []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, fmt.Errorf("queue: rescue: %w", err)
		}
		owners = append(owners, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("queue: rescue: %w", err)
	}
	held := map[int32]bool{}
	locks, err := r.db.QueryContext(ctx, `SELECT objid::bigint FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted`, int64(presenceClass))
	if err != nil {
		return 0, fmt.Errorf("queue: rescue: %w", err)
	}
	for locks.Next() {
		var k int64
		if err := locks.Scan(&k); err != nil {
			locks.Close()
			return 0, fmt.Errorf("queue: rescue: %w", err)
		}
		held[int32(uint32(k))] = true
	}
	locks.Close()
	if err := locks.Err(); err != nil {
		return 0, fmt.Errorf("queue: rescue: %w", err)
	}
	r.mu.Lock()
	var gone []string
	seen := map[string]bool{}
	for _, o := range owners {
		seen[o] = true
		if o == r.id || held[presenceKey(o)] {
			delete(r.absent, o)
			continue
		}
		since, ok := r.absent[o]
		if !ok {
			r.absent[o] = now
			continue
		}
		if now.Sub(since) >= r.cfg.AbsentFor {
			gone = append(gone, o)
		}
	}
	for o := range r.absent {
		if !seen[o] {
			delete(r.absent, o)
		}
	}
	r.mu.Unlock()
	if len(gone) == 0 {
		return 0, nil
	}
	res, err := r.db.ExecContext(ctx, `
		UPDATE river_job SET state = 'available', scheduled_at = now(),
		    errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
		        'error', 'rescued by Herald: the process running it (' || attempted_by[array_length(attempted_by, 1)] || ') stopped', 'trace', ''))
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = ANY($1)`, gone)
	if err != nil {
		return 0, fmt.Errorf("queue: rescue: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		r.log.InfoContext(ctx, "made the jobs of stopped processes available again", "jobs", n, "processes", gone)
	}
	return int(n), nil
}
