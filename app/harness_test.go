package app_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// harness is apptest's app with one company, its owner and one connected account of the
// scripted network, under the short names these tests use.
type harness struct {
	a        *apptest.App
	t        *testing.T
	ctx      context.Context
	db       *postgres.DB
	q        *queue.Queue
	authz    *authz.Enforcer
	ring     *secret.KeyRing
	fake     *apptest.Network
	clock    *apptest.Clock
	accounts *app.Accounts
	creds    *app.Credentials
	posts    *app.Posts
	pub      *app.Publishing
	analytic *app.Analytics
	hooks    *app.Webhooks
	owner    domain.Actor
	account  domain.Account
}

// newHarness builds the harness; with start, River works the jobs.
func newHarness(t *testing.T, cfg app.PublishingConfig, start bool, opts ...apptest.Option) *harness {
	t.Helper()
	opts = append(opts, apptest.Publishing(cfg))
	if start {
		opts = append(opts, apptest.Workers())
	}
	a := apptest.New(t, opts...)
	h := &harness{a: a, t: t, ctx: a.Ctx, db: a.DB, q: a.Queue, authz: a.Authz, ring: a.KeyRing, fake: a.Net, clock: a.Clock,
		accounts: a.Accounts, creds: a.Credentials, posts: a.Posts, pub: a.Publishing, analytic: a.Analytics, hooks: a.Webhooks}
	h.owner = a.Company(t, domain.RoleOwner, pgtest.CompanyName("Acme"))
	h.account = a.Connect(t, h.owner)
	return h
}

// newCompany stores another company with one member of role, and returns that member.
func (h *harness) newCompany(name string, role domain.Role) domain.Actor {
	h.t.Helper()
	return h.a.Company(h.t, role, pgtest.CompanyName(name))
}

// addViewer adds a viewer to the harness company.
func (h *harness) addViewer() domain.Actor {
	h.t.Helper()
	return h.a.Member(h.t, h.owner.CompanyID, domain.RoleViewer)
}

func (h *harness) connect(actor domain.Actor) domain.Account {
	h.t.Helper()
	return h.a.Connect(h.t, actor)
}

// connectAs connects a second account, external id external, to the harness company.
func (h *harness) connectAs(external string) domain.Account {
	h.t.Helper()
	return h.a.ConnectAs(h.t, h.owner, external)
}

// draft creates a post on the harness account.
func (h *harness) draft(content string) domain.Post {
	h.t.Helper()
	return h.a.Draft(h.t, h.owner, content, h.account.ID)
}

func (h *harness) get(id domain.PostID) domain.Post {
	h.t.Helper()
	return h.a.Get(h.t, h.owner, id)
}

// claim schedules a post now and runs publish_post by hand.
func (h *harness) claim(content string) (domain.Post, app.TargetJob) {
	h.t.Helper()
	return h.a.Claim(h.t, h.owner, h.account.ID, content)
}

// crashed leaves a claimed post as a worker that died after recording its attempt would.
func (h *harness) crashed(t *testing.T, content string, platformGotIt bool) app.TargetJob {
	t.Helper()
	return h.a.Crashed(t, h.owner, h.account.ID, content, platformGotIt)
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	return h.a.Count(h.t, query, args...)
}

func ref(j app.TargetJob) string { return apptest.Ref(j) }

func waitFor(t *testing.T, what string, d time.Duration, cond func() (bool, error)) {
	t.Helper()
	apptest.WaitFor(t, what, d, cond)
}

var errNetwork = errors.New("read tcp: connection reset by peer")

// errLost is what an adapter answers when the connection broke after its request was sent:
// the platform may have the post (the contract platformtest checks).
var errLost = domain.MaybePublished("The platform did not answer; the post may have been published.", errNetwork)

var _ ports.Platform = (*apptest.Network)(nil)

func quiet() *slog.Logger { return apptest.Quiet() }

var testKeys = apptest.Keys

func jobCount(h *harness, kind, postID string) int {
	h.t.Helper()
	return h.a.JobCount(h.t, kind, domain.PostID(postID))
}

// newHarnessFor is newHarness with the network pretending to be platform, and posts whose
// media is looked at by probe.
func newHarnessFor(t *testing.T, cfg app.PublishingConfig, start bool, platform domain.Platform, probe ports.MediaProbe) *harness {
	t.Helper()
	return newHarness(t, cfg, start, apptest.NetworkAs(platform), apptest.MediaProbe(probe))
}

// shift sets the clock of the use cases d ahead of the wall clock.
func (h *harness) shift(d time.Duration) {
	h.clock.Reset()
	h.clock.Advance(d)
}
