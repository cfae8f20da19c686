package graph

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Counts is one usage header's numbers: percentages of the limit used (call count, total
// CPU time, total time), and, when throttled, the minutes until access returns
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
type Counts struct {
	Type                        string  `json:"type"` // Business Use Case type, such as "pages"
	CallCount                   float64 `json:"call_count"`
	TotalCPUTime                float64 `json:"total_cputime"`
	TotalTime                   float64 `json:"total_time"`
	EstimatedTimeToRegainAccess float64 `json:"estimated_time_to_regain_access"`
}

// Max returns the highest of the three percentages.
func (c Counts) Max() float64 { return max(c.CallCount, c.TotalCPUTime, c.TotalTime) }

// Usage is what an answer's usage headers say: X-App-Usage (Platform limits of the app),
// X-Page-Usage (a Page's limits, from Page tokens) and X-Business-Use-Case-Usage (one list
// per business object id), as documented in
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting/. Meta sends no
// Retry-After header; these are how it says when to come back.
type Usage struct {
	App      *Counts
	Page     *Counts
	Business map[string][]Counts
}

// ParseUsage reads the usage headers of h; headers that are absent or unreadable are left out.
func ParseUsage(h http.Header) Usage {
	var u Usage
	if raw := h.Get("X-App-Usage"); raw != "" {
		var c Counts
		if json.Unmarshal([]byte(raw), &c) == nil {
			u.App = &c
		}
	}
	if raw := h.Get("X-Page-Usage"); raw != "" {
		var c Counts
		if json.Unmarshal([]byte(raw), &c) == nil {
			u.Page = &c
		}
	}
	if raw := h.Get("X-Business-Use-Case-Usage"); raw != "" {
		var b map[string][]Counts
		if json.Unmarshal([]byte(raw), &b) == nil {
			u.Business = b
		}
	}
	return u
}

// Max returns the highest percentage any header reports (0 without headers).
func (u Usage) Max() float64 {
	var m float64
	for _, c := range u.all() {
		m = max(m, c.Max())
	}
	return m
}

// RegainAccess returns the longest estimated_time_to_regain_access any header gives, 0
// when none does.
func (u Usage) RegainAccess() time.Duration {
	var m float64
	for _, c := range u.all() {
		m = max(m, c.EstimatedTimeToRegainAccess)
	}
	return time.Duration(m * float64(time.Minute))
}

func (u Usage) all() []Counts {
	var out []Counts
	if u.App != nil {
		out = append(out, *u.App)
	}
	if u.Page != nil {
		out = append(out, *u.Page)
	}
	for _, list := range u.Business {
		out = append(out, list...)
	}
	return out
}

// Wait returns how long to wait after a throttled answer with headers h: the longest
// estimated_time_to_regain_access of the usage headers; else a Retry-After header (seconds
// or a date; Meta does not document one, but a proxy may send it); else, when a usage header
// shows a limit reached (100% or more), fallback, since Platform limits count over a rolling
// hour; else fallback as well. It is never below one second.
func Wait(h http.Header, now time.Time, fallback time.Duration) time.Duration {
	u := ParseUsage(h)
	if d := u.RegainAccess(); d > 0 {
		return max(d, time.Second)
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return max(t.Sub(now), time.Second)
		}
	}
	return max(fallback, time.Second)
}
