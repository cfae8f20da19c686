package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// connectAccount connects an account of platform with external id ext and tokens s.
func connectAccount(t *testing.T, db *postgres.DB, company domain.CompanyID, platform domain.Platform, ext string, expires time.Time, s ports.Sealed) domain.Account {
	t.Helper()
	ctx := context.Background()
	a := domain.Account{CompanyID: company, Platform: platform, ExternalID: ext, DisplayName: ext, TokenExpiresAt: expires, ConnectedAt: time.Now()}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &a, s) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccounts_SaveCredentialsNeverReplacesARefreshTokenWithNone(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)
	a := connectAccount(t, db, f.company.ID, domain.TikTok, "creator", time.Now().Add(time.Hour), ports.Sealed{Access: []byte("a1"), Refresh: []byte("r1")})
	if !a.HasRefreshToken {
		t.Error("an account connected with a refresh token says it has none")
	}
	tokens := func() (domain.Account, ports.Sealed) {
		t.Helper()
		var acct domain.Account
		var s ports.Sealed
		if err := db.Read(ctx, func(tx ports.Tx) (err error) {
			acct, s, err = tx.Accounts().Credentials(ctx, f.company.ID, a.ID, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return acct, s
	}
	save := func(s ports.Sealed) {
		t.Helper()
		if err := db.InTx(ctx, func(tx ports.Tx) error {
			return tx.Accounts().SaveCredentials(ctx, f.company.ID, a.ID, s, time.Now().Add(2*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
	}

	save(ports.Sealed{Access: []byte("a2")})
	if acct, s := tokens(); string(s.Access) != "a2" || string(s.Refresh) != "r1" || !acct.HasRefreshToken {
		t.Errorf("after saving an answer without a refresh token: %q/%q (has %v), want a2/r1", s.Access, s.Refresh, acct.HasRefreshToken)
	}
	save(ports.Sealed{Access: []byte("a3"), Refresh: []byte{}})
	if _, s := tokens(); string(s.Refresh) != "r1" {
		t.Errorf("an empty (not nil) refresh token replaced the stored one: %q", s.Refresh)
	}
	save(ports.Sealed{Access: []byte("a4"), Refresh: []byte("r2")})
	if _, s := tokens(); string(s.Access) != "a4" || string(s.Refresh) != "r2" {
		t.Errorf("a rotated refresh token was not stored: %q/%q, want a4/r2", s.Access, s.Refresh)
	}
	// A reconnect whose answer lacks a refresh token keeps it too.
	again := connectAccount(t, db, f.company.ID, domain.TikTok, "creator", time.Now().Add(time.Hour), ports.Sealed{Access: []byte("a5")})
	if _, s := tokens(); again.ID != a.ID || string(s.Access) != "a5" || string(s.Refresh) != "r2" || !again.HasRefreshToken {
		t.Errorf("after a reconnect without a refresh token: %q/%q (has %v), want a5/r2", s.Access, s.Refresh, again.HasRefreshToken)
	}
	without := connectAccount(t, db, f.company.ID, domain.LinkedIn, "member", time.Now().Add(time.Hour), ports.Sealed{Access: []byte("a")})
	if without.HasRefreshToken {
		t.Error("an account connected without a refresh token says it has one")
	}
}

func TestAccounts_RecordSuccessAtMostOncePerMinuteInItsCompany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	a := connectAccount(t, db, f.company.ID, domain.Sandbox, "s1", time.Time{}, ports.Sealed{Access: []byte("a")})
	if !a.LastSuccessAt.IsZero() {
		t.Fatalf("a new account has a last success: %s", a.LastSuccessAt)
	}
	record := func(company domain.CompanyID, at time.Time) {
		t.Helper()
		if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().RecordSuccess(ctx, company, a.ID, at) }); err != nil {
			t.Fatal(err)
		}
	}
	last := func() time.Time {
		t.Helper()
		var got domain.Account
		if err := db.Read(ctx, func(tx ports.Tx) (err error) {
			got, err = tx.Accounts().Get(ctx, f.company.ID, a.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got.LastSuccessAt
	}
	t0 := time.Date(2026, time.December, 1, 9, 0, 0, 0, time.UTC)
	record(f.company.ID, t0)
	if got := last(); !got.Equal(t0) {
		t.Fatalf("last success = %s, want %s", got, t0)
	}
	record(f.company.ID, t0.Add(59*time.Second))
	if got := last(); !got.Equal(t0) {
		t.Errorf("a success 59 s later was written: %s", got)
	}
	record(f.company.ID, t0.Add(time.Minute))
	if got := last(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("a success a minute later = %s, want %s", got, t0.Add(time.Minute))
	}
	record(other.company.ID, t0.Add(time.Hour))
	if got := last(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("another company's call changed the account's last success to %s", got)
	}
}

func TestAccounts_ExpiringUnwarnedOncePerExpiry(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	soon := time.Now().Add(3 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	member := connectAccount(t, db, f.company.ID, domain.LinkedIn, "member-"+string(f.company.ID), soon, ports.Sealed{Access: []byte("a")})
	connectAccount(t, db, f.company.ID, domain.TikTok, "refreshable-"+string(f.company.ID), soon, ports.Sealed{Access: []byte("a"), Refresh: []byte("r")})
	connectAccount(t, db, f.company.ID, domain.LinkedIn, "later-"+string(f.company.ID), soon.Add(30*24*time.Hour), ports.Sealed{Access: []byte("a")})

	mine := func() []domain.Account {
		t.Helper()
		var all []domain.Account
		if err := db.Read(ctx, func(tx ports.Tx) (err error) {
			all, err = tx.Accounts().ExpiringUnwarned(ctx, time.Now().Add(7*24*time.Hour), 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var out []domain.Account
		for _, a := range all {
			if a.CompanyID == f.company.ID {
				out = append(out, a)
			}
		}
		return out
	}
	mark := func(company domain.CompanyID, expiry time.Time) bool {
		t.Helper()
		var ok bool
		if err := db.InTx(ctx, func(tx ports.Tx) (err error) {
			ok, err = tx.Accounts().MarkExpiryWarned(ctx, company, member.ID, expiry)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if got := mine(); len(got) != 1 || got[0].ID != member.ID {
		t.Fatalf("ExpiringUnwarned = %+v; want only the member account without a refresh token", got)
	}
	if mark(other.company.ID, soon) {
		t.Error("another company marked the account warned")
	}
	if mark(f.company.ID, soon.Add(time.Hour)) {
		t.Error("an expiry other than the stored one was marked warned")
	}
	if !mark(f.company.ID, soon) || mark(f.company.ID, soon) {
		t.Error("marking the expiry warned did not succeed exactly once")
	}
	if got := mine(); len(got) != 0 {
		t.Errorf("ExpiringUnwarned after the warning = %+v; want none", got)
	}
	// A reconnect brings a new expiry: it is warned about in its turn.
	connectAccount(t, db, f.company.ID, domain.LinkedIn, member.ExternalID, soon.Add(24*time.Hour), ports.Sealed{Access: []byte("b")})
	if got := mine(); len(got) != 1 || got[0].ID != member.ID {
		t.Errorf("ExpiringUnwarned after a reconnect = %+v; want the member account again", got)
	}
}

func TestAccounts_ConnectKeepsTheGrantedScopes(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f := newFixture(t, db)
	a := domain.Account{CompanyID: f.company.ID, Platform: domain.LinkedIn, ExternalID: "urn:li:person:scoped", DisplayName: "Scoped",
		ConnectedAt: time.Now(), Scopes: []string{"openid", "w_member_social", "r_member_social"}}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &a, ports.Sealed{Access: []byte("a")}) }); err != nil {
		t.Fatal(err)
	}
	read := func() domain.Account {
		t.Helper()
		var got domain.Account
		if err := db.Read(ctx, func(tx ports.Tx) (err error) {
			got, _, err = tx.Accounts().Credentials(ctx, f.company.ID, a.ID, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read().Scopes; !slices.Equal(got, []string{"openid", "w_member_social", "r_member_social"}) {
		t.Errorf("scopes = %q", got)
	}
	// A reconnect with fewer permissions says so: the grant is what the person gave last.
	b := a
	b.ID, b.Scopes = "", []string{"openid", "w_member_social"}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Accounts().Connect(ctx, &b, ports.Sealed{Access: []byte("b")}) }); err != nil {
		t.Fatal(err)
	}
	if got := read().Scopes; !slices.Equal(got, []string{"openid", "w_member_social"}) {
		t.Errorf("scopes after a narrower reconnect = %q", got)
	}
	// A platform that says nothing of scopes stores none.
	c := connectAccount(t, db, f.company.ID, domain.TikTok, "unscoped", time.Now().Add(time.Hour), ports.Sealed{Access: []byte("c")})
	if c.Scopes == nil || len(c.Scopes) != 0 {
		t.Errorf("scopes of an account connected without = %#v, want empty", c.Scopes)
	}
}
