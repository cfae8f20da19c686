package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// storedPost is one published post on its way into sandbox_posts.
type storedPost struct {
	ID          string          `json:"id"`
	UserID      string          `json:"user_id"`
	Reference   string          `json:"reference"`
	Text        string          `json:"text"`
	MediaURLs   []string        `json:"media_urls"`
	Media       json.RawMessage `json:"media"`
	PublishedAt time.Time       `json:"published_at"`

	done chan error
}

// postWriter stores published posts many at once (a group insert): a publish queues its row
// and waits; a writer takes every row queued when it starts, up to maxGroup, and inserts
// them in one statement. A lone publish starts a writer at once and waits for nothing else;
// a burst of publishes costs a few statements instead of one transaction each, as a real
// network's front end would batch its writes. At most maxWriters writers run.
type postWriter struct {
	mu      sync.Mutex
	queue   []*storedPost
	writers int
}

const (
	maxWriters = 2
	maxGroup   = 500
)

// store inserts p and returns when it is committed, or with the insert's error (the insert
// may then still have committed), or with ctx's error (the row may still be inserted).
func (s *Sandbox) store(ctx context.Context, p *storedPost) error {
	p.ID = uuid.NewString() // chosen here, so one statement can insert many without matching answers to rows
	p.done = make(chan error, 1)
	w := &s.writer
	w.mu.Lock()
	w.queue = append(w.queue, p)
	start := w.writers < maxWriters
	if start {
		w.writers++
	}
	w.mu.Unlock()
	if start {
		go s.write()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write inserts queued groups until the queue is empty.
func (s *Sandbox) write() {
	w := &s.writer
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxGroup)
		if n == 0 {
			w.writers--
			w.mu.Unlock()
			return
		}
		group := make([]*storedPost, n)
		copy(group, w.queue)
		w.queue = w.queue[n:]
		if len(w.queue) == 0 {
			w.queue = nil // let the backing array go
		}
		w.mu.Unlock()
		err := s.insertPosts(group)
		for _, p := range group {
			p.done <- err
		}
	}
}

// insertPosts inserts a group in one statement. The sandbox stands in for a remote network:
// its writes need not wait for Herald's disk (set_config with is_local applies to this
// statement's own transaction).
func (s *Sandbox) insertPosts(group []*storedPost) error {
	doc, err := json.Marshal(group)
	if err != nil {
		return fmt.Errorf("sandbox: encode posts: %w", err)
	}
	// Not the callers' contexts: the group outlives any one of them.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = s.db.ExecContext(ctx, `
		WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
		INSERT INTO sandbox_posts (id, user_id, reference, text, media_urls, media, published_at)
		SELECT p.id, p.user_id, p.reference, p.text, coalesce(p.media_urls, '{}'), coalesce(p.media, '[]'), p.published_at
		FROM relaxed, jsonb_to_recordset($1::jsonb)
		     AS p(id uuid, user_id uuid, reference text, text text, media_urls text[], media jsonb, published_at timestamptz)`, doc)
	if err != nil {
		return fmt.Errorf("sandbox: insert %d posts: %w", len(group), err)
	}
	return nil
}
