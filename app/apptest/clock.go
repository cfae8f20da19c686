package apptest

import (
	"sync"
	"time"
)

// Clock is the use cases' clock in tests. It follows the wall clock (River schedules jobs
// by it, so a clock far from it would leave jobs waiting) shifted by Advance, until Set
// stops it at a time; Advance then moves the stopped time. Safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	offset  time.Duration
	stopped time.Time
}

// NewClock returns a clock that follows the wall clock.
func NewClock() *Clock { return &Clock{} }

// Now returns the clock's time; pass the method value where a func() time.Time is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped.IsZero() {
		return c.stopped
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock ahead by d (back, when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped.IsZero() {
		c.stopped = c.stopped.Add(d)
		return
	}
	c.offset += d
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = t
}

// Reset makes the clock follow the wall clock again, unshifted.
func (c *Clock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset, c.stopped = 0, time.Time{}
}
