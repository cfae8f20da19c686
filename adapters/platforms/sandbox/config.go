package sandbox

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Config sets how the sandbox behaves. The zero value of a field means its default where
// New says so.
type Config struct {
	// BaseURL is Herald's public base address (https://herald.example.com); the consent page
	// and post permalinks live under it, and consent redirects may only go back to it.
	BaseURL string
	// Latency is how long each publish takes.
	Latency time.Duration
	// TransientRate and PermanentRate are the fractions of publishes that fail in a way
	// worth retrying, and for good; LostRate the fraction that publish but whose answer is
	// lost, as when a connection breaks after the request was sent. Each is 0..1, and
	// together they are at most 1.
	TransientRate, PermanentRate, LostRate float64
	// Faults, when set, is asked before each publish ("publish") and refresh ("refresh")
	// which fault to give instead of the rates' draw; a zero Fault gives none. Tests drive
	// the sandbox through it (adapters/platforms/platformtest).
	Faults func(op string) Fault
	// TokenTTL is how long an access token is valid; zero means one hour.
	TokenTTL time.Duration
	// Now is the sandbox's clock; nil means time.Now.
	Now func() time.Time
	// After is the sandbox's timer: a publish waits on After(Latency) for its simulated
	// answer time. Nil means a real timer; tests give their clock's, so they never sleep.
	After func(time.Duration) <-chan time.Time
}

const (
	defaultLatency  = 200 * time.Millisecond
	defaultTokenTTL = time.Hour
)

// FaultKind is a failure the sandbox gives on purpose.
type FaultKind string

// The faults the sandbox gives.
const (
	FaultUnavailable FaultKind = "unavailable"  // a 503: nothing was published
	FaultRateLimited FaultKind = "rate_limited" // a 429 with Fault.RetryAfter
	FaultPermanent   FaultKind = "permanent"    // a refusal for good
	FaultLostAnswer  FaultKind = "lost_answer"  // published, and the answer lost
)

// Fault is one failure given on purpose; the zero Fault is none.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration // with FaultRateLimited; zero means one second
}

// ParseConfig reads HERALD_SANDBOX_LATENCY (a Go duration, default 200ms),
// HERALD_SANDBOX_TRANSIENT_RATE, HERALD_SANDBOX_PERMANENT_RATE and HERALD_SANDBOX_LOST_RATE
// (fractions 0..1, default 0, together at most 1) and HERALD_SANDBOX_TOKEN_TTL (a positive duration, default 1h) through
// getenv. It returns every bad value at once, each naming its variable. BaseURL is left for
// the caller to set.
func ParseConfig(getenv func(string) string) (Config, error) {
	cfg := Config{Latency: defaultLatency, TokenTTL: defaultTokenTTL}
	var errs []error
	if v := strings.TrimSpace(getenv("HERALD_SANDBOX_LATENCY")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("HERALD_SANDBOX_LATENCY: %q is not a duration of zero or more, such as 200ms", v))
		} else {
			cfg.Latency = d
		}
	}
	if v := strings.TrimSpace(getenv("HERALD_SANDBOX_TOKEN_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("HERALD_SANDBOX_TOKEN_TTL: %q is not a positive duration, such as 1h", v))
		} else {
			cfg.TokenTTL = d
		}
	}
	transient, err := parseRate(getenv, "HERALD_SANDBOX_TRANSIENT_RATE")
	if err != nil {
		errs = append(errs, err)
	}
	permanent, err := parseRate(getenv, "HERALD_SANDBOX_PERMANENT_RATE")
	if err != nil {
		errs = append(errs, err)
	}
	lost, err := parseRate(getenv, "HERALD_SANDBOX_LOST_RATE")
	if err != nil {
		errs = append(errs, err)
	}
	cfg.TransientRate, cfg.PermanentRate, cfg.LostRate = transient, permanent, lost
	// A small tolerance, so 0.7 and 0.3 add up to 1 despite floating point.
	if transient+permanent+lost > 1+1e-9 {
		errs = append(errs, fmt.Errorf("HERALD_SANDBOX_TRANSIENT_RATE, HERALD_SANDBOX_PERMANENT_RATE and HERALD_SANDBOX_LOST_RATE: %g + %g + %g is more than 1", transient, permanent, lost))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parseRate reads a fraction between 0 and 1 from the variable name; unset is 0.
func parseRate(getenv func(string) string, name string) (float64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("%s: %q is not a fraction between 0 and 1, such as 0.05", name, v)
	}
	return f, nil
}
