package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// A page's live parts follow the server through server-sent events: the page opens an
// EventSource on an events address (static/app.js), and the server sends a "change" event
// whenever what the page shows differs from what the page was made with; app.js then has
// htmx fetch only a region that holds no form. The event carries nothing but a
// fingerprint, so a stream never shows more than the refresh it triggers.
//
// A stream does not poll. PostgreSQL announces every change of a company's posts at commit
// (migration 000016), one listener per process hands the news to the hub, and the hub
// wakes that company's streams, which then look at what their page shows. A burst of
// changes costs a stream at most one look per streamGap, and a stream looks again every
// LiveRecheck anyway, in case a notification was lost.

// streamMaxAge ends every stream after a while; the browser opens a new one at once, which
// checks the session and the person's access again.
const streamMaxAge = 10 * time.Minute

// streamRetry is how long the browser waits before opening a stream again, in milliseconds.
const streamRetry = 5000

// streamGap is the least time between two looks of one stream: notifications that arrive
// meanwhile are answered by one look at its end.
const streamGap = 250 * time.Millisecond

// streamKeepAlive is how often a quiet stream sends a comment, which keeps proxies from
// closing it.
const streamKeepAlive = 20 * time.Second

// StopStreams ends every open event stream; the server calls it when it starts shutting
// down, because a stream never goes idle by itself.
func (h *Handler) StopStreams() { h.stopOnce.Do(func() { close(h.stopping) }) }

func (h *Handler) liveRecheck() time.Duration {
	if h.LiveRecheck > 0 {
		return h.LiveRecheck
	}
	return 30 * time.Second
}

// stream answers with an event stream that sends "change" whenever look returns a
// fingerprint other than the last one sent (at first: since, or the Last-Event-ID the
// browser sends when it reconnects). look runs once at the start and again only when the
// hub says company's posts changed, or every LiveRecheck. The first look runs before
// anything is written, so a post that does not exist (or is another company's) is an
// ordinary error page. A later error ends the stream: not found after a "change" event
// (the page then learns the post is gone), anything else after logging it.
func (h *Handler) stream(c echo.Context, company domain.CompanyID, since string, look func(context.Context) (string, error)) error {
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		since = id
	}
	// Subscribe before the first look, so a change committed just after it still wakes us.
	wake, unsubscribe := h.hub.subscribe(company)
	defer unsubscribe()
	return h.streamWoken(c, wake, since, look)
}

// streamWoken is stream, woken by wake instead of a company's post changes.
func (h *Handler) streamWoken(c echo.Context, wake <-chan struct{}, since string, look func(context.Context) (string, error)) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), streamMaxAge)
	defer cancel()
	current, err := look(ctx)
	if err != nil {
		return err
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // proxies must pass each event on at once
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", streamRetry)
	w.Flush()
	recheck := time.NewTimer(h.liveRecheck())
	defer recheck.Stop()
	keepAlive := time.NewTicker(streamKeepAlive)
	defer keepAlive.Stop()
	for {
		if current != since {
			fmt.Fprintf(w, "event: change\nid: %s\ndata: %s\n\n", current, current)
			w.Flush()
			since = current
		}
		// Coalesce a burst: whatever arrives during the gap is answered by one look after it.
		gap := time.NewTimer(streamGap)
		select {
		case <-ctx.Done():
			gap.Stop()
			return nil
		case <-h.stopping:
			gap.Stop()
			return nil
		case <-gap.C:
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-h.stopping:
				return nil
			case <-keepAlive.C:
				fmt.Fprint(w, ": still here\n\n")
				w.Flush()
			case <-recheck.C:
				break wait
			case <-wake:
				break wait
			}
		}
		current, err = look(ctx)
		switch {
		case err == nil:
		case domain.CodeOf(err) == domain.CodeNotFound:
			fmt.Fprint(w, "event: change\ndata: gone\n\n")
			w.Flush()
			return nil
		default:
			if ctx.Err() == nil {
				h.Log.Warn("ui: event stream ends", "path", c.Request().URL.Path, "err", err)
			}
			return nil
		}
		recheck.Reset(h.liveRecheck())
	}
}

// postEvents handles GET /posts/:id/events?since=<fingerprint>: the post page's stream.
func (h *Handler) postEvents(c echo.Context) error {
	actor, id := actorOf(c), domain.PostID(c.Param("id"))
	return h.stream(c, actor.CompanyID, c.QueryParam("since"), func(ctx context.Context) (string, error) {
		p, err := h.Posts.Get(ctx, actor, id)
		if err != nil {
			return "", err
		}
		return postFingerprint(p), nil
	})
}

// calendarEvents handles GET /calendar/events?view=&date=&account=&label=&status=&since=:
// the stream of the month, week or agenda the calendar page shows.
func (h *Handler) calendarEvents(c echo.Context) error {
	r := calendarRangeOf(c, h.now())
	actor := actorOf(c)
	return h.stream(c, actor.CompanyID, c.QueryParam("since"), func(ctx context.Context) (string, error) {
		posts, more, atLeast, err := h.calendarPosts(ctx, actor, r.start, r.end, r.filter)
		if err != nil {
			return "", err
		}
		return calendarFingerprint(posts, more, atLeast), nil
	})
}

// postFingerprint changes whenever anything the post page's live regions show changes.
func postFingerprint(p domain.Post) string {
	f := sha256.New()
	writePost(f, p)
	return sum(f)
}

// calendarFingerprint changes whenever a post in the range is added, removed, moved,
// edited or changes status.
func calendarFingerprint(posts []domain.Post, more int, atLeast bool) string {
	f := sha256.New()
	fmt.Fprintf(f, "%d|%t", more, atLeast)
	for _, p := range posts {
		writePost(f, p)
	}
	return sum(f)
}

func writePost(f hash.Hash, p domain.Post) {
	fmt.Fprintf(f, "|%s|%s|%d|%d|%d|%q", p.ID, p.Status(), p.Version(), p.UpdatedAt.UnixNano(), p.ScheduledFor().UnixNano(), p.Reason())
	for _, t := range p.Targets {
		fmt.Fprintf(f, "|%s:%s:%d:%q:%q:%d", t.AccountID, t.Status(), t.Attempts(), t.Reason(), t.ExternalURL(), t.PublishedAt().UnixNano())
		c := t.Comment()
		fmt.Fprintf(f, ":%s:%d:%q", c.Status, c.Attempts, c.Reason)
	}
}

func sum(f hash.Hash) string { return hex.EncodeToString(f.Sum(nil)[:12]) }
