package apptest

import (
	"net/url"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Company stores a company (pgtest.Company: the business plan unless an option says
// otherwise) with one member of role, and returns that member as actor.
func (a *App) Company(t testing.TB, role domain.Role, opts ...pgtest.CompanyOption) domain.Actor {
	t.Helper()
	c := pgtest.Company(t, a.DB, opts...)
	return a.Member(t, c.ID, role)
}

// Member adds a new user of role to company and returns them as actor; the authorizer
// knows them when it returns.
func (a *App) Member(t testing.TB, company domain.CompanyID, role domain.Role, opts ...pgtest.UserOption) domain.Actor {
	t.Helper()
	actor := pgtest.Member(t, a.DB, company, role, opts...)
	if err := a.Authz.Reload(a.Ctx, company); err != nil {
		t.Fatal(err)
	}
	return actor
}

// Connect runs the whole connect flow of Net for actor and returns the account, its
// tokens sealed as the app stores them.
func (a *App) Connect(t testing.TB, actor domain.Actor) domain.Account {
	t.Helper()
	u, err := a.Accounts.Connect(a.Ctx, actor, string(a.Net.Name), "/posts/new")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	parsed, _ := url.Parse(u)
	done, err := a.Accounts.Callback(a.Ctx, actor.UserID, string(a.Net.Name), parsed.Query().Get("state"), GoodCode, "", "")
	if err != nil {
		t.Fatalf("Callback: %v", err)
	}
	if len(done.Accounts) != 1 || done.ReturnTo != "/posts/new" {
		t.Fatalf("Callback = %+v", done)
	}
	return done.Accounts[0]
}

// ConnectAs connects the account of Net whose external id is external for actor.
func (a *App) ConnectAs(t testing.TB, actor domain.Actor, external string) domain.Account {
	t.Helper()
	a.Net.Mu.Lock()
	before := a.Net.Identity
	a.Net.Identity = external
	a.Net.Mu.Unlock()
	defer func() {
		a.Net.Mu.Lock()
		a.Net.Identity = before
		a.Net.Mu.Unlock()
	}()
	return a.Connect(t, actor)
}

// Draft creates a post by actor on accounts through the use case.
func (a *App) Draft(t testing.TB, actor domain.Actor, content string, accounts ...domain.AccountID) domain.Post {
	t.Helper()
	p, err := a.Posts.Create(a.Ctx, actor, domain.PostInput{Content: content, AccountIDs: accounts})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return p
}

// Get reads a post as actor.
func (a *App) Get(t testing.TB, actor domain.Actor, id domain.PostID) domain.Post {
	t.Helper()
	p, err := a.Posts.Get(a.Ctx, actor, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return p
}

// Claim drafts a post on account, schedules it now and runs publish_post by hand (as River
// would), returning the post and its target's job.
func (a *App) Claim(t testing.TB, actor domain.Actor, account domain.AccountID, content string) (domain.Post, app.TargetJob) {
	t.Helper()
	p := a.Draft(t, actor, content, account)
	p, err := a.Posts.Schedule(a.Ctx, actor, p.ID, time.Time{}, 0)
	if err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	if err := a.Publishing.PublishPost(a.Ctx, p.CompanyID, p.ID, p.Version()); err != nil {
		t.Fatalf("PublishPost: %v", err)
	}
	return p, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: account, Version: p.Version()}
}

// Crashed claims a post and leaves it as a worker that died after recording its attempt
// would: the attempt open, and Net holding the post when platformGotIt.
func (a *App) Crashed(t testing.TB, actor domain.Actor, account domain.AccountID, content string, platformGotIt bool) app.TargetJob {
	t.Helper()
	_, j := a.Claim(t, actor, account, content)
	err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		p, err := tx.Posts().Lock(a.Ctx, j.Company, j.Post)
		if err != nil {
			return err
		}
		tg, _ := p.Target(j.Account)
		if err := tg.StartAttempt(); err != nil {
			return err
		}
		return tx.Posts().SaveTarget(a.Ctx, j.Company, j.Post, *tg)
	})
	if err != nil {
		t.Fatal(err)
	}
	if platformGotIt {
		a.Net.Record(Ref(j))
	}
	return j
}

// JobCount counts River's jobs of kind about the post.
func (a *App) JobCount(t testing.TB, kind string, post domain.PostID) int {
	t.Helper()
	var n int
	if err := a.DB.SQL().QueryRowContext(a.Ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'post_id' = $2`, kind, string(post)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Count runs a query that counts something and returns the count.
func (a *App) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.SQL().QueryRowContext(a.Ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Ref is Herald's reference of a target: what Net keeps its posts under.
func Ref(j app.TargetJob) string { return string(j.Post) + "/" + string(j.Account) }

// WaitFor polls cond every 50ms until it holds, failing the test when d passes first
// (make d generous: it bounds a failing test, not a passing one).
func WaitFor(t testing.TB, what string, d time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
