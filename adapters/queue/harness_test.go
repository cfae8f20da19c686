package queue_test

import (
	"errors"
	"testing"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/ports"
)

// harness is apptest's Tenant: an app with one company, its owner and one connected
// account of the scripted network.
type harness struct{ *apptest.Tenant }

// newHarness builds the harness; with start, River works the jobs.
func newHarness(t *testing.T, cfg app.PublishingConfig, start bool, opts ...apptest.Option) *harness {
	t.Helper()
	// A pool of 20 connections: the chaos tests pile three times as many jobs on it.
	opts = append(opts, apptest.Publishing(cfg), apptest.Pool(20))
	if start {
		opts = append(opts, apptest.Workers())
	}
	return &harness{apptest.NewTenant(t, opts...)}
}

var errNetwork = errors.New("read tcp: connection reset by peer")

var _ ports.Platform = (*apptest.Network)(nil)
