package authz_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// expected is the permission matrix, written out on purpose instead of read from policy.csv.
var expected = map[domain.Role]map[domain.Resource]string{
	domain.RoleOwner:  {"posts": "rw", "schedule": "rw", "accounts": "rw", "analytics": "rw", "ai": "rw", "members": "rw", "webhooks": "rw", "company": "rw", "brand": "rw", "audit": "r", "data": "rw", "media": "rw", "library": "rw", "snippets": "rw", "approvals": "rw", "reviews": "rw"},
	domain.RoleAdmin:  {"posts": "rw", "schedule": "rw", "accounts": "rw", "analytics": "rw", "ai": "rw", "members": "rw", "webhooks": "rw", "company": "r", "brand": "rw", "audit": "r", "data": "", "media": "rw", "library": "rw", "snippets": "rw", "approvals": "rw", "reviews": "rw"},
	domain.RoleEditor: {"posts": "rw", "schedule": "rw", "accounts": "r", "analytics": "r", "ai": "rw", "members": "r", "webhooks": "", "company": "r", "brand": "r", "audit": "", "data": "", "media": "rw", "library": "", "snippets": "rw", "approvals": "r", "reviews": "rw"},
	domain.RoleViewer: {"posts": "r", "schedule": "r", "accounts": "r", "analytics": "r", "ai": "", "members": "r", "webhooks": "", "company": "r", "brand": "r", "audit": "", "data": "", "media": "r", "library": "", "snippets": "r", "approvals": "r", "reviews": "r"},
}

type world struct {
	pool    *pgxpool.Pool
	company domain.CompanyID
	other   domain.CompanyID
	users   map[domain.Role]domain.UserID
	super   domain.UserID
}

