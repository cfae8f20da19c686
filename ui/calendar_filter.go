package ui

import (
	"time"

	"github.com/heraldhq/herald/ports"
)

// postFilterOf is the store's filter for the calendar's range and filter: the account and
// label filters are the store's, scoped to the company like every other.
func postFilterOf(f calendarFilter, start, end time.Time) ports.PostFilter {
	return ports.PostFilter{Status: f.Status, From: start.UTC(), To: end.UTC(), AccountID: f.Account, Label: f.Label}
}
