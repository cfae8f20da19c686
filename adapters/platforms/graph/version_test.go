package graph

import (
	"testing"
	"time"
)

func TestLifetime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name              string
		version           string
		released, retires time.Time
		unknown           bool
		doc               string
	}{
		{"EndFromMetasTable", "v25.0", day(2026, time.February, 18), day(2028, time.July, 29), false, VersionsDoc},
		{"RetiredEndFromMetasTable", "v20.0", day(2024, time.May, 21), day(2026, time.September, 24), false, VersionsDoc},
		{"TBDIsTwoYearsAfterTheNextRelease", "v26.0", day(2026, time.July, 29), day(2028, time.November, 4), false, VersioningDoc},
		{"NewestTBDIsTwoYearsAfterItsOwnRelease", "v27.0", day(2026, time.November, 4), day(2028, time.November, 4), false, VersioningDoc},
		{"NewerThanTheTableIsUnknownWithoutEnd", "v99.0", time.Time{}, time.Time{}, true, VersionsDoc},
		{"OlderThanTheTableIsUnknownAndRetired", "v2.12", time.Time{}, day(2024, time.May, 28), true, VersionsDoc},
		{"MalformedIsUnknown", "26", time.Time{}, time.Time{}, true, VersionsDoc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Lifetime(tt.version)
			if got.Version != tt.version || !got.Released.Equal(tt.released) || !got.Retires.Equal(tt.retires) || got.Unknown != tt.unknown || got.Doc != tt.doc {
				t.Errorf("Lifetime(%q) = %+v; want released %s, retires %s, unknown %v, doc %s", tt.version, got, tt.released, tt.retires, tt.unknown, tt.doc)
			}
		})
	}
}

// TestVersions_NewestFirstAndConsistent keeps the table honest when a row is added: newest
// first, each version retiring after it was released and after the one before it retired.
func TestVersions_NewestFirstAndConsistent(t *testing.T) {
	t.Parallel()
	for i, k := range versions {
		if major(k.version) == 0 {
			t.Errorf("row %d: %q is not a version such as v26.0", i, k.version)
		}
		if !k.until.IsZero() && !k.until.After(k.released.AddDate(guaranteed, 0, 0).AddDate(0, 0, -30)) {
			t.Errorf("%s: available until %s, less than about two years after its release %s", k.version, k.until, k.released)
		}
		if i == 0 {
			continue
		}
		prev := versions[i-1]
		if !prev.released.After(k.released) || major(prev.version) <= major(k.version) {
			t.Errorf("%s is listed before %s but is not newer", prev.version, k.version)
		}
		if !prev.until.IsZero() && !k.until.IsZero() && !prev.until.After(k.until) {
			t.Errorf("%s retires %s, not after %s's %s", prev.version, prev.until, k.version, k.until)
		}
	}
}
