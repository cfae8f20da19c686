package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestPlanUsage_CountsPostsOncePerMonthAndStaysInItsCompany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	nov, dec := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	post := domain.PostID("7b0b2a4e-5d0c-4a57-9a57-3a3a3a3a3a3a") // any id: the count outlives deleted posts
	usage := func(c domain.CompanyID, month time.Time) domain.PlanUsage {
		t.Helper()
		var u domain.PlanUsage
		if err := db.Read(ctx, func(tx ports.Tx) error {
			var err error
			u, err = tx.PlanUsage().Of(ctx, c, month)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	do := func(fn func(tx ports.Tx) error) {
		t.Helper()
		if err := db.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}

	do(func(tx ports.Tx) error {
		return tx.PlanUsage().CountPost(ctx, acme.company.ID, post, nov.Add(40*time.Hour), time.Now())
	})
	do(func(tx ports.Tx) error {
		return tx.PlanUsage().CountPost(ctx, acme.company.ID, post, nov.Add(90*time.Hour), time.Now())
	})
	if u := usage(acme.company.ID, nov.Add(time.Hour)); u.ScheduledPosts != 1 || !u.Month.Equal(nov) || u.Members != 1 {
		t.Errorf("November after counting twice = %+v, want one post and one member", u)
	}
	if u := usage(rival.company.ID, nov); u.ScheduledPosts != 0 {
		t.Errorf("rival's November = %+v, want nothing of acme's", u)
	}
	do(func(tx ports.Tx) error { return tx.PlanUsage().CountPost(ctx, acme.company.ID, post, dec, time.Now()) })
	if n, d := usage(acme.company.ID, nov), usage(acme.company.ID, dec); n.ScheduledPosts != 0 || d.ScheduledPosts != 1 {
		t.Errorf("after moving to December: November %d, December %d; want 0 and 1", n.ScheduledPosts, d.ScheduledPosts)
	}
	do(func(tx ports.Tx) error {
		month, ok, err := tx.PlanUsage().PostMonth(ctx, acme.company.ID, post)
		if err != nil || !ok || !month.Equal(dec) {
			t.Errorf("PostMonth = %s, %v, %v; want December", month, ok, err)
		}
		if _, ok, err := tx.PlanUsage().PostMonth(ctx, rival.company.ID, post); ok || err != nil {
			t.Errorf("PostMonth from the rival = %v, %v; want not counted", ok, err)
		}
		return tx.PlanUsage().UncountPost(ctx, rival.company.ID, post) // not the rival's to give back
	})
	if d := usage(acme.company.ID, dec); d.ScheduledPosts != 1 {
		t.Errorf("the rival gave acme's place back: %+v", d)
	}
	do(func(tx ports.Tx) error { return tx.PlanUsage().UncountPost(ctx, acme.company.ID, post) })
	if d := usage(acme.company.ID, dec); d.ScheduledPosts != 0 {
		t.Errorf("after UncountPost: %+v", d)
	}
	do(func(tx ports.Tx) error {
		c, err := tx.PlanUsage().Lock(ctx, acme.company.ID)
		if err != nil || c.ID != acme.company.ID {
			t.Errorf("Lock = %+v, %v", c, err)
		}
		_, err = tx.PlanUsage().Lock(ctx, "00000000-0000-0000-0000-000000000000")
		wantCode(t, "Lock(unknown company)", err, domain.CodeNotFound)
		return nil
	})
}

func TestCompanies_SummaryAndStatusReason(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)
	month, at := domain.MonthOf(time.Now()), time.Now().Truncate(time.Microsecond)
	err := db.InTx(ctx, func(tx ports.Tx) error {
		c := f.company
		c.Status, c.StatusReason, c.StatusChangedAt = domain.CompanySuspended, "Unpaid invoice", at
		if err := tx.Companies().Update(ctx, c); err != nil {
			return err
		}
		if err := tx.AIUsage().Add(ctx, c.ID, month, 1200, 300); err != nil {
			return err
		}
		return tx.Invitations().Create(ctx, &domain.Invitation{CompanyID: c.ID, Email: "new@example.com", Role: domain.RoleViewer, InvitedBy: f.owner.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}, make([]byte, 32))
	})
	if err != nil {
		t.Fatal(err)
	}
	var s domain.CompanySummary
	err = db.Read(ctx, func(tx ports.Tx) error {
		s, err = tx.Companies().Summary(ctx, f.company.ID, time.Now())
		return err
	})
	if err != nil || s.Status != domain.CompanySuspended || s.StatusReason != "Unpaid invoice" || !s.StatusChangedAt.Equal(at) ||
		s.Members != 1 || s.Usage.Members != 2 || s.Usage.AITokens != 1500 || !s.Usage.Month.Equal(month) {
		t.Errorf("Summary = %+v, %v", s, err)
	}
	err = db.Read(ctx, func(tx ports.Tx) error {
		_, err := tx.Companies().Summary(ctx, "not-a-uuid", time.Now())
		return err
	})
	wantCode(t, "Summary(bad id)", err, domain.CodeNotFound)
}
