package pgtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// The row factories below store one row (or a few that belong together) straight through
// the store, committed, and return the domain value. Each takes options for the fields
// tests vary; the rest get valid defaults, unique where the schema wants them unique.
// Connected accounts carry sealed tokens, which only the app knows how to seal: their
// factory is app/apptest's Connect.

var factorySeq atomic.Int64

// unique returns a string unique within this test binary (and, by the time, across runs).
func unique() string {
	return fmt.Sprintf("%d-%d", time.Now().UnixNano(), factorySeq.Add(1))
}

// CompanyOption changes the company Company stores.
type CompanyOption func(*domain.Company)

// CompanyName names the company.
func CompanyName(name string) CompanyOption { return func(c *domain.Company) { c.Name = name } }

// CompanyPlan puts the company on plan (Company's default is PlanBusiness: no monthly limit
// on scheduled posts gets in a test's way).
func CompanyPlan(p domain.Plan) CompanyOption { return func(c *domain.Company) { c.Plan = p } }

// CompanySetting sets one of the company's settings.
func CompanySetting(key, value string) CompanyOption {
	return func(c *domain.Company) { c.Settings[key] = value }
}

// Company stores a company, on the business plan unless an option says otherwise.
func Company(t testing.TB, store ports.Store, opts ...CompanyOption) domain.Company {
	t.Helper()
	c, err := domain.NewCompany("Company "+unique(), time.Now())
	if err != nil {
		t.Fatalf("pgtest.Company: %v", err)
	}
	c.Plan = domain.PlanBusiness
	for _, o := range opts {
		o(&c)
	}
	ctx := context.Background()
	if err := store.InTx(ctx, func(tx ports.Tx) error { return tx.Companies().Create(ctx, &c) }); err != nil {
		t.Fatalf("pgtest.Company: %v", err)
	}
	return c
}

// UserOption changes the user User or Member stores.
type UserOption func(*userRow)

type userRow struct {
	user       domain.User
	hash       string
	unverified bool
}

// Unverified leaves the user's email address unverified (default: verified, as a person
// who followed the verification link).
func Unverified() UserOption { return func(u *userRow) { u.unverified = true } }

// UserEmail sets the user's email (default: a unique one at example.com).
func UserEmail(email string) UserOption { return func(u *userRow) { u.user.Email = email } }

// UserName sets the user's name.
func UserName(name string) UserOption { return func(u *userRow) { u.user.Name = name } }

// Superadmin makes the user an operator.
func Superadmin() UserOption { return func(u *userRow) { u.user.IsSuperadmin = true } }

// PasswordHash stores hash as the user's password hash (default: one no password matches).
func PasswordHash(hash string) UserOption { return func(u *userRow) { u.hash = hash } }

// User stores a user who belongs to no company.
func User(t testing.TB, store ports.Store, opts ...UserOption) domain.User {
	t.Helper()
	ctx := context.Background()
	var u domain.User
	if err := store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		u, err = createUser(ctx, tx, opts)
		return err
	}); err != nil {
		t.Fatalf("pgtest.User: %v", err)
	}
	return u
}

func createUser(ctx context.Context, tx ports.Tx, opts []UserOption) (domain.User, error) {
	r := userRow{user: domain.User{Email: "u" + unique() + "@example.com", Name: "Person", CreatedAt: time.Now().UTC()}, hash: "not-a-real-hash"}
	for _, o := range opts {
		o(&r)
	}
	if err := tx.Users().Create(ctx, &r.user, r.hash); err != nil {
		return r.user, err
	}
	if !r.unverified {
		r.user.EmailVerifiedAt = r.user.CreatedAt
		if err := tx.Users().SetEmailVerified(ctx, r.user.ID, r.user.CreatedAt); err != nil {
			return r.user, err
		}
	}
	return r.user, nil
}

// Member stores a new user with role in company and returns them as an actor of it. The
// caller reloads the authorizer's view of the company (authz.Enforcer.Reload) when it
// checks policies.
func Member(t testing.TB, store ports.Store, company domain.CompanyID, role domain.Role, opts ...UserOption) domain.Actor {
	t.Helper()
	ctx := context.Background()
	var actor domain.Actor
	if err := store.InTx(ctx, func(tx ports.Tx) error {
		u, err := createUser(ctx, tx, opts)
		if err != nil {
			return err
		}
		actor = domain.Actor{UserID: u.ID, CompanyID: company, Role: role, IsSuperadmin: u.IsSuperadmin}
		return tx.Memberships().Add(ctx, domain.Membership{CompanyID: company, UserID: u.ID, Role: role, JoinedAt: time.Now().UTC()})
	}); err != nil {
		t.Fatalf("pgtest.Member: %v", err)
	}
	return actor
}

// PostOption changes the post Post stores.
type PostOption func(*postRow)

type postRow struct {
	in domain.PostInput
	at time.Time // scheduled for, when not zero
}

// Content sets the post's text (default: a unique one).
func Content(s string) PostOption { return func(p *postRow) { p.in.Content = s } }

// MediaURLs sets the post's media.
func MediaURLs(urls ...string) PostOption { return func(p *postRow) { p.in.MediaURLs = urls } }

// Variant sets the post's text on one account.
func Variant(account domain.AccountID, s string) PostOption {
	return func(p *postRow) {
		if p.in.Variants == nil {
			p.in.Variants = map[domain.AccountID]string{}
		}
		p.in.Variants[account] = s
	}
}

// ScheduledFor stores the post scheduled for at, with no publish job: a test that needs the
// job schedules through app.Posts.Schedule instead.
func ScheduledFor(at time.Time) PostOption { return func(p *postRow) { p.at = at } }

// Post stores a draft by author targeting accounts (all of author's company), or a scheduled
// post with ScheduledFor.
func Post(t testing.TB, store ports.Store, author domain.Actor, accounts []domain.Account, opts ...PostOption) domain.Post {
	t.Helper()
	r := postRow{in: domain.PostInput{Content: "Post " + unique()}}
	for _, a := range accounts {
		r.in.AccountIDs = append(r.in.AccountIDs, a.ID)
	}
	for _, o := range opts {
		o(&r)
	}
	now := time.Now()
	p, err := domain.NewPost(author.CompanyID, author.UserID, r.in, accounts, now)
	if err != nil {
		t.Fatalf("pgtest.Post: %v", err)
	}
	if !r.at.IsZero() {
		if err := p.Schedule(r.at, now); err != nil {
			t.Fatalf("pgtest.Post: %v", err)
		}
	}
	ctx := context.Background()
	if err := store.InTx(ctx, func(tx ports.Tx) error { return tx.Posts().Create(ctx, &p) }); err != nil {
		t.Fatalf("pgtest.Post: %v", err)
	}
	return p
}
