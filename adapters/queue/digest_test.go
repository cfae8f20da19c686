package queue

import (
	"testing"
	"time"
)

// TestHourly_OneRunInEveryZonesHour: runs fall a minute past each UTC hour, so every
// local hour, in zones offset by whole, half or quarter hours, holds exactly one.
func TestHourly_OneRunInEveryZonesHour(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	var runs []time.Time
	for at := start; len(runs) < 48; {
		at = hourly{}.Next(at)
		runs = append(runs, at)
	}
	for i, r := range runs {
		if r.Minute() != 1 || r.Second() != 0 || (i > 0 && r.Sub(runs[i-1]) != time.Hour) {
			t.Fatalf("run %d at %s", i, r)
		}
	}
	for _, name := range []string{"UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"} {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		days := map[string]int{}
		for _, r := range runs[:47] {
			if l := r.In(zone); l.Hour() == 8 {
				days[l.Format(time.DateOnly)]++
			}
		}
		for d, n := range days {
			if n != 1 {
				t.Errorf("%s: %d runs at 08:xx on %s", name, n, d)
			}
		}
		if len(days) == 0 {
			t.Errorf("%s: no run at 08:xx in two days", name)
		}
	}
}
