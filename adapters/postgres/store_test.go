package postgres_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/migrations"
	"github.com/heraldhq/herald/ports"
)

var seq atomic.Int64

// fixture creates a company with one owner, committed, so parallel tests stay apart.
type fixture struct {
	company domain.Company
	owner   domain.User
}

func newFixture(t *testing.T, db *postgres.DB) fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	n := seq.Add(1)
	c, err := domain.NewCompany(fmt.Sprintf("Acme %d", n), now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := domain.NewUser(fmt.Sprintf("owner-%d-%d@example.com", n, now.UnixNano()), "Owner", "long enough password", now)
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Companies().Create(ctx, &c); err != nil {
			return err
		}
		if err := tx.Users().Create(ctx, &u, "hash"); err != nil {
			return err
		}
		return tx.Memberships().Add(ctx, domain.Membership{CompanyID: c.ID, UserID: u.ID, Role: domain.RoleOwner, JoinedAt: now})
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return fixture{company: c, owner: u}
}

func newUser(t *testing.T, db *postgres.DB) domain.User {
	t.Helper()
	u, _ := domain.NewUser(fmt.Sprintf("user-%d-%d@example.com", seq.Add(1), time.Now().UnixNano()), "Someone", "long enough password", time.Now())
	if err := db.InTx(context.Background(), func(tx ports.Tx) error { return tx.Users().Create(context.Background(), &u, "hash") }); err != nil {
		t.Fatal(err)
	}
	return u
}

func wantCode(t *testing.T, what string, err error, want domain.Code) {
	t.Helper()
	if got := domain.CodeOf(err); got != want {
		t.Errorf("%s: code %q, want %q (err = %v)", what, got, want, err)
	}
}

func TestMigrate_UpDownUp(t *testing.T) {
	t.Parallel()
	ctx, url := context.Background(), pgtest.EmptyURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ups, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil || len(ups) < 4 {
		t.Fatalf("migrations: %v %v", ups, err)
	}
	// Versions need not be contiguous (branches take numbers ahead of each other): the
	// newest is the highest number, and one step down lands on the one before it.
	var versions []uint
	for _, f := range ups {
		n, err := strconv.ParseUint(strings.SplitN(f, "_", 2)[0], 10, 32)
		if err != nil {
			t.Fatalf("migration %s has no number: %v", f, err)
		}
		versions = append(versions, uint(n))
	}
	slices.Sort(versions)
	latest, previous := versions[len(versions)-1], versions[len(versions)-2]
	for _, step := range []struct {
		dir        postgres.Direction
		herald     uint
		riverAbove int
	}{{postgres.Up, latest, 0}, {postgres.Up, latest, 0}, {postgres.Down, previous, 0}, {postgres.Up, latest, 0}, {postgres.DownAll, 0, -1}, {postgres.Up, latest, 0}} {
		v, err := postgres.Migrate(ctx, url, step.dir, log)
		if err != nil {
			t.Fatalf("Migrate(%s): %v", step.dir, err)
		}
		if v.Herald != step.herald || v.HeraldDirty || v.River <= step.riverAbove {
			t.Errorf("Migrate(%s) = %+v, want herald %d and river > %d", step.dir, v, step.herald, step.riverAbove)
		}
	}
}

