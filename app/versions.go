package app

import (
	"fmt"
	"math"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// APIVersionWarningAhead is how long before a platform API version retires Herald warns
// its operators: in the log at start, with a banner on the admin pages.
const APIVersionWarningAhead = 60 * 24 * time.Hour

// APIVersionStatus is a configured platform's API version as its operators see it.
type APIVersionStatus struct {
	Platform domain.Platform
	ports.APIVersion
	// Left is the time until Retires, negative once it has passed; zero when Retires is.
	Left time.Duration
	// Warn is set when the version retires within APIVersionWarningAhead, has retired, or
	// is one the adapter does not know; Message then says so, for a person.
	Warn    bool
	Message string
}

// DaysLeft returns the whole days until the version retires (negative once retired).
func (s APIVersionStatus) DaysLeft() int { return int(math.Floor(s.Left.Hours() / 24)) }

// APIVersions returns the API version of every configured platform that calls a versioned
// API (ports.Versioned), in display order, judged at the clock's now.
func (r *Platforms) APIVersions() []APIVersionStatus {
	if r == nil {
		return nil
	}
	now := r.now()
	var out []APIVersionStatus
	for _, p := range r.Names() {
		v, ok := r.byName[p].(ports.Versioned)
		if !ok {
			continue
		}
		out = append(out, versionStatus(p, v.APIVersion(), now))
	}
	return out
}

// versionStatus judges one platform's version at now.
func versionStatus(p domain.Platform, v ports.APIVersion, now time.Time) APIVersionStatus {
	s := APIVersionStatus{Platform: p, APIVersion: v}
	if !v.Retires.IsZero() {
		s.Left = v.Retires.Sub(now)
	}
	when := v.Retires.UTC().Format("2 January 2006")
	switch {
	case v.Unknown && v.Retires.IsZero():
		s.Warn = true
		s.Message = fmt.Sprintf("Herald does not know %s's API version %s, so it cannot tell when that version retires. Check %s, and configure a version Herald knows.",
			p.Title(), v.Version, v.Doc)
	case v.Unknown:
		s.Warn = true
		s.Message = fmt.Sprintf("Herald does not know %s's API version %s; it is older than every version Herald knows, which all retired by %s. Configure a current version (see %s).",
			p.Title(), v.Version, when, v.Doc)
	case v.Retires.IsZero():
	case s.Left <= 0:
		s.Warn = true
		s.Message = fmt.Sprintf("%s's API version %s retired on %s: calls to it may fail. Configure a newer version (see %s).", p.Title(), v.Version, when, v.Doc)
	case s.Left <= APIVersionWarningAhead:
		s.Warn = true
		s.Message = fmt.Sprintf("%s's API version %s retires on %s, in %s. Configure a newer version before then (see %s).",
			p.Title(), v.Version, when, days(s.DaysLeft()), v.Doc)
	}
	return s
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
