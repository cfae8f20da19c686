package app_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// harness is apptest's Tenant (an app with one company, its owner and one connected account
// of the scripted network) with the few helpers only these tests use.
type harness struct{ *apptest.Tenant }

// newHarness builds the harness; with start, River works the jobs.
func newHarness(t *testing.T, cfg app.PublishingConfig, start bool, opts ...apptest.Option) *harness {
	t.Helper()
	opts = append(opts, apptest.Publishing(cfg))
	if start {
		opts = append(opts, apptest.Workers())
	}
	return &harness{apptest.NewTenant(t, opts...)}
}

// newCompany stores another company with one member of role, and returns that member.
func (h *harness) newCompany(name string, role domain.Role) domain.Actor {
	h.T.Helper()
	return h.Company(h.T, role, pgtest.CompanyName(name))
}

// addViewer adds a viewer to the harness company.
func (h *harness) addViewer() domain.Actor {
	h.T.Helper()
	return h.Member(h.T, h.Owner.CompanyID, domain.RoleViewer)
}

var errNetwork = errors.New("read tcp: connection reset by peer")

// errLost is what an adapter answers when the connection broke after its request was sent:
// the platform may have the post (the contract platformtest checks).
var errLost = domain.MaybePublished("The platform did not answer; the post may have been published.", errNetwork)

var _ ports.Platform = (*apptest.Network)(nil)

func quiet() *slog.Logger { return apptest.Quiet() }

var testKeys = apptest.Keys

// newHarnessFor is newHarness with the network pretending to be platform, and posts whose
// media is looked at by probe.
func newHarnessFor(t *testing.T, cfg app.PublishingConfig, start bool, platform domain.Platform, probe ports.MediaProbe) *harness {
	t.Helper()
	return newHarness(t, cfg, start, apptest.NetworkAs(platform), apptest.MediaProbe(probe))
}

// shift sets the clock of the use cases d ahead of the wall clock.
func (h *harness) shift(d time.Duration) {
	h.Clock.Reset()
	h.Clock.Advance(d)
}