func TestInTx_RollsBackOnErrorAndPanic(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)
	boom := errors.New("boom")

	err := db.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Companies().Update(ctx, domain.Company{ID: f.company.ID, Plan: domain.PlanPro, Status: domain.CompanyActive}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = db.InTx(ctx, func(tx ports.Tx) error {
			_ = tx.Companies().Update(ctx, domain.Company{ID: f.company.ID, Plan: domain.PlanBusiness, Status: domain.CompanyActive})
			panic("worker died")
		})
	}()
	var got domain.Company
	_ = db.Read(ctx, func(tx ports.Tx) error { got, err = tx.Companies().Get(ctx, f.company.ID); return err })
	if got.Plan != domain.PlanFree {
		t.Errorf("plan after rolled-back updates = %s, want free", got.Plan)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)

	t.Run("DuplicateEmailIsConflict", func(t *testing.T) {
		t.Parallel()
		u := domain.User{Email: f.owner.Email, Name: "Again", CreatedAt: time.Now()}
		err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Users().Create(ctx, &u, "h") })
		wantCode(t, "Create(duplicate)", err, domain.CodeConflict)
		if domain.FieldsOf(err)["email"] == "" {
			t.Errorf("duplicate email error has no email field: %v", err)
		}
	})
	t.Run("ByEmailReturnsHash", func(t *testing.T) {
		t.Parallel()
		var hash string
		var got domain.User
		err := db.Read(ctx, func(tx ports.Tx) error {
			var err error
			got, hash, err = tx.Users().ByEmail(ctx, f.owner.Email)
			return err
		})
		if err != nil || got.ID != f.owner.ID || hash != "hash" {
			t.Errorf("ByEmail = %+v, %q, %v", got, hash, err)
		}
	})
	t.Run("MalformedAndUnknownIDsAreNotFound", func(t *testing.T) {
		t.Parallel()
		for _, id := range []domain.UserID{"not-a-uuid", "00000000-0000-0000-0000-000000000000", "'; DROP TABLE users; --", "\u00e9\u00e8"} {
			err := db.Read(ctx, func(tx ports.Tx) error { _, err := tx.Users().Get(ctx, id); return err })
			wantCode(t, "Get("+string(id)+")", err, domain.CodeNotFound)
		}
	})
}

