package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/facebook"
	"github.com/heraldhq/herald/adapters/platforms/instagram"
	"github.com/heraldhq/herald/adapters/platforms/linkedin"
	"github.com/heraldhq/herald/adapters/platforms/tiktok"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestPlatforms_APIVersions(t *testing.T) {
	t.Parallel()

	versions := func(now time.Time, platforms ...ports.Platform) map[domain.Platform]app.APIVersionStatus {
		a := app.NewPlatforms(platforms, func() time.Time { return now })
		out := map[domain.Platform]app.APIVersionStatus{}
		for _, s := range a.APIVersions() {
			out[s.Platform] = s
		}
		return out
	}
	now := time.Date(2026, time.November, 19, 12, 0, 0, 0, time.UTC)

	t.Run("WarnsWithinSixtyDaysWithTheDaysLeft", func(t *testing.T) {
		t.Parallel()
		// 202512 is supported until at least 1 December 2026: 11 days and 12 hours ahead.
		got := versions(now, linkedin.New(linkedin.Config{Version: "202512"}))[domain.LinkedIn]
		if !got.Warn || got.DaysLeft() != 11 || !strings.Contains(got.Message, "in 11 days") || !strings.Contains(got.Message, "learn.microsoft.com") {
			t.Errorf("APIVersions()[linkedin] = %+v; want a warning 11 days ahead citing LinkedIn's policy", got)
		}
	})
	t.Run("SixtyOneDaysAheadIsQuiet", func(t *testing.T) {
		t.Parallel()
		got := versions(time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC), linkedin.New(linkedin.Config{Version: "202512"}))[domain.LinkedIn]
		if got.Warn || got.Message != "" || got.DaysLeft() != 61 {
			t.Errorf("APIVersions()[linkedin] = %+v; want no warning with 61 days left", got)
		}
	})
	t.Run("RetiredVersionWarnsWithNegativeDays", func(t *testing.T) {
		t.Parallel()
		got := versions(now, facebook.New(facebook.Config{Version: "v20.0"}))[domain.Facebook]
		if !got.Warn || got.DaysLeft() >= 0 || !strings.Contains(got.Message, "retired on 24 September 2026") {
			t.Errorf("APIVersions()[facebook] = %+v; want a warning that v20.0 retired", got)
		}
	})
	t.Run("UnknownVersionSaysSo", func(t *testing.T) {
		t.Parallel()
		got := versions(now, instagram.New(instagram.Config{APIVersion: "v99.0"}))[domain.Instagram]
		if !got.Warn || !got.Unknown || !strings.Contains(got.Message, "does not know Instagram's API version v99.0") {
			t.Errorf("APIVersions()[instagram] = %+v; want a warning that the version is unknown", got)
		}
	})
	t.Run("NoRetirementAnnouncedIsQuiet", func(t *testing.T) {
		t.Parallel()
		got, ok := versions(now, tiktok.New(tiktok.Config{}))[domain.TikTok]
		if !ok || got.Warn || !got.Retires.IsZero() || got.Left != 0 {
			t.Errorf("APIVersions()[tiktok] = %+v, %v; want v2 listed without a warning", got, ok)
		}
	})
	t.Run("PlatformsWithoutVersionsAreLeftOut", func(t *testing.T) {
		t.Parallel()
		if got := versions(now, unversioned{linkedin.New(linkedin.Config{Version: "202001"})}); len(got) != 0 {
			t.Errorf("APIVersions() = %+v; want nothing for a platform without ports.Versioned", got)
		}
	})
}

// unversioned hides every method of the platform it holds but ports.Platform's, as a
// platform that calls no versioned API (the sandbox).
type unversioned struct{ platformOnly }

type platformOnly interface{ ports.Platform }
