package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MetricsStep says how often a post's metrics are collected while it is younger than Until.
type MetricsStep struct {
	Until time.Duration // age of the post
	Every time.Duration
}

// MetricsSchedule is when a published post's metrics are collected: often while it is new
// and its numbers move, then less and less, and not at all past the last step.
type MetricsSchedule []MetricsStep

// DefaultMetricsSchedule collects every 15 minutes in the first 6 hours, hourly to the
// second day, every 6 hours to the first week, then daily until 30 days.
var DefaultMetricsSchedule = MetricsSchedule{
	{Until: 6 * time.Hour, Every: 15 * time.Minute},
	{Until: 48 * time.Hour, Every: time.Hour},
	{Until: 7 * 24 * time.Hour, Every: 6 * time.Hour},
	{Until: 30 * 24 * time.Hour, Every: 24 * time.Hour},
}

// Next returns when to collect again a post published at published and collected at now;
// zero once the post is older than the schedule's last step (collection stops).
func (s MetricsSchedule) Next(published, now time.Time) time.Time {
	age := now.Sub(published)
	for _, step := range s {
		if age < step.Until {
			next := now.Add(step.Every)
			if end := published.Add(s[len(s)-1].Until); next.After(end) {
				return end // one last collection at the end of the schedule
			}
			return next
		}
	}
	return time.Time{}
}

// ParseMetricsSchedule reads a schedule written as "until:every" steps separated by
// commas, such as "6h:15m,48h:1h,7d:6h,30d:24h" (the default). Durations take Go's units
// plus d for days. Steps must grow, and every interval must be at least a minute and
// shorter than its step's end, so collection can neither run away nor never start.
func ParseMetricsSchedule(s string) (MetricsSchedule, error) {
	var out MetricsSchedule
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		until, every, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("step %q must be until:every, such as 6h:15m", part)
		}
		u, err := parseDays(until)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", part, err)
		}
		e, err := parseDays(every)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", part, err)
		}
		switch {
		case e < time.Minute:
			return nil, fmt.Errorf("step %q: collect at most once a minute", part)
		case e > u:
			return nil, fmt.Errorf("step %q: the interval is longer than the step", part)
		case len(out) > 0 && u <= out[len(out)-1].Until:
			return nil, fmt.Errorf("step %q: steps must end later and later", part)
		}
		out = append(out, MetricsStep{Until: u, Every: e})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no steps; write until:every pairs such as 6h:15m,30d:24h")
	}
	return out, nil
}

// parseDays is time.ParseDuration that also takes a whole number of days, such as 30d.
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 || d > 3650 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 15m, 6h or 30d", s)
	}
	return d, nil
}
