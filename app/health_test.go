package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// listed returns the harness company's account id as the app lists it.
func (h *harness) listed(id domain.AccountID) domain.Account {
	h.T.Helper()
	as, err := h.Accounts.List(h.Ctx, h.Owner)
	if err != nil {
		h.T.Fatal(err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	h.T.Fatalf("account %s is not listed", id)
	return domain.Account{}
}

func TestRefresh_AnswerWithoutRefreshTokenKeepsTheStoredOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Net.Mu.Lock()
	h.Net.OmitRefresh = true // the platform keeps rt-0 valid and answers refreshes without one
	h.Net.Mu.Unlock()
	for round := 1; round <= 2; round++ {
		// Each renewal must send rt-0 again: had the first one stored an empty refresh
		// token, the second would be refused (and renew nothing).
		if n, err := h.Credentials.RenewExpiring(h.Ctx, 2*time.Hour); err != nil || n != 1 {
			t.Fatalf("renewal %d = %d, %v; want 1 account renewed with the stored refresh token", round, n, err)
		}
	}
	if got := h.Net.Refreshes.Load(); got != 2 {
		t.Errorf("refreshes = %d, want 2", got)
	}
	if a := h.listed(h.Account.ID); !a.HasRefreshToken || a.Status != domain.AccountActive || !a.Renewable() || !a.AccessEndsAt().IsZero() {
		t.Errorf("account after refreshes without a refresh token = %+v; want it active, renewable, its refresh token kept", a)
	}
}

func TestReconnect_AnswerWithoutRefreshTokenKeepsTheStoredOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Net.Mu.Lock()
	h.Net.OmitRefresh = true // the reconnect's answer has no refresh token; rt-0 stays valid
	h.Net.Mu.Unlock()
	if again := h.Connect(h.Owner); again.ID != h.Account.ID || !again.HasRefreshToken {
		t.Fatalf("reconnect = %+v; want the same account, still holding a refresh token", again)
	}
	if n, err := h.Credentials.RenewExpiring(h.Ctx, 2*time.Hour); err != nil || n != 1 {
		t.Fatalf("renewal after the reconnect = %d, %v; want the kept rt-0 to renew the account", n, err)
	}
}

func TestLastSuccess_RecordedOnPublishRefreshAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	if a := h.listed(h.Account.ID); !a.LastSuccessAt.IsZero() {
		t.Fatalf("a new account has a last success: %s", a.LastSuccessAt)
	}
	recent := func(what string, id domain.AccountID) {
		t.Helper()
		if got := h.listed(id).LastSuccessAt; got.IsZero() || time.Since(got) > time.Minute {
			t.Errorf("last success after %s = %s, want just now", what, got)
		}
	}
	clear := func(id domain.AccountID) {
		t.Helper()
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE social_accounts SET last_success_at = NULL WHERE id = $1`, string(id)); err != nil {
			t.Fatal(err)
		}
	}

	_, j := h.Claim("published")
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	recent("a publish", h.Account.ID)

	clear(h.Account.ID)
	if n, err := h.Credentials.RenewExpiring(h.Ctx, 2*time.Hour); err != nil || n != 1 {
		t.Fatalf("renewal = %d, %v", n, err)
	}
	recent("a refresh", h.Account.ID)

	// Metrics through other use cases (this process wrote the account's success a moment
	// ago and would skip another write within the minute).
	clear(h.Account.ID)
	platforms := app.NewPlatforms([]ports.Platform{h.Net}, time.Now)
	an := app.NewAnalytics(h.DB, h.Authz, app.NewCredentials(h.DB, h.KeyRing, platforms, time.Now, quiet()), platforms, domain.DefaultMetricsSchedule, time.Now, quiet())
	if n, err := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID); err != nil || n != 1 {
		t.Fatalf("collect = %d, %v", n, err)
	}
	recent("metrics", h.Account.ID)

	// A burst of successes is one write: the second publish within the minute leaves it.
	before := h.listed(h.Account.ID).LastSuccessAt
	_, j = h.Claim("published again")
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if got := h.listed(h.Account.ID).LastSuccessAt; !got.Equal(before) {
		t.Errorf("a second success within the minute wrote %s (was %s)", got, before)
	}
}

// TestWarnExpiring_OncePerExpiry drives the warner with its own clock over an account whose
// token cannot be renewed: nothing while the expiry is more than 7 days ahead, one
// account.expiring event and audit entry once it is within 7 days, nothing more for the
// same expiry, and a new warning after a reconnect brings a new expiry. The harness's own
// account, which has a refresh token, is never warned about.
func TestWarnExpiring_OncePerExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	clock := apptest.NewClock() // stopped by Set, moved by Advance
	start := time.Now()
	clock.Set(start)
	warner := app.NewCredentials(h.DB, h.KeyRing, app.NewPlatforms([]ports.Platform{h.Net}, clock.Now), clock.Now, quiet())
	hook, _ := h.Endpoint("https://hooks.example/herald", domain.EventAccountExpiring)

	h.Net.Mu.Lock()
	h.Net.OmitRefresh, h.Net.TokenLife = true, 10*24*time.Hour
	h.Net.Mu.Unlock()
	member := h.ConnectAs("no-refresh")
	if member.HasRefreshToken || member.Renewable() || member.AccessEndsAt().IsZero() {
		t.Fatalf("account connected without a refresh token = %+v; want its access to end at its expiry", member)
	}
	warn := func(want int) {
		t.Helper()
		if n, err := warner.WarnExpiring(h.Ctx); err != nil || n != want {
			t.Fatalf("WarnExpiring at +%s = %d, %v; want %d", clock.Now().Sub(start).Round(time.Hour), n, err, want)
		}
	}
	events := func() []map[string]any {
		t.Helper()
		rows, err := h.DB.SQL().QueryContext(h.Ctx, `SELECT data FROM webhook_events WHERE company_id = $1 AND type = 'account.expiring' ORDER BY created_at`, string(h.Owner.CompanyID))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []map[string]any
		for rows.Next() {
			var raw []byte
			var data map[string]any
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &data); err != nil {
				t.Fatal(err)
			}
			out = append(out, data["account"].(map[string]any))
		}
		return out
	}

	warn(0) // ten days ahead
	clock.Set(start.Add(3*24*time.Hour + time.Hour))
	warn(1) // now within seven days
	warn(0) // the same expiry is announced once
	got := events()
	if len(got) != 1 || got[0]["id"] != string(member.ID) || got[0]["access_ends_at"] != member.TokenExpiresAt.UTC().Format(time.RFC3339) {
		t.Fatalf("account.expiring events = %v; want one about %s ending %s", got, member.ID, member.TokenExpiresAt)
	}
	if ds := h.Deliveries(hook); len(ds) != 1 || ds[0].EventType != domain.EventAccountExpiring {
		t.Errorf("deliveries = %+v; want one account.expiring delivery", ds)
	}
	var audited int
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'account.expiring' AND subject = $2`,
		string(h.Owner.CompanyID), string(member.ID)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit entries = %d, %v; want 1", audited, err)
	}

	// Reconnecting brings a new expiry, twenty days on: warned about when it comes near.
	h.Net.Mu.Lock()
	h.Net.TokenLife = 20 * 24 * time.Hour
	h.Net.Mu.Unlock()
	h.ConnectAs("no-refresh")
	warn(0)
	clock.Set(start.Add(14 * 24 * time.Hour))
	warn(1)
	if got := events(); len(got) != 2 {
		t.Errorf("account.expiring events after the reconnect's expiry came near = %d, want 2", len(got))
	}
}
