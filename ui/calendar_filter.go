package ui

import (
	"slices"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// postFilterOf is the store's filter for the calendar's range and filter.
func postFilterOf(f calendarFilter, start, end time.Time) ports.PostFilter {
	return ports.PostFilter{Status: f.Status, From: start.UTC(), To: end.UTC()}
}

// calendarKeeps reports whether p passes the parts of f the store does not filter.
func calendarKeeps(p domain.Post, f calendarFilter) bool {
	if f.Account != "" && !slices.ContainsFunc(p.Targets, func(t domain.Target) bool { return t.AccountID == f.Account }) {
		return false
	}
	if f.Label != "" && !slices.Contains(postLabels(p), f.Label) {
		return false
	}
	return true
}

// postLabels returns the post's labels.
func postLabels(domain.Post) []string { return nil }
