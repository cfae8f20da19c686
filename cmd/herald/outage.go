package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/domain"
)

// outageRetryAfter is what a request that met a database outage is told to wait.
const outageRetryAfter = 5 * time.Second

// dbHealth notices a database outage from the errors requests and jobs meet, logs it
// once, watches for its end (a ping every second) and logs that once. While it lasts,
// requests answer 503 with Retry-After and the workers' error lines are held back.
type dbHealth struct {
	ping func(context.Context) error
	log  *slog.Logger
	down atomic.Bool
	stop context.Context
	wg   sync.WaitGroup
}

func newDBHealth(stop context.Context, ping func(context.Context) error, log *slog.Logger) *dbHealth {
	return &dbHealth{ping: ping, log: log, stop: stop}
}

// check turns err into a problem a person can act on when it is an outage, and notes the
// outage; other errors pass unchanged.
func (h *dbHealth) check(err error) error {
	if !postgres.Unreachable(err) {
		return err
	}
	h.failed()
	return &domain.Error{Code: domain.CodeUnavailable, RetryAfter: outageRetryAfter, Err: err,
		Message: "Herald cannot reach its database right now. Nothing was changed; try again in a few seconds."}
}

// failed records that the database was unreachable just now.
func (h *dbHealth) failed() {
	if !h.down.CompareAndSwap(false, true) {
		return
	}
	h.log.Error("the database is unreachable; requests answer 503 until it is back")
	start := time.Now()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			select {
			case <-h.stop.Done():
				return
			case <-time.After(time.Second):
			}
			ctx, cancel := context.WithTimeout(h.stop, 2*time.Second)
			err := h.ping(ctx)
			cancel()
			if err == nil {
				h.down.Store(false)
				h.log.Info("the database is reachable again", "outage", time.Since(start).Round(time.Second))
				return
			}
		}
	}()
}

// quiet wraps a log handler so that, during an outage, its warnings and errors (River's
// fetch loop, jobs failing on the database) are dropped: the outage was logged once.
func (h *dbHealth) quiet(next slog.Handler) slog.Handler { return quietHandler{next: next, h: h} }

type quietHandler struct {
	next slog.Handler
	h    *dbHealth
}

func (q quietHandler) Enabled(ctx context.Context, l slog.Level) bool { return q.next.Enabled(ctx, l) }

func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && q.h.down.Load() {
		return nil
	}
	if r.Level >= slog.LevelWarn {
		// A worker may meet the outage before any request does.
		unreachable := false
		r.Attrs(func(a slog.Attr) bool {
			if err, ok := a.Value.Any().(error); ok && postgres.Unreachable(err) {
				unreachable = true
			}
			if a.Value.Kind() == slog.KindString {
				v := a.Value.String()
				unreachable = unreachable || strings.Contains(v, "failed to connect") || strings.Contains(v, "conn closed") ||
					strings.Contains(v, "connection refused") || strings.Contains(v, "unexpected EOF")
			}
			return !unreachable
		})
		if unreachable {
			q.h.failed()
			return nil
		}
	}
	return q.next.Handle(ctx, r)
}

func (q quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{next: q.next.WithAttrs(as), h: q.h}
}

func (q quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{next: q.next.WithGroup(name), h: q.h}
}
