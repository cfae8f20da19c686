package ui

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestCalendar_DaysAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// Berlin leaves summer time on Sunday 25 October 2026: that day has 25 hours.
	start := startOfWeek(time.Date(2026, 10, 22, 15, 0, 0, 0, berlin))
	if want := time.Date(2026, 10, 19, 0, 0, 0, 0, berlin); !start.Equal(want) {
		t.Fatalf("startOfWeek = %s, want %s", start, want)
	}
	ds := days(start, start.AddDate(0, 0, 7))
	if len(ds) != 7 {
		t.Fatalf("%d days in the week, want 7", len(ds))
	}
	for i, d := range ds {
		if d.Hour() != 0 || d.Minute() != 0 || d.Day() != 19+i {
			t.Errorf("day %d = %s, want midnight of the %dth", i, d, 19+i)
		}
	}
	if got := ds[6].AddDate(0, 0, 1).Sub(ds[6]); got != 25*time.Hour {
		t.Errorf("25 October lasts %s, want 25h", got)
	}

	// Both posts are on 25 October in Berlin, one in summer time and one in winter time,
	// though in UTC they are on the 24th and the 25th.
	post := func(at time.Time) domain.Post {
		p := domain.RestorePost(domain.Post{ID: domain.PostID(at.String())}, domain.PostScheduled, "", at, 1)
		return p
	}
	before := time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC) // 00:30 on the 25th, summer time (UTC+2)
	after := time.Date(2026, 10, 25, 22, 30, 0, 0, time.UTC)  // 23:30 on the 25th, winter time (UTC+1)
	byDay := placePosts([]domain.Post{post(after), post(before)}, berlin)
	got := byDay["2026-10-25"]
	if len(got) != 2 || !got[0].At.Equal(before) || !got[1].At.Equal(after) {
		t.Errorf("25 October holds %v, want both posts in time order", got)
	}
	if len(byDay["2026-10-24"]) != 0 || len(byDay["2026-10-26"]) != 0 {
		t.Errorf("posts placed on the UTC days: %v", byDay)
	}
	if got := weekTitle(ds[0], ds[6]); got != "19 – 25 Oct 2026" {
		t.Errorf("weekTitle = %q", got)
	}
	if got := weekTitle(time.Date(2026, 12, 28, 0, 0, 0, 0, berlin), time.Date(2027, 1, 3, 0, 0, 0, 0, berlin)); got != "28 Dec 2026 – 3 Jan 2027" {
		t.Errorf("weekTitle across years = %q", got)
	}
}
