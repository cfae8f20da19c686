package linkedin

import (
	"time"

	"github.com/heraldhq/herald/ports"
)

var _ ports.Versioned = (*Adapter)(nil)

// versioningDoc is LinkedIn's versioning policy: "Our versioned API releases follow a
// monthly cycle. These API versions are supported and stable for a minimum of one year
// before sunset." The exact sunset dates, once announced, are on
// https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations; a call
// naming a sunset version is refused (426).
const versioningDoc = "https://learn.microsoft.com/en-us/linkedin/marketing/versioning"

// supportedFor is LinkedIn's documented minimum support of a monthly version.
const supportedFor = 1 // year

// APIVersion returns the configured LinkedIn-Version (HERALD_LINKEDIN_VERSION, YYYYMM) and
// its lifetime: released on the first day of its month, supported for at least a year from
// then. Counting from the first of the month puts the retirement at its earliest, so the
// warning comes early rather than late. A value that is not YYYYMM is Unknown.
func (a *Adapter) APIVersion() ports.APIVersion {
	v := a.cfg.Version
	released, err := time.Parse("200601", v)
	if err != nil || !versionPattern.MatchString(v) {
		return ports.APIVersion{Version: v, Doc: versioningDoc, Unknown: true}
	}
	return ports.APIVersion{Version: v, Released: released, Retires: released.AddDate(supportedFor, 0, 0), Doc: versioningDoc}
}
