package ui

import (
	"sync"

	"github.com/heraldhq/herald/domain"
)

// hub hands news to the open event streams that follow a key: the company whose posts
// changed (Handler.hub), or the person and company whose notifications changed
// (Handler.bells). Each stream has a wake channel with room for one signal: a send never blocks
// (a stream that has not yet looked has a signal waiting, and one more adds nothing), so
// a slow stream never holds up the listener or the other streams.
type hub[K comparable] struct {
	mu      sync.Mutex
	streams map[K]map[chan struct{}]struct{}
}

// subscribe returns the wake channel of a new stream of company, and the function that
// removes it again (call it when the stream ends).
func (b *hub[K]) subscribe(company K) (<-chan struct{}, func()) {
	wake := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.streams == nil {
		b.streams = map[K]map[chan struct{}]struct{}{}
	}
	if b.streams[company] == nil {
		b.streams[company] = map[chan struct{}]struct{}{}
	}
	b.streams[company][wake] = struct{}{}
	return wake, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.streams[company], wake)
		if len(b.streams[company]) == 0 {
			delete(b.streams, company)
		}
	}
}

// wake signals every stream of company.
func (b *hub[K]) wake(company K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.streams[company] {
		signal(c)
	}
}

// wakeAll signals every stream of every company.
func (b *hub[K]) wakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cs := range b.streams {
		for c := range cs {
			signal(c)
		}
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // a signal is already waiting
	}
}

// PostsChanged tells the open event streams of company that its posts changed, so they
// look again; the PostgreSQL listener calls it for every notification. It never blocks.
func (h *Handler) PostsChanged(company domain.CompanyID) { h.hub.wake(company) }

// RecheckStreams makes every open event stream look again; the PostgreSQL listener calls
// it whenever it (re)connects, since changes made while it was away were never announced.
// It never blocks.
func (h *Handler) RecheckStreams() {
	h.hub.wakeAll()
	h.bells.wakeAll()
}

// bellKey is whose bell a stream follows: one person in one company.
type bellKey struct {
	company domain.CompanyID
	user    domain.UserID
}

// NotificationsChanged tells the open bell streams of the person in company that they
// have a new notification; the PostgreSQL listener calls it for every notification on
// postgres.NotificationsChannel. It never blocks.
func (h *Handler) NotificationsChanged(company domain.CompanyID, user domain.UserID) {
	h.bells.wake(bellKey{company: company, user: user})
}
