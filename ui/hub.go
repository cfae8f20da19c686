package ui

import (
	"sync"

	"github.com/heraldhq/herald/domain"
)

// hub hands the news that a company's posts changed to the open event streams of that
// company. Each stream has a wake channel with room for one signal: a send never blocks
// (a stream that has not yet looked has a signal waiting, and one more adds nothing), so
// a slow stream never holds up the listener or the other streams.
type hub struct {
	mu      sync.Mutex
	streams map[domain.CompanyID]map[chan struct{}]struct{}
}

// subscribe returns the wake channel of a new stream of company, and the function that
// removes it again (call it when the stream ends).
func (b *hub) subscribe(company domain.CompanyID) (<-chan struct{}, func()) {
	wake := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.streams == nil {
		b.streams = map[domain.CompanyID]map[chan struct{}]struct{}{}
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
func (b *hub) wake(company domain.CompanyID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.streams[company] {
		signal(c)
	}
}

// wakeAll signals every stream of every company.
func (b *hub) wakeAll() {
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
func (h *Handler) RecheckStreams() { h.hub.wakeAll() }