func TestCompanies_ListPagesInStableOrder(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	for i := 0; i < 3; i++ {
		newFixture(t, db)
	}
	var all []domain.CompanySummary
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		var page []domain.CompanySummary
		var next string
		err := db.Read(ctx, func(tx ports.Tx) error {
			var err error
			page, next, err = tx.Companies().List(ctx, ports.Page{Limit: 2, Cursor: cursor}, time.Now())
			return err
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	seen := map[domain.CompanyID]bool{}
	for i, c := range all {
		if seen[c.ID] {
			t.Fatalf("company %s listed twice", c.ID)
		}
		seen[c.ID] = true
		if i > 0 && c.CreatedAt.Before(all[i-1].CreatedAt) {
			t.Errorf("list not ordered by creation at %d", i)
		}
		if c.Members < 1 {
			t.Errorf("company %s has %d members, want >= 1", c.ID, c.Members)
		}
	}
	if len(all) < 3 {
		t.Errorf("listed %d companies, want >= 3", len(all))
	}
	err := db.Read(ctx, func(tx ports.Tx) error {
		_, _, err := tx.Companies().List(ctx, ports.Page{Limit: 2, Cursor: "garbage!"}, time.Now())
		return err
	})
	wantCode(t, "List(bad cursor)", err, domain.CodeInvalid)
}

func TestMemberships_StayInTheirCompany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	m := db.InTx

	t.Run("AddTwiceIsConflict", func(t *testing.T) {
		err := m(ctx, func(tx ports.Tx) error {
			return tx.Memberships().Add(ctx, domain.Membership{CompanyID: acme.company.ID, UserID: acme.owner.ID, Role: domain.RoleViewer, JoinedAt: time.Now()})
		})
		wantCode(t, "Add(existing)", err, domain.CodeConflict)
	})
	t.Run("OtherCompanysMemberIsNotFound", func(t *testing.T) {
		err := m(ctx, func(tx ports.Tx) error {
			_, err := tx.Memberships().Get(ctx, rival.company.ID, acme.owner.ID)
			return err
		})
		wantCode(t, "Get(rival, acme owner)", err, domain.CodeNotFound)
		err = m(ctx, func(tx ports.Tx) error {
			return tx.Memberships().SetRole(ctx, rival.company.ID, acme.owner.ID, domain.RoleViewer)
		})
		wantCode(t, "SetRole(rival, acme owner)", err, domain.CodeNotFound)
		err = m(ctx, func(tx ports.Tx) error { return tx.Memberships().Remove(ctx, rival.company.ID, acme.owner.ID) })
		wantCode(t, "Remove(rival, acme owner)", err, domain.CodeNotFound)
		var members []domain.Member
		_ = db.Read(ctx, func(tx ports.Tx) error {
			var err error
			members, err = tx.Memberships().Members(ctx, rival.company.ID)
			return err
		})
		if len(members) != 1 || members[0].User.ID != rival.owner.ID {
			t.Errorf("rival's members = %+v, want only its owner", members)
		}
	})
	t.Run("ForUserListsEveryCompany", func(t *testing.T) {
		u := newUser(t, db)
		_ = m(ctx, func(tx ports.Tx) error {
			_ = tx.Memberships().Add(ctx, domain.Membership{CompanyID: acme.company.ID, UserID: u.ID, Role: domain.RoleEditor, JoinedAt: time.Now()})
			return tx.Memberships().Add(ctx, domain.Membership{CompanyID: rival.company.ID, UserID: u.ID, Role: domain.RoleViewer, JoinedAt: time.Now()})
		})
		var ms []domain.Membership
		_ = db.Read(ctx, func(tx ports.Tx) error { var err error; ms, err = tx.Memberships().ForUser(ctx, u.ID); return err })
		if len(ms) != 2 || ms[0].CompanyName == "" {
			t.Errorf("ForUser = %+v, want two memberships with names", ms)
		}
	})
}

func TestInvitations_ScopedAndTakenOnce(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	now := time.Now()
	email := fmt.Sprintf("newbie-%d@example.com", now.UnixNano())
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s + email)); return h[:] }
	invs := map[domain.CompanyID]domain.Invitation{}
	for _, f := range []fixture{acme, rival} {
		inv := domain.Invitation{CompanyID: f.company.ID, Email: email, Role: domain.RoleViewer, InvitedBy: f.owner.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Invitations().Create(ctx, &inv, hash(string(f.company.ID))) }); err != nil {
			t.Fatal(err)
		}
		invs[f.company.ID] = inv
	}
	again := domain.Invitation{CompanyID: acme.company.ID, Email: email, Role: domain.RoleEditor, InvitedBy: acme.owner.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Invitations().Create(ctx, &again, hash("acme again")) }); err != nil || again.Role != domain.RoleEditor || again.ID != invs[acme.company.ID].ID {
		t.Fatalf("inviting again: %v, role %s, id %s (was %s)", err, again.Role, again.ID, invs[acme.company.ID].ID)
	}
	// Acme's first link was replaced; rival's invitation cannot be reached with acme's id.
	err := db.Read(ctx, func(tx ports.Tx) error {
		_, err := tx.Invitations().ByToken(ctx, hash(string(acme.company.ID)), now)
		return err
	})
	wantCode(t, "ByToken(replaced link)", err, domain.CodeNotFound)
	err = db.InTx(ctx, func(tx ports.Tx) error { return tx.Invitations().Delete(ctx, rival.company.ID, again.ID) })
	wantCode(t, "Delete(acme's invitation as rival)", err, domain.CodeNotFound)
	err = db.InTx(ctx, func(tx ports.Tx) error {
		_, err := tx.Invitations().Renew(ctx, rival.company.ID, again.ID, hash("x"), now.Add(time.Hour), now)
		return err
	})
	wantCode(t, "Renew(acme's invitation as rival)", err, domain.CodeNotFound)
	err = db.InTx(ctx, func(tx ports.Tx) error {
		_, err := tx.Invitations().Take(ctx, rival.company.ID, hash("acme again"), now)
		return err
	})
	wantCode(t, "Take(acme's token in rival)", err, domain.CodeNotFound)

	var list []domain.Invitation
	_ = db.Read(ctx, func(tx ports.Tx) error {
		var err error
		list, err = tx.Invitations().List(ctx, acme.company.ID)
		return err
	})
	if len(list) != 1 || list[0].Role != domain.RoleEditor {
		t.Errorf("acme's invitations = %+v, want one editor invitation", list)
	}
	var got domain.Invitation
	err = db.Read(ctx, func(tx ports.Tx) error {
		var err error
		got, err = tx.Invitations().ByToken(ctx, hash("acme again"), now)
		return err
	})
	if err != nil || got.ID != again.ID || got.CompanyName != acme.company.Name {
		t.Errorf("ByToken = %+v, %v", got, err)
	}
	err = db.Read(ctx, func(tx ports.Tx) error {
		_, err := tx.Invitations().ByToken(ctx, hash("acme again"), now.Add(2*time.Hour))
		return err
	})
	wantCode(t, "ByToken(after expiry)", err, domain.CodeNotFound)
	if err := db.InTx(ctx, func(tx ports.Tx) error {
		var err error
		got, err = tx.Invitations().Take(ctx, acme.company.ID, hash("acme again"), now)
		return err
	}); err != nil || got.ID != again.ID {
		t.Errorf("Take = %+v, %v", got, err)
	}
	err = db.InTx(ctx, func(tx ports.Tx) error {
		_, err := tx.Invitations().Take(ctx, acme.company.ID, hash("acme again"), now)
		return err
	})
	wantCode(t, "second Take", err, domain.CodeNotFound)
}

