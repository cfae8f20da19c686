package app

import (
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Platforms is the registry of the platforms configured on this Herald: looked up by
// name, listed in display order, and their API versions judged. Built once (New) and
// shared by Accounts, Credentials, Publishing, Analytics and the pages.
type Platforms struct {
	byName map[domain.Platform]ports.Platform
	now    func() time.Time
}

// NewPlatforms returns the registry of list; now judges API versions (nil: time.Now).
func NewPlatforms(list []ports.Platform, now func() time.Time) *Platforms {
	if now == nil {
		now = time.Now
	}
	byName := make(map[domain.Platform]ports.Platform, len(list))
	for _, p := range list {
		byName[p.Platform()] = p
	}
	return &Platforms{byName: byName, now: now}
}

// Names returns the platforms that can be connected here, in display order.
func (r *Platforms) Names() []domain.Platform {
	if r == nil {
		return nil
	}
	var out []domain.Platform
	for _, p := range domain.Platforms {
		if _, ok := r.byName[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

// Get returns the adapter of a configured platform; ok is false when it is not configured.
func (r *Platforms) Get(p domain.Platform) (impl ports.Platform, ok bool) {
	if r == nil {
		return nil, false
	}
	impl, ok = r.byName[p]
	return impl, ok
}

// Lookup returns the adapter of the platform named name (a request's path or form value).
// Errors: CodeNotFound (unknown, or not configured here).
func (r *Platforms) Lookup(name string) (ports.Platform, error) {
	p, err := domain.ParsePlatform(name)
	if err != nil {
		return nil, err
	}
	impl, ok := r.Get(p)
	if !ok {
		return nil, domain.Errorf(domain.CodeNotFound, "%s is not set up on this Herald: its client id and secret are not configured.", p.Title())
	}
	return impl, nil
}
