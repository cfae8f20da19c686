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
