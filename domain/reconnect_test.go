package domain

import (
	"testing"
	"time"
)

func TestTarget_WaitTakesBackTheOpenAttempt(t *testing.T) {
	var tg Target
	if err := tg.Wait("waiting"); CodeOf(err) != CodeConflict {
		t.Fatalf("Wait without an open attempt = %v, want conflict", err)
	}
	if err := tg.StartAttempt(); err != nil {
		t.Fatal(err)
	}
	if err := tg.Wait("Waiting for the account to be reconnected."); err != nil {
		t.Fatal(err)
	}
	if tg.Attempts() != 0 || tg.AttemptOpen() || tg.Final() || tg.Status() != TargetPublishing || tg.Reason() == "" {
		t.Errorf("after Wait: attempts %d open %v status %s reason %q", tg.Attempts(), tg.AttemptOpen(), tg.Status(), tg.Reason())
	}
	if err := tg.StartAttempt(); err != nil || tg.Attempts() != 1 {
		t.Errorf("the next attempt: %v, attempts %d", err, tg.Attempts())
	}
}

func TestAccount_WaitsForReconnectOnlyAfterALostTokenForADay(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		a    Account
		want bool
	}{
		{"active", Account{Status: AccountActive, TokenLostAt: now}, false},
		{"refused without a lost token", Account{Status: AccountReauthRequired}, false},
		{"lost an hour ago", Account{Status: AccountReauthRequired, TokenLostAt: now.Add(-time.Hour)}, true},
		{"lost over a day ago", Account{Status: AccountReauthRequired, TokenLostAt: now.Add(-TokenLostWait - time.Second)}, false},
		{"disconnected", Account{Status: AccountDisconnected, TokenLostAt: now}, false},
	} {
		if got := c.a.WaitsForReconnect(now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