func TestTokens_ExpiredAndForeignAreNotFound(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)
	other := newUser(t, db)
	now := time.Now()
	hash := []byte(strings.Repeat("x", 16) + fmt.Sprintf("%016d", now.UnixNano()%1e16))
	tok := domain.Token{UserID: f.owner.ID, Kind: domain.TokenSession, Name: "login", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Tokens().Create(ctx, &tok, hash) }); err != nil {
		t.Fatal(err)
	}
	var s domain.Session
	err := db.Read(ctx, func(tx ports.Tx) error { var err error; s, err = tx.Tokens().Lookup(ctx, hash, now); return err })
	if err != nil || s.User.ID != f.owner.ID || s.Token.ID != tok.ID {
		t.Fatalf("Lookup = %+v, %v", s, err)
	}
	err = db.Read(ctx, func(tx ports.Tx) error { _, err := tx.Tokens().Lookup(ctx, hash, now.Add(2*time.Hour)); return err })
	wantCode(t, "Lookup(after expiry)", err, domain.CodeNotFound)
	err = db.InTx(ctx, func(tx ports.Tx) error { return tx.Tokens().Delete(ctx, other.ID, tok.ID) })
	wantCode(t, "Delete(someone else's token)", err, domain.CodeNotFound)
	if n, err := db.DeleteExpired(ctx, now.Add(2*time.Hour)); err != nil || n < 1 {
		t.Errorf("DeleteExpired = %d, %v; want >= 1", n, err)
	}
}

func TestAttempts_CountPerWindow(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	key := fmt.Sprintf("test:%d", time.Now().UnixNano())
	// Today, near the real clock: other tests of this package delete windows older than a day.
	day := time.Now().UTC().Truncate(24 * time.Hour)
	at := day.Add(10*time.Hour + 7*time.Minute)
	for want := 1; want <= 3; want++ {
		var n int
		var reset time.Time
		err := db.Read(ctx, func(tx ports.Tx) error {
			var err error
			n, reset, err = tx.Attempts().Hit(ctx, key, 15*time.Minute, at)
			return err
		})
		if err != nil || n != want || !reset.Equal(day.Add(10*time.Hour+15*time.Minute)) {
			t.Errorf("Hit #%d = %d, %v, %v", want, n, reset, err)
		}
	}
	var n int
	_ = db.Read(ctx, func(tx ports.Tx) error {
		var err error
		n, _, err = tx.Attempts().Hit(ctx, key, 15*time.Minute, at.Add(15*time.Minute))
		return err
	})
	if n != 1 {
		t.Errorf("Hit in the next window = %d, want 1", n)
	}
}

