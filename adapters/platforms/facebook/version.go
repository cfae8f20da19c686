package facebook

import (
	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Versioned = (*Adapter)(nil)

// APIVersion returns the configured Graph API version (HERALD_FACEBOOK_API_VERSION) and its
// lifetime from Meta's table of versions
// (https://developers.facebook.com/docs/graph-api/changelog/versions/).
func (a *Adapter) APIVersion() ports.APIVersion { return graph.Lifetime(a.cfg.Version) }
