package apptest

import (
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// Tenant is an App with one company as most use-case tests need it: its owner and one
// connected account of Net. Its methods are App's of the same name bound to the test T,
// the Owner and the Account.
type Tenant struct {
	*App
	T       testing.TB
	Owner   domain.Actor
	Account domain.Account
}

// NewTenant builds an App with opts, stores the company "Acme" with an owner, and
// connects one account of Net for them.
func NewTenant(t testing.TB, opts ...Option) *Tenant {
	t.Helper()
	a := New(t, opts...)
	owner := a.Company(t, domain.RoleOwner, pgtest.CompanyName("Acme"))
	return &Tenant{App: a, T: t, Owner: owner, Account: a.Connect(t, owner)}
}

// Connect connects an account of Net for actor.
func (c *Tenant) Connect(actor domain.Actor) domain.Account {
	c.T.Helper()
	return c.App.Connect(c.T, actor)
}

// ConnectAs connects a second account of Net, of external id external, for the owner.
func (c *Tenant) ConnectAs(external string) domain.Account {
	c.T.Helper()
	return c.App.ConnectAs(c.T, c.Owner, external)
}

// Draft creates a post on the account.
func (c *Tenant) Draft(content string) domain.Post {
	c.T.Helper()
	return c.App.Draft(c.T, c.Owner, content, c.Account.ID)
}

// Get reads a post as the owner.
func (c *Tenant) Get(id domain.PostID) domain.Post {
	c.T.Helper()
	return c.App.Get(c.T, c.Owner, id)
}

// Claim schedules a post on the account now and runs publish_post by hand.
func (c *Tenant) Claim(content string) (domain.Post, app.TargetJob) {
	c.T.Helper()
	return c.App.Claim(c.T, c.Owner, c.Account.ID, content)
}

// Crashed leaves a claimed post on the account as a worker that died after recording its
// attempt would (see App.Crashed); it fails t, which may be a subtest's.
func (c *Tenant) Crashed(t testing.TB, content string, platformGotIt bool) app.TargetJob {
	t.Helper()
	return c.App.Crashed(t, c.Owner, c.Account.ID, content, platformGotIt)
}

// Count runs a query that counts something and returns the count.
func (c *Tenant) Count(query string, args ...any) int {
	c.T.Helper()
	return c.App.Count(c.T, query, args...)
}

// JobCount counts River's jobs of kind about the post.
func (c *Tenant) JobCount(kind string, post domain.PostID) int {
	c.T.Helper()
	return c.App.JobCount(c.T, kind, post)
}

// Endpoint registers url for events as the owner and returns it with its secret.
func (c *Tenant) Endpoint(url string, events ...domain.EventType) (domain.WebhookEndpoint, string) {
	c.T.Helper()
	return c.App.Endpoint(c.T, c.Owner, url, events...)
}

// Deliveries lists the owner's deliveries of e.
func (c *Tenant) Deliveries(e domain.WebhookEndpoint) []domain.WebhookDelivery {
	c.T.Helper()
	return c.App.Deliveries(c.T, c.Owner, e.ID)
}

// EndpointNow reads the endpoint id as the owner.
func (c *Tenant) EndpointNow(id domain.WebhookEndpointID) domain.WebhookEndpoint {
	c.T.Helper()
	return c.App.EndpointNow(c.T, c.Owner, id)
}
