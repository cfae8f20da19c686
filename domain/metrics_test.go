package domain_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestMetricsSchedule_DecaysThenStops(t *testing.T) {
	t.Parallel()
	pub := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s := domain.DefaultMetricsSchedule
	for _, tc := range []struct {
		age, want time.Duration // want: the wait until the next collection; -1: none
	}{
		{0, 15 * time.Minute},
		{5 * time.Hour, 15 * time.Minute},
		{6 * time.Hour, time.Hour},
		{47 * time.Hour, time.Hour},
		{3 * 24 * time.Hour, 6 * time.Hour},
		{10 * 24 * time.Hour, 24 * time.Hour},
		{29*24*time.Hour + 23*time.Hour, time.Hour}, // clipped to the end of the schedule
		{30 * 24 * time.Hour, -1},
		{90 * 24 * time.Hour, -1},
	} {
		now := pub.Add(tc.age)
		next := s.Next(pub, now)
		switch {
		case tc.want < 0 && !next.IsZero():
			t.Errorf("age %s: next %s, want none", tc.age, next)
		case tc.want >= 0 && !next.Equal(now.Add(tc.want)):
			t.Errorf("age %s: next in %s, want %s", tc.age, next.Sub(now), tc.want)
		}
	}
}

func TestParseMetricsSchedule(t *testing.T) {
	t.Parallel()
	got, err := domain.ParseMetricsSchedule(" 6h:15m, 48h:1h,7d:6h ,30d:24h")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(domain.DefaultMetricsSchedule) {
		t.Fatalf("got %v, want the default schedule", got)
	}
	for i := range got {
		if got[i] != domain.DefaultMetricsSchedule[i] {
			t.Errorf("step %d: got %+v, want %+v", i, got[i], domain.DefaultMetricsSchedule[i])
		}
	}
	short, err := domain.ParseMetricsSchedule("1h:5m,3d:12h")
	if err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	if next := short.Next(pub, pub.Add(4*24*time.Hour)); !next.IsZero() {
		t.Errorf("a 3-day schedule collects on day 4 at %s", next)
	}
	for _, bad := range []string{"", " , ", "6h", "6h:15s", "1h:2h", "6h:15m,5h:1h", "6h:15m,6h:1h", "xd:1h", "0d:1h", "-1h:1m", "6h:abc"} {
		if s, err := domain.ParseMetricsSchedule(bad); err == nil {
			t.Errorf("%q parsed as %v, want an error", bad, s)
		}
	}
}
