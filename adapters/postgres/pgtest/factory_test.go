package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestFactories_StoreWhatTheyReturn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	c := pgtest.Company(t, db, pgtest.CompanyName("Factory Co"), pgtest.CompanyPlan(domain.PlanFree))
	if c.ID == "" || c.Name != "Factory Co" || c.Plan != domain.PlanFree {
		t.Fatalf("Company = %+v", c)
	}
	if d := pgtest.Company(t, db); d.ID == c.ID || d.Name == c.Name || d.Plan != domain.PlanBusiness {
		t.Errorf("a second default company = %+v", d)
	}
	editor := pgtest.Member(t, db, c.ID, domain.RoleEditor, pgtest.UserName("Eddie"))
	op := pgtest.User(t, db, pgtest.Superadmin(), pgtest.UserEmail("op-factory@example.com"))

	var acct domain.Account
	if err := db.InTx(ctx, func(tx ports.Tx) error {
		acct = domain.Account{CompanyID: c.ID, Platform: domain.Sandbox, ExternalID: "factory-1", DisplayName: "Factory", Status: domain.AccountActive}
		return tx.Accounts().Connect(ctx, &acct, ports.Sealed{Access: []byte("sealed")})
	}); err != nil {
		t.Fatal(err)
	}
	draft := pgtest.Post(t, db, editor, []domain.Account{acct}, pgtest.Content("Hello"), pgtest.Variant(acct.ID, "Hello, sandbox"))
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	scheduled := pgtest.Post(t, db, editor, []domain.Account{acct}, pgtest.ScheduledFor(at))

	if err := db.Read(ctx, func(tx ports.Tx) error {
		m, err := tx.Memberships().Get(ctx, c.ID, editor.UserID)
		if err != nil || m.Role != domain.RoleEditor || editor.CompanyID != c.ID {
			t.Errorf("membership = %+v, %v", m, err)
		}
		u, err := tx.Users().Get(ctx, editor.UserID)
		if err != nil || u.Name != "Eddie" {
			t.Errorf("member's user = %+v, %v", u, err)
		}
		if u, err := tx.Users().Get(ctx, op.ID); err != nil || !u.IsSuperadmin || u.Email != "op-factory@example.com" {
			t.Errorf("superadmin = %+v, %v", u, err)
		}
		p, err := tx.Posts().Get(ctx, c.ID, draft.ID)
		if err != nil || p.Status() != domain.PostDraft || p.Content != "Hello" || len(p.Targets) != 1 || p.Targets[0].Variant != "Hello, sandbox" {
			t.Errorf("draft = %+v, %v", p, err)
		}
		p, err = tx.Posts().Get(ctx, c.ID, scheduled.ID)
		if err != nil || p.Status() != domain.PostScheduled || !p.ScheduledFor().Equal(at) || len(p.Targets) != 1 {
			t.Errorf("scheduled = %s for %s, %v", p.Status(), p.ScheduledFor(), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
