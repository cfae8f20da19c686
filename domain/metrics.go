package domain

import "time"

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
