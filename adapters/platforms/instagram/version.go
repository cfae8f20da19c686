package instagram

import (
	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Versioned = (*Adapter)(nil)

// APIVersion returns the Graph API version the adapter calls and its lifetime from Meta's
// table of versions (https://developers.facebook.com/docs/graph-api/changelog/versions/):
// Instagram's API through Facebook Login is a part of the Graph API and shares its versions.
func (a *Adapter) APIVersion() ports.APIVersion { return graph.Lifetime(a.cfg.APIVersion) }