// setup inserts two companies, one member per role in the first, and a superadmin.
func setup(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.DB(t).Pool()
	w := world{pool: pool, users: map[domain.Role]domain.UserID{}}
	q := func(sql string, args ...any) string {
		var id string
		if err := pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	w.company = domain.CompanyID(q(`INSERT INTO companies (name) VALUES ('Acme') RETURNING id`))
	w.other = domain.CompanyID(q(`INSERT INTO companies (name) VALUES ('Rival') RETURNING id`))
	for _, r := range domain.Roles {
		u := q(`INSERT INTO users (email, name, password_hash) VALUES (gen_random_uuid() || '@example.com', 'x', 'h') RETURNING id`)
		q(`INSERT INTO memberships (company_id, user_id, role) VALUES ($1, $2, $3) RETURNING role`, w.company, u, r)
		w.users[r] = domain.UserID(u)
	}
	w.super = domain.UserID(q(`INSERT INTO users (email, name, password_hash, is_superadmin) VALUES (gen_random_uuid() || '@example.com', 'x', 'h', true) RETURNING id`))
	return w
}

func newEnforcer(t *testing.T, pool *pgxpool.Pool) *authz.Enforcer {
	t.Helper()
	e, err := authz.New(context.Background(), pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCan_EveryRoleResourceAction(t *testing.T) {
	t.Parallel()
	w := setup(t)
	e := newEnforcer(t, w.pool)
	ctx := context.Background()
	for role, perms := range expected {
		for _, res := range domain.CompanyResources {
			for _, act := range domain.Actions {
				want := (act == domain.ActionRead && len(perms[res]) > 0) || (act == domain.ActionWrite && perms[res] == "rw")
				err := e.Can(ctx, domain.Actor{UserID: w.users[role], CompanyID: w.company, Role: role}, res, act)
				if got := err == nil; got != want {
					t.Errorf("%s %s %s: allowed = %v, want %v (err %v)", role, act, res, got, want, err)
				}
				if err != nil && domain.CodeOf(err) != domain.CodeForbidden {
					t.Errorf("%s %s %s: code %s, want forbidden", role, act, res, domain.CodeOf(err))
				}
				// The same person in a company they do not belong to may do nothing, whatever role they claim.
				if err := e.Can(ctx, domain.Actor{UserID: w.users[role], CompanyID: w.other, Role: domain.RoleOwner}, res, act); domain.CodeOf(err) != domain.CodeForbidden {
					t.Errorf("%s of Acme %s %s in Rival: %v, want forbidden", role, act, res, err)
				}
			}
		}
		if err := e.Can(ctx, domain.Actor{UserID: w.users[role], CompanyID: w.company}, domain.ResourceTenants, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
			t.Errorf("%s reads tenants: %v, want forbidden", role, err)
		}
	}
	for _, act := range domain.Actions {
		if err := e.Can(ctx, domain.Actor{UserID: w.super}, domain.ResourceTenants, act); err != nil {
			t.Errorf("superadmin %s tenants: %v", act, err)
		}
	}
	if err := e.Can(ctx, domain.Actor{UserID: w.super, CompanyID: w.company}, domain.ResourcePosts, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("superadmin without membership reads posts: %v, want forbidden", err)
	}
	if err := e.Can(ctx, domain.Actor{UserID: w.users[domain.RoleOwner]}, domain.ResourcePosts, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("company resource without a company: %v, want forbidden", err)
	}
}

func TestReload_SeesMembershipChangesAtOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	e := newEnforcer(t, w.pool)
	ctx := context.Background()
	editor := domain.Actor{UserID: w.users[domain.RoleEditor], CompanyID: w.company}
	if err := e.Can(ctx, editor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		t.Fatalf("editor writes posts before the change: %v", err)
	}
	if _, err := w.pool.Exec(ctx, `UPDATE memberships SET role = 'viewer' WHERE company_id = $1 AND user_id = $2`, w.company, editor.UserID); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(ctx, w.company); err != nil {
		t.Fatal(err)
	}
	if err := e.Can(ctx, editor, domain.ResourcePosts, domain.ActionWrite); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("demoted editor writes posts after Reload: %v, want forbidden", err)
	}
}

func TestListen_SecondInstanceFollowsNotifications(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other := newEnforcer(t, w.pool)
	done := make(chan error, 1)
	go func() { done <- other.Listen(ctx) }()

	viewer := domain.Actor{UserID: w.users[domain.RoleViewer], CompanyID: w.company}
	// Keep promoting until the listener is connected and has applied it: the first
	// notification may be sent before LISTEN runs, which the backlog reload covers too.
	deadline := time.Now().Add(10 * time.Second)
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE memberships SET role = 'admin' WHERE company_id = $1 AND user_id = $2`, w.company, viewer.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, authz.Channel, string(w.company)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for other.Can(ctx, viewer, domain.ResourceMembers, domain.ActionWrite) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the second instance never saw the promotion")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen returned %v after cancel, want nil", err)
	}
}

// TestReload_ConcurrentReloadsKeepTheNewest adds members from many goroutines, each
// reloading after its own insert: every one must be allowed at once. Unserialized
// reloads could swap an older snapshot in over a newer one.
func TestReload_ConcurrentReloadsKeepTheNewest(t *testing.T) {
	t.Parallel()
	w := setup(t)
	e := newEnforcer(t, w.pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = e.Listen(ctx) }() // notifications reload too, as in a running Herald
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var u string
			if err := w.pool.QueryRow(ctx, `INSERT INTO users (email, name, password_hash) VALUES (gen_random_uuid() || '@example.com', 'x', 'h') RETURNING id`).Scan(&u); err != nil {
				errs <- err
				return
			}
			if _, err := w.pool.Exec(ctx, `WITH m AS (INSERT INTO memberships (company_id, user_id, role) VALUES ($1, $2, 'owner'))
				SELECT pg_notify('herald_authz', $1::text)`, w.other, u); err != nil {
				errs <- err
				return
			}
			if err := e.Reload(ctx, w.other); err != nil {
				errs <- err
				return
			}
			errs <- e.Can(ctx, domain.Actor{UserID: domain.UserID(u), CompanyID: w.other}, domain.ResourceAccounts, domain.ActionWrite)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a member added and reloaded: %v", err)
		}
	}
}

// TestCan_ChangesTakeEffectAtOnceOnEveryInstance runs two enforcers on one database, as two
// Herald instances, neither listening for notifications: a superadmin made, a role demoted
// and a company suspended by plain SQL (as `herald admin create-superadmin` in another
// process, or an operator by hand) are decided on at the very next check by both.
func TestCan_ChangesTakeEffectAtOnceOnEveryInstance(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	one, two := newEnforcer(t, w.pool), newEnforcer(t, w.pool)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := w.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	viewer := domain.Actor{UserID: w.users[domain.RoleViewer]}
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, viewer, domain.ResourceTenants, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("instance %d: a viewer reads tenants before the grant: %v", i+1, err)
		}
	}
	exec(`UPDATE users SET is_superadmin = true WHERE id = $1`, viewer.UserID)
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, viewer, domain.ResourceTenants, domain.ActionRead); err != nil {
			t.Errorf("instance %d: the new superadmin reads tenants: %v, want allowed at once", i+1, err)
		}
	}
	exec(`UPDATE users SET is_superadmin = false WHERE id = $1`, viewer.UserID)
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, viewer, domain.ResourceTenants, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
			t.Errorf("instance %d: a former superadmin reads tenants: %v, want forbidden at once", i+1, err)
		}
	}

	admin := domain.Actor{UserID: w.users[domain.RoleAdmin], CompanyID: w.company}
	exec(`UPDATE memberships SET role = 'viewer' WHERE company_id = $1 AND user_id = $2`, w.company, admin.UserID)
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, admin, domain.ResourceMembers, domain.ActionWrite); domain.CodeOf(err) != domain.CodeForbidden {
			t.Errorf("instance %d: a demoted admin invites: %v, want forbidden at once", i+1, err)
		}
	}
	exec(`UPDATE memberships SET role = 'admin' WHERE company_id = $1 AND user_id = $2`, w.company, admin.UserID)
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, admin, domain.ResourceMembers, domain.ActionWrite); err != nil {
			t.Errorf("instance %d: a promoted viewer invites: %v, want allowed at once", i+1, err)
		}
	}
}

// TestCan_SuspendedCompanyReadsExportsAndDeletesOnly: every change but the company's data
// deletion answers CodeSuspended with the operator's reason, on every instance at once;
// reading stays allowed; reactivation allows changes again.
func TestCan_SuspendedCompanyReadsExportsAndDeletesOnly(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := context.Background()
	one, two := newEnforcer(t, w.pool), newEnforcer(t, w.pool)
	owner := domain.Actor{UserID: w.users[domain.RoleOwner], CompanyID: w.company}
	if _, err := w.pool.Exec(ctx, `UPDATE companies SET status = 'suspended', status_reason = 'Unpaid invoice 42' WHERE id = $1`, w.company); err != nil {
		t.Fatal(err)
	}
	for i, e := range []*authz.Enforcer{one, two} {
		for _, res := range domain.CompanyResources {
			if expected[domain.RoleOwner][res] == "" {
				continue
			}
			if err := e.Can(ctx, owner, res, domain.ActionRead); err != nil {
				t.Errorf("instance %d: suspended owner reads %s: %v", i+1, res, err)
			}
			if expected[domain.RoleOwner][res] != "rw" {
				continue
			}
			err := e.Can(ctx, owner, res, domain.ActionWrite)
			switch {
			case res == domain.ResourceData && err != nil:
				t.Errorf("instance %d: suspended owner deletes the company's data: %v, want allowed", i+1, err)
			case res != domain.ResourceData && (domain.CodeOf(err) != domain.CodeSuspended || !strings.Contains(domain.MessageOf(err), "Unpaid invoice 42")):
				t.Errorf("instance %d: suspended owner writes %s: %v, want company_suspended naming the reason", i+1, res, err)
			}
		}
		// The other company is not affected.
		if err := e.Can(ctx, domain.Actor{UserID: w.users[domain.RoleOwner], CompanyID: w.other}, domain.ResourcePosts, domain.ActionWrite); domain.CodeOf(err) != domain.CodeForbidden {
			t.Errorf("instance %d: non-member in another company: %v", i+1, err)
		}
	}
	if _, err := w.pool.Exec(ctx, `UPDATE companies SET status = 'active' WHERE id = $1`, w.company); err != nil {
		t.Fatal(err)
	}
	for i, e := range []*authz.Enforcer{one, two} {
		if err := e.Can(ctx, owner, domain.ResourcePosts, domain.ActionWrite); err != nil {
			t.Errorf("instance %d: reactivated owner writes posts: %v", i+1, err)
		}
	}
}
