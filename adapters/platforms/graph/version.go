package graph

// The lifetimes of Meta's Graph API versions, which the Facebook and Instagram adapters
// both call, so Herald can warn before the configured one retires.

import (
	"strconv"
	"time"

	"github.com/heraldhq/herald/ports"
)

// VersionsDoc is Meta's table of Graph API versions, their release dates and the dates until which
// each is available ("Available Graph API Versions").
const VersionsDoc = "https://developers.facebook.com/docs/graph-api/changelog/versions/"

// VersioningDoc states the rule for versions whose end is not yet announced: "Each version is
// guaranteed to operate for at least two years. A version will no longer be usable two
// years after the date that the subsequent version is released."
const VersioningDoc = "https://developers.facebook.com/docs/graph-api/guides/versioning"

// guaranteed is how long Meta keeps a version after the next one is released.
const guaranteed = 2 // years

type known struct {
	version string
	// released is the "Date Introduced"; until the "Available Until" date, zero while
	// Meta's table says TBD.
	released, until time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// versions is Meta's table as of its changelog of 29 October 2026, newest first:
// https://developers.facebook.com/docs/graph-api/changelog/versions/ and
// https://developers.facebook.com/docs/graph-api/changelog ("Available Graph API Versions").
// Add a row when Meta releases a version; fill in until when Meta announces it.
var versions = []known{
	{"v27.0", day(2026, time.November, 4), time.Time{}},
	{"v26.0", day(2026, time.July, 29), time.Time{}},
	{"v25.0", day(2026, time.February, 18), day(2028, time.July, 29)},
	{"v24.0", day(2025, time.October, 8), day(2028, time.February, 18)},
	{"v23.0", day(2025, time.May, 29), day(2027, time.October, 8)},
	{"v22.0", day(2025, time.January, 21), day(2027, time.May, 20)},
	{"v21.0", day(2024, time.October, 2), day(2027, time.January, 21)},
	{"v20.0", day(2024, time.May, 21), day(2026, time.September, 24)},
	{"v19.0", day(2024, time.January, 23), day(2026, time.May, 21)},
	{"v18.0", day(2023, time.September, 12), day(2026, time.January, 26)},
	{"v17.0", day(2023, time.May, 23), day(2025, time.September, 12)},
	{"v16.0", day(2023, time.February, 2), day(2025, time.May, 14)},
	{"v15.0", day(2022, time.September, 15), day(2024, time.November, 20)},
	{"v14.0", day(2022, time.May, 25), day(2024, time.September, 17)},
	{"v13.0", day(2022, time.February, 8), day(2024, time.May, 28)},
}

// Lifetime returns the lifetime of Graph API version v ("v26.0"). Retires is the date
// Meta's table gives; while the table says TBD it is two years after the next version's
// release, or, for the newest version, two years after its own release: the earliest date
// Meta's rule allows, so Herald warns early rather than late. A version missing from the
// table is Unknown: a version older than the table's oldest has retired (Retires is that
// oldest one's end, an upper bound); a newer one has no known end (zero Retires).
func Lifetime(v string) ports.APIVersion {
	for i, k := range versions {
		if k.version != v {
			continue
		}
		out := ports.APIVersion{Version: v, Released: k.released, Retires: k.until, Doc: VersionsDoc}
		if out.Retires.IsZero() {
			out.Doc = VersioningDoc
			if i > 0 {
				out.Retires = versions[i-1].released.AddDate(guaranteed, 0, 0)
			} else {
				out.Retires = k.released.AddDate(guaranteed, 0, 0)
			}
		}
		return out
	}
	out := ports.APIVersion{Version: v, Doc: VersionsDoc, Unknown: true}
	oldest := versions[len(versions)-1]
	if major(v) > 0 && major(v) < major(oldest.version) {
		out.Retires = oldest.until
	}
	return out
}

// major returns the major number of a version such as "v26.0", or 0.
func major(v string) int {
	m := versionPattern.FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
