package queue_test

import (
	"context"
	"errors"
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
	// A pool of 20 connections: the chaos tests pile three times as many jobs on it.
	opts = append(opts, apptest.Publishing(cfg), apptest.Pool(20))
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

var _ ports.Platform = (*apptest.Network)(nil)

func jobCount(h *harness, kind, postID string) int {
	h.t.Helper()
	return h.a.JobCount(h.t, kind, domain.PostID(postID))
}