func TestIdempotencyKeys_ClaimOnceWithinTheWindow(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	u := newUser(t, db)
	// Near the real clock: other tests of this package delete keys older than a day.
	t0 := time.Now().UTC().Truncate(time.Second)
	claim := func(at time.Time, fp string) (ports.StoredAnswer, bool) {
		t.Helper()
		var a ports.StoredAnswer
		var ok bool
		err := db.InTx(ctx, func(tx ports.Tx) error {
			var err error
			a, ok, err = tx.IdempotencyKeys().Claim(ctx, u.ID, "k1", []byte(fp), at, at.Add(-24*time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return a, ok
	}
	if _, ok := claim(t0, "a"); !ok {
		t.Fatal("first claim refused")
	}
	if a, ok := claim(t0.Add(time.Minute), "a"); ok || a.Status != 0 || string(a.Fingerprint) != "a" {
		t.Errorf("second claim while running = %+v, %v; want the running claim", a, ok)
	}
	_ = db.InTx(ctx, func(tx ports.Tx) error {
		return tx.IdempotencyKeys().Complete(ctx, u.ID, "k1", ports.StoredAnswer{Status: 201, ContentType: "application/json", Body: []byte(`{}`)})
	})
	if a, ok := claim(t0.Add(time.Hour), "a"); ok || a.Status != 201 || string(a.Body) != "{}" {
		t.Errorf("claim after completion = %+v, %v; want the stored answer", a, ok)
	}
	if _, ok := claim(t0.Add(25*time.Hour), "b"); !ok {
		t.Error("a claim older than the window was not taken over")
	}
}

func TestAccounts_ReconnectUpdatesAndKeepsTheRefreshToken(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	connect := func(company domain.CompanyID, name string, s ports.Sealed) domain.Account {
		t.Helper()
		a := domain.Account{CompanyID: company, Platform: domain.Sandbox, ExternalID: "ext-1", DisplayName: name, ConnectedAt: time.Now()}
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &a, s) }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := connect(f.company.ID, "Old name", ports.Sealed{Access: []byte("a1"), Refresh: []byte("r1")})
	_ = db.InTx(ctx, func(tx ports.Tx) error {
		return tx.Accounts().SetStatus(ctx, f.company.ID, first.ID, domain.AccountReauthRequired, "expired")
	})
	again := connect(f.company.ID, "New name", ports.Sealed{Access: []byte("a2")})
	if again.ID != first.ID || again.DisplayName != "New name" || again.Status != domain.AccountActive || again.StatusReason != "" {
		t.Errorf("reconnect = %+v, want the same account, renamed and active", again)
	}
	var got ports.Sealed
	_ = db.Read(ctx, func(tx ports.Tx) error {
		_, got, _ = tx.Accounts().Credentials(ctx, f.company.ID, first.ID, false)
		return nil
	})
	if string(got.Access) != "a2" || string(got.Refresh) != "r1" {
		t.Errorf("tokens after a reconnect without a refresh token = %q/%q, want a2/r1", got.Access, got.Refresh)
	}
	// The same external account in another company is another account.
	if theirs := connect(other.company.ID, "Theirs", ports.Sealed{Access: []byte("x")}); theirs.ID == first.ID {
		t.Error("two companies share one account row")
	}
	err := db.Read(ctx, func(tx ports.Tx) error {
		_, err := tx.Accounts().Get(ctx, other.company.ID, first.ID)
		return err
	})
	wantCode(t, "another company's account", err, domain.CodeNotFound)
}
