package app_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/media"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestPublishPost_StaleVersionsDoNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	p := h.Draft("v1")
	s1, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := h.Posts.Update(h.Ctx, h.Owner, p.ID, domain.PostInput{Content: "v2", AccountIDs: []domain.AccountID{h.Account.ID}}, s1.Version())
	if err != nil {
		t.Fatal(err)
	}
	if s2.Status() != domain.PostScheduled || s2.Version() <= s1.Version() {
		t.Fatalf("edit of a scheduled post: %s v%d", s2.Status(), s2.Version())
	}
	if n := h.JobCount("publish_post", p.ID); n != 2 {
		t.Errorf("publish_post jobs = %d, want the stale one and the new one", n)
	}
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, s1.Version()); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(p.ID); got.Status() != domain.PostScheduled || h.JobCount("publish_target", p.ID) != 0 {
		t.Fatalf("the stale job acted: %s", got.Status())
	}
	u, err := h.Posts.Unschedule(h.Ctx, h.Owner, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, s2.Version()); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(p.ID); got.Status() != domain.PostDraft || got.Version() != u.Version() {
		t.Errorf("a job of an unscheduled post acted: %s", got.Status())
	}
	// A target job of an old version does nothing either.
	if err := h.Publishing.PublishTarget(h.Ctx, app.TargetJob{Company: p.CompanyID, Post: p.ID, Account: h.Account.ID, Version: s2.Version()}); err != nil {
		t.Fatal(err)
	}
	if h.Net.Calls.Load() != 0 {
		t.Errorf("a stale target job called the platform %d times", h.Net.Calls.Load())
	}
	// Deleted posts: the job finds nothing and succeeds.
	if err := h.Posts.Delete(h.Ctx, h.Owner, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, u.Version()); err != nil {
		t.Errorf("job of a deleted post: %v", err)
	}
}

func TestPublishTarget_ErrorClasses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)

	t.Run("transient then success", func(t *testing.T) {
		_, j := h.Claim("transient")
		h.Net.Mu.Lock()
		h.Net.Script = func(n int, r string) error {
			if r == apptest.Ref(j) && h.Net.Published(r) == 0 && n%2 == 1 {
				return domain.Errorf(domain.CodeUnavailable, "Sandbox is having a moment (503).")
			}
			return nil
		}
		h.Net.Mu.Unlock()
		var retry *app.Retry
		for i := 0; i < 3; i++ {
			err := h.Publishing.PublishTarget(h.Ctx, j)
			if err == nil {
				break
			}
			if !errors.As(err, &retry) || retry.After < 700*time.Millisecond {
				t.Fatalf("PublishTarget = %v, want a retry after the backoff", err)
			}
			if tg := h.Get(j.Post).Targets[0]; tg.AttemptOpen() || tg.Status() != domain.TargetPublishing || !strings.Contains(tg.Reason(), "503") {
				t.Fatalf("after a transient error: %s open=%v %q", tg.Status(), tg.AttemptOpen(), tg.Reason())
			}
		}
		p := h.Get(j.Post)
		if p.Status() != domain.PostPublished || p.Targets[0].ExternalID() != "ext-"+apptest.Ref(j) || p.Targets[0].Attempts() < 2 {
			t.Errorf("post %s target %s attempts %d", p.Status(), p.Targets[0].ExternalID(), p.Targets[0].Attempts())
		}
		if h.Net.Published(apptest.Ref(j)) != 1 {
			t.Errorf("published %d times", h.Net.Published(apptest.Ref(j)))
		}
	})

	t.Run("rate limited honours Retry-After", func(t *testing.T) {
		_, j := h.Claim("rate limited")
		h.Net.Mu.Lock()
		h.Net.Script = func(n int, r string) error {
			if r == apptest.Ref(j) {
				return &domain.Error{Code: domain.CodeRateLimited, Message: "Sandbox: slow down.", RetryAfter: 42 * time.Second}
			}
			return nil
		}
		h.Net.Mu.Unlock()
		var retry *app.Retry
		if err := h.Publishing.PublishTarget(h.Ctx, j); !errors.As(err, &retry) || retry.After < 42*time.Second {
			t.Fatalf("PublishTarget = %v, want a retry after 42s", err)
		}
		// Out of attempts (3), the target fails with the last reason.
		for i := 0; i < 2; i++ {
			_ = h.Publishing.PublishTarget(h.Ctx, j)
		}
		p := h.Get(j.Post)
		if p.Status() != domain.PostFailed || !strings.Contains(p.Targets[0].Reason(), "Gave up after 3 attempts") || !strings.Contains(p.Targets[0].Reason(), "slow down") {
			t.Errorf("after 3 attempts: %s %q", p.Status(), p.Targets[0].Reason())
		}
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil || h.Get(j.Post).Targets[0].Attempts() != 3 {
			t.Errorf("a failed target was attempted again: %v", err)
		}
	})

	t.Run("permanent fails at once", func(t *testing.T) {
		_, j := h.Claim("permanent")
		h.Net.Mu.Lock()
		h.Net.Script = func(n int, r string) error {
			if r == apptest.Ref(j) {
				return domain.Errorf(domain.CodeInvalid, "Sandbox rejected this post: images must be JPEG.")
			}
			return nil
		}
		h.Net.Mu.Unlock()
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatalf("PublishTarget = %v", err)
		}
		p := h.Get(j.Post)
		if p.Status() != domain.PostFailed || p.Targets[0].Reason() != "Sandbox rejected this post: images must be JPEG." || p.Targets[0].Attempts() != 1 {
			t.Errorf("post %s, target %q after %d attempts", p.Status(), p.Targets[0].Reason(), p.Targets[0].Attempts())
		}
	})
}

func TestPublishTarget_AuthRefreshesOnceThenAsksToReconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	_, j := h.Claim("auth")
	// The network revokes the access token: one refresh fixes it.
	h.Net.Mu.Lock()
	h.Net.AccessToken = "revoked-and-replaced"
	h.Net.Mu.Unlock()
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatalf("PublishTarget = %v", err)
	}
	if p := h.Get(j.Post); p.Status() != domain.PostPublished || h.Net.Refreshes.Load() != 1 {
		t.Fatalf("post %s after %d refreshes", p.Status(), h.Net.Refreshes.Load())
	}
	// The rotated tokens were saved: the next publish needs no refresh.
	_, j2 := h.Claim("auth 2")
	if err := h.Publishing.PublishTarget(h.Ctx, j2); err != nil || h.Net.Refreshes.Load() != 1 {
		t.Fatalf("second publish: %v, refreshes %d", err, h.Net.Refreshes.Load())
	}
	// Now the grant is gone: the refresh is refused, the account needs a person.
	_, j3 := h.Claim("auth 3")
	h.Net.Mu.Lock()
	h.Net.AccessToken, h.Net.RefreshToken = "gone", "gone"
	h.Net.Mu.Unlock()
	if err := h.Publishing.PublishTarget(h.Ctx, j3); err != nil {
		t.Fatalf("PublishTarget = %v", err)
	}
	p := h.Get(j3.Post)
	if p.Status() != domain.PostFailed || !strings.Contains(p.Targets[0].Reason(), "Reconnect") {
		t.Errorf("post %s, reason %q", p.Status(), p.Targets[0].Reason())
	}
	a, err := h.Accounts.List(h.Ctx, h.Owner)
	if err != nil || len(a) != 1 || a[0].Status != domain.AccountReauthRequired || !strings.Contains(a[0].StatusReason, "invalid_grant") {
		t.Errorf("account after a refused refresh: %+v %v", a, err)
	}
	// A new post to that account is refused at schedule time, clearly.
	q := h.Draft("after reauth")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, q.ID, time.Time{}, 0); domain.CodeOf(err) != domain.CodeInvalid ||
		!strings.Contains(domain.FieldsOf(err)["targets."+string(h.Account.ID)], "reconnected") {
		t.Errorf("schedule to a reauth_required account: %v %v", err, domain.FieldsOf(err))
	}
	// Reconnecting makes it active again, with the same id (no duplicate).
	h.Net.Mu.Lock()
	h.Net.AccessToken, h.Net.RefreshToken = "at-new", "rt-new"
	h.Net.Mu.Unlock()
	if again := h.Connect(h.Owner); again.ID != h.Account.ID || again.Status != domain.AccountActive {
		t.Errorf("reconnect: %+v", again)
	}
}

func TestPublishTarget_RefreshIsSingleFlightUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	var jobs []app.TargetJob
	for i := range 8 {
		_, j := h.Claim(fmt.Sprintf("concurrent %d", i))
		jobs = append(jobs, j)
	}
	// The stored access token stops working; refresh tokens rotate, so a second refresh
	// with the old refresh token would be refused (and disconnect the account).
	h.Net.Mu.Lock()
	h.Net.AccessToken = "rotated-away"
	h.Net.Mu.Unlock()
	h.Net.RefreshDelay = 200 * time.Millisecond
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.Publishing.PublishTarget(h.Ctx, j)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
		if p := h.Get(jobs[i].Post); p.Status() != domain.PostPublished {
			t.Errorf("post %d: %s %q", i, p.Status(), p.Targets[0].Reason())
		}
	}
	if n := h.Net.Refreshes.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
}

func TestPublishTarget_InterruptedAttemptNeverPublishesTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)

	t.Run("answer lost after the platform published", func(t *testing.T) {
		_, j := h.Claim("lost answer")
		h.Net.Mu.Lock()
		h.Net.Script = func(n int, r string) error {
			if r == apptest.Ref(j) && h.Net.Published(r) == 0 {
				h.Net.Record(r) // the platform published...
				return errLost  // ...and the answer never arrived
			}
			return nil
		}
		h.Net.Mu.Unlock()
		var retry *app.Retry
		if err := h.Publishing.PublishTarget(h.Ctx, j); !errors.As(err, &retry) {
			t.Fatalf("PublishTarget = %v, want a retry", err)
		}
		if tg := h.Get(j.Post).Targets[0]; !tg.AttemptOpen() {
			t.Fatal("an ambiguous failure closed the attempt")
		}
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatalf("retry: %v", err)
		}
		p := h.Get(j.Post)
		if p.Status() != domain.PostPublished || p.Targets[0].ExternalID() != "ext-"+apptest.Ref(j) || h.Net.Published(apptest.Ref(j)) != 1 {
			t.Errorf("post %s, external %q, published %d times", p.Status(), p.Targets[0].ExternalID(), h.Net.Published(apptest.Ref(j)))
		}
	})

	t.Run("an error without the maybe-published signal closes the attempt", func(t *testing.T) {
		_, j := h.Claim("plain network error")
		var failed atomic.Bool
		h.Net.Mu.Lock()
		h.Net.Script = func(n int, r string) error {
			if r == apptest.Ref(j) && failed.CompareAndSwap(false, true) {
				return errNetwork // the connection failed before the request went out
			}
			return nil
		}
		h.Net.Mu.Unlock()
		var retry *app.Retry
		if err := h.Publishing.PublishTarget(h.Ctx, j); !errors.As(err, &retry) {
			t.Fatalf("PublishTarget = %v, want a retry", err)
		}
		if tg := h.Get(j.Post).Targets[0]; tg.AttemptOpen() {
			t.Fatal("an error that promises nothing was sent left the attempt open (the retry would look the post up first)")
		}
	})

	// The worker died after recording its attempt: the open attempt is all that is left.
	crash := func(t *testing.T, content string, platformGotIt bool) app.TargetJob {
		return h.Crashed(t, content, platformGotIt)
	}

	t.Run("crash after the platform published", func(t *testing.T) {
		j := crash(t, "crash published", true)
		before := h.Net.Calls.Load()
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
		if p := h.Get(j.Post); p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(j)) != 1 || h.Net.Calls.Load() != before {
			t.Errorf("post %s, published %d times, %d new calls", p.Status(), h.Net.Published(apptest.Ref(j)), h.Net.Calls.Load()-before)
		}
	})

	t.Run("crash before the platform got it", func(t *testing.T) {
		j := crash(t, "crash not published", false)
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
		p := h.Get(j.Post)
		if p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(j)) != 1 || p.Targets[0].Attempts() != 2 {
			t.Errorf("post %s, published %d times, attempts %d", p.Status(), h.Net.Published(apptest.Ref(j)), p.Targets[0].Attempts())
		}
	})

	t.Run("crash on a platform that cannot look up posts", func(t *testing.T) {
		h2 := newHarness(t, app.PublishingConfig{}, false)
		h2.Net.CanLookup = false
		_, j := h2.Claim("no lookup")
		_ = h2.DB.InTx(h2.Ctx, func(tx ports.Tx) error {
			p, _ := tx.Posts().Lock(h2.Ctx, j.Company, j.Post)
			tg, _ := p.Target(j.Account)
			_ = tg.StartAttempt()
			return tx.Posts().SaveTarget(h2.Ctx, j.Company, j.Post, *tg)
		})
		if err := h2.Publishing.PublishTarget(h2.Ctx, j); err != nil {
			t.Fatal(err)
		}
		p := h2.Get(j.Post)
		if p.Targets[0].Status() != domain.TargetUnknown || p.Status() != domain.PostFailed || h2.Net.Calls.Load() != 0 {
			t.Errorf("target %s, post %s, %d calls", p.Targets[0].Status(), p.Status(), h2.Net.Calls.Load())
		}
		if !strings.Contains(p.Targets[0].Reason(), "cannot tell whether the post exists") {
			t.Errorf("reason %q", p.Targets[0].Reason())
		}
	})
}

func TestPublish_SuspendedCompanyAndDisconnectedAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	p := h.Draft("suspended")
	q := h.Draft("not while suspended") // drafted before: a suspended company cannot write posts
	s, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	setStatus := func(st domain.CompanyStatus) {
		t.Helper()
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE companies SET status = $2 WHERE id = $1`, string(h.Owner.CompanyID), string(st)); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(domain.CompanySuspended)
	if err := h.Publishing.PublishPost(h.Ctx, p.CompanyID, p.ID, s.Version()); err != nil {
		t.Fatal(err)
	}
	got := h.Get(p.ID)
	if got.Status() != domain.PostFailed || !strings.Contains(got.Targets[0].Reason(), "suspended") || h.Net.Calls.Load() != 0 {
		t.Errorf("suspended: post %s, reason %q, calls %d", got.Status(), got.Targets[0].Reason(), h.Net.Calls.Load())
	}
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, q.ID, time.Time{}, 0); domain.CodeOf(err) != domain.CodeSuspended {
		t.Errorf("schedule while suspended: %v", err)
	}
	setStatus(domain.CompanyActive)

	r := h.Draft("disconnect me")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, r.ID, time.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Accounts.Disconnect(h.Ctx, h.Owner, h.Account.ID); err != nil {
		t.Fatal(err)
	}
	got = h.Get(r.ID)
	if got.Status() != domain.PostFailed || !strings.Contains(got.Targets[0].Reason(), "disconnected") {
		t.Errorf("after disconnect: post %s, reason %q", got.Status(), got.Targets[0].Reason())
	}
	if err := h.Accounts.Disconnect(h.Ctx, h.Owner, h.Account.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("disconnect twice: %v", err)
	}
	var access []byte
	var refresh []byte
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT access_token, refresh_token FROM social_accounts WHERE id = $1`, string(h.Account.ID)).Scan(&access, &refresh); err != nil {
		t.Fatal(err)
	}
	if len(access) != 0 || refresh != nil {
		t.Errorf("a disconnected account keeps tokens: %d and %d bytes", len(access), len(refresh))
	}
}

func TestRotateKeys_ReencryptsUnderTheNewKeyAndKeepsPublishing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	newKey := "k2:" + "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	both, err := secret.ParseKeyRing(newKey + "," + testKeys)
	if err != nil {
		t.Fatal(err)
	}
	platforms := app.NewPlatforms([]ports.Platform{h.Net}, time.Now)
	rotated := app.NewCredentials(h.DB, both, platforms, time.Now, quiet())
	if n, err := rotated.RotateKeys(h.Ctx); err != nil || n != 1 {
		t.Fatalf("RotateKeys = %d, %v; want 1 account", n, err)
	}
	if n, err := rotated.RotateKeys(h.Ctx); err != nil || n != 0 {
		t.Errorf("second RotateKeys = %d, %v; want nothing left to do", n, err)
	}
	var access, refresh []byte
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT access_token, refresh_token FROM social_accounts WHERE id = $1`, string(h.Account.ID)).Scan(&access, &refresh); err != nil {
		t.Fatal(err)
	}
	if both.Stale(access) || both.Stale(refresh) || strings.Contains(string(access), "at-0") {
		t.Errorf("tokens after rotation: stale %v/%v", both.Stale(access), both.Stale(refresh))
	}
	// With the old key gone, the account still publishes.
	onlyNew, err := secret.ParseKeyRing(newKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := app.NewPublishing(h.DB, app.NewCredentials(h.DB, onlyNew, platforms, time.Now, quiet()), platforms, app.PublishingConfig{MaxAttempts: 3, Backoff: time.Second, MaxBackoff: time.Minute, CallTimeout: 5 * time.Second}, time.Now, quiet())
	_, j := h.Claim("after rotation")
	if err := pub.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if p := h.Get(j.Post); p.Status() != domain.PostPublished {
		t.Errorf("post after rotation: %s %q", p.Status(), p.Targets[0].Reason())
	}
	// And a ring that lacks the key cannot open them: the ciphertexts are real.
	old, _ := secret.ParseKeyRing(testKeys)
	if _, err := old.Open(access, []byte("anything")); err == nil {
		t.Error("the old key opened a token sealed under the new one")
	}
}

func TestConnect_StateIsSingleUseExpiresAndBelongsToItsStarter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	clock := apptest.NewClock() // stopped by Set, moved by Advance
	clock.Set(time.Now())
	now := clock.Now
	platforms := app.NewPlatforms([]ports.Platform{h.Net}, now)
	accounts := app.NewAccounts(h.DB, h.Authz, app.NewCredentials(h.DB, h.KeyRing, platforms, now, quiet()), platforms,
		func(p domain.Platform) string { return "http://herald.test/cb/" + string(p) }, now, quiet())
	start := func(actor domain.Actor) string {
		t.Helper()
		u, err := accounts.Connect(h.Ctx, actor, "sandbox", "https://evil.example/")
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := url.Parse(u)
		return parsed.Query().Get("state")
	}
	state := start(h.Owner)
	clock.Advance(app.ConnectFlowLifetime + time.Second)
	if _, err := accounts.Callback(h.Ctx, h.Owner.UserID, "sandbox", state, "good-code", "", ""); !errors.Is(err, app.ErrConnectExpired) {
		t.Errorf("an expired state: %v", err)
	}
	state = start(h.Owner)
	// Nobody signed in: nothing is taken, the starter can still finish after signing in.
	if _, err := accounts.Callback(h.Ctx, "", "sandbox", state, "good-code", "", ""); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Errorf("callback by state alone: %v, want CodeUnauthenticated", err)
	}
	other := h.newCompany("Other", domain.RoleOwner)
	if _, err := accounts.Callback(h.Ctx, other.UserID, "sandbox", state, "good-code", "", ""); !errors.Is(err, app.ErrConnectOtherUser) {
		t.Errorf("someone else's browser finished the flow: %v", err)
	}
	done, err := accounts.Callback(h.Ctx, h.Owner.UserID, "sandbox", state, "good-code", "", "")
	if err != nil || len(done.Accounts) != 1 || done.ReturnTo != "/accounts" {
		t.Fatalf("callback by its starter = %+v, %v (a foreign return path must fall back to /accounts)", done, err)
	}
	if _, err := accounts.Callback(h.Ctx, h.Owner.UserID, "sandbox", state, "good-code", "", ""); !errors.Is(err, app.ErrConnectExpired) {
		t.Errorf("a state used twice: %v", err)
	}
	state = start(h.Owner)
	if _, err := accounts.Callback(h.Ctx, h.Owner.UserID, "sandbox", state, "", "access_denied", ""); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("denied consent: %v", err)
	}
	state = start(h.Owner)
	if _, err := accounts.Callback(h.Ctx, h.Owner.UserID, "sandbox", state, "bad-code", "", ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("a code the platform refuses: %v", err)
	}
	// The verifier is stored sealed, never in the clear.
	var verifier []byte
	start(h.Owner)
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT verifier FROM oauth_states LIMIT 1`).Scan(&verifier); err != nil {
		t.Fatal(err)
	}
	if len(verifier) < 43+28 {
		t.Errorf("verifier column holds %d bytes; want a sealed verifier", len(verifier))
	}
}

func TestResolveTarget_APersonSettlesAnUnknownTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Net.CanLookup = false
	unknown := func(content string) app.TargetJob {
		t.Helper()
		_, j := h.Claim(content)
		_ = h.DB.InTx(h.Ctx, func(tx ports.Tx) error { // a worker died after recording its attempt
			p, _ := tx.Posts().Lock(h.Ctx, j.Company, j.Post)
			tg, _ := p.Target(j.Account)
			_ = tg.StartAttempt()
			return tx.Posts().SaveTarget(h.Ctx, j.Company, j.Post, *tg)
		})
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
		if p := h.Get(j.Post); p.Targets[0].Status() != domain.TargetUnknown {
			t.Fatalf("target %s, want unknown", p.Targets[0].Status())
		}
		return j
	}

	j := unknown("it was there")
	if _, err := h.Posts.ResolveTarget(h.Ctx, h.Owner, j.Post, j.Account, true, "javascript:alert(1)", 0); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("resolve with a bad address: %v", err)
	}
	p, err := h.Posts.ResolveTarget(h.Ctx, h.Owner, j.Post, j.Account, true, "https://fake.example/p/found", 0)
	if err != nil || p.Status() != domain.PostPublished || p.Targets[0].ExternalURL() != "https://fake.example/p/found" {
		t.Fatalf("resolved as published: %v %s", err, p.Status())
	}
	if _, err := h.Posts.ResolveTarget(h.Ctx, h.Owner, j.Post, j.Account, false, "", 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("resolve a published target: %v", err)
	}
	if h.Net.Calls.Load() != 0 {
		t.Errorf("resolving called the platform %d times", h.Net.Calls.Load())
	}

	j = unknown("it was not there")
	p, err = h.Posts.ResolveTarget(h.Ctx, h.Owner, j.Post, j.Account, false, "", 0)
	if err != nil || p.Status() != domain.PostPublishing || p.Version() <= j.Version {
		t.Fatalf("resolved as not published: %v %s v%d", err, p.Status(), p.Version())
	}
	if n := h.JobCount("publish_target", j.Post); n != 2 {
		t.Errorf("publish_target jobs = %d, want the first and the retry", n)
	}
	if err := h.Publishing.PublishTarget(h.Ctx, app.TargetJob{Company: j.Company, Post: j.Post, Account: j.Account, Version: p.Version()}); err != nil {
		t.Fatal(err)
	}
	if p := h.Get(j.Post); p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(j)) != 1 {
		t.Errorf("after publishing again: %s, published %d times", p.Status(), h.Net.Published(apptest.Ref(j)))
	}
	other := h.newCompany("Other", domain.RoleOwner)
	if _, err := h.Posts.ResolveTarget(h.Ctx, other, j.Post, j.Account, true, "", 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company resolves our target: %v", err)
	}
}

func TestSweep_StalledPostsGetTheirJobsBackOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	// A scheduled post whose job River lost, and one whose job is still there.
	lost := h.Draft("lost job")
	lost, err := h.Posts.Schedule(h.Ctx, h.Owner, lost.ID, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	kept := h.Draft("kept job")
	if kept, err = h.Posts.Schedule(h.Ctx, h.Owner, kept.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	// A publishing post whose target job River discarded.
	_, j := h.Claim("discarded target job")
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `DELETE FROM river_job WHERE args->>'post_id' = ANY($1)`,
		[]string{string(lost.ID), string(j.Post)}); err != nil {
		t.Fatal(err)
	}
	// Nothing is old enough yet.
	if n, err := h.Publishing.Sweep(h.Ctx, time.Hour, time.Hour); err != nil || n != 0 {
		t.Fatalf("Sweep of fresh posts = %d, %v", n, err)
	}
	n, err := h.Publishing.Sweep(h.Ctx, -time.Minute, -time.Minute) // everything unfinished counts as stalled
	if err != nil || n != 3 {
		t.Fatalf("Sweep = %d, %v; want the 3 unfinished posts", n, err)
	}
	for _, c := range []struct {
		kind string
		post domain.PostID
		want int
	}{{"publish_post", lost.ID, 1}, {"publish_post", kept.ID, 1}, {"publish_target", j.Post, 1}} {
		if got := h.JobCount(c.kind, c.post); got != c.want {
			t.Errorf("%s jobs for %s = %d, want %d", c.kind, c.post, got, c.want)
		}
	}
	// Sweeping again inserts nothing new: the jobs exist.
	if _, err := h.Publishing.Sweep(h.Ctx, -time.Minute, -time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := h.JobCount("publish_target", j.Post); got != 1 {
		t.Errorf("a second sweep duplicated the target job: %d", got)
	}
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	if p := h.Get(j.Post); p.Status() != domain.PostPublished || h.Net.Published(apptest.Ref(j)) != 1 {
		t.Errorf("swept post: %s, published %d times", p.Status(), h.Net.Published(apptest.Ref(j)))
	}
}

func TestRenewExpiring_RenewsAheadAndNeverDisconnectsAWorkingToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	expiry := func() time.Time {
		t.Helper()
		var at time.Time
		if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT token_expires_at FROM social_accounts WHERE id = $1`, string(h.Account.ID)).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	before := expiry() // the fake network's tokens last an hour
	if n, err := h.Credentials.RenewExpiring(h.Ctx, 30*time.Minute); err != nil || n != 0 || h.Net.Refreshes.Load() != 0 {
		t.Fatalf("nothing expires within 30 minutes: renewed %d, %v, %d refreshes", n, err, h.Net.Refreshes.Load())
	}
	if n, err := h.Credentials.RenewExpiring(h.Ctx, 2*time.Hour); err != nil || n != 1 || h.Net.Refreshes.Load() != 1 || !expiry().After(before) {
		t.Fatalf("renew within 2 hours: renewed %d, %v, %d refreshes, expiry %s -> %s", n, err, h.Net.Refreshes.Load(), before, expiry())
	}
	// The renewed token publishes without another refresh.
	_, j := h.Claim("after renewal")
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil || h.Net.Refreshes.Load() != 1 {
		t.Fatalf("publish after renewal: %v, %d refreshes", err, h.Net.Refreshes.Load())
	}
	// A platform that refuses to renew a token that still works leaves the account alone.
	h.Net.Mu.Lock()
	h.Net.RefreshFn = func() error { return domain.Errorf(domain.CodeUnauthenticated, "this app cannot refresh tokens") }
	h.Net.Mu.Unlock()
	if _, err := h.Credentials.RenewExpiring(h.Ctx, 2*time.Hour); err != nil {
		t.Errorf("a refused early renewal is not an error: %v", err)
	}
	a, err := h.Accounts.List(h.Ctx, h.Owner)
	if err != nil || len(a) != 1 || a[0].Status != domain.AccountActive {
		t.Errorf("account after a refused early renewal: %+v %v", a, err)
	}
	_, j = h.Claim("still works")
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil || h.Get(j.Post).Status() != domain.PostPublished {
		t.Errorf("publish with the still-valid token: %v", err)
	}
}

// TestSchedule_MediaIsCheckedBeforeScheduling looks at media files the way Instagram will
// fetch them: a PNG, a too-tall image or a missing file is refused at schedule time with
// the file named, and a fitting JPEG schedules.
func TestSchedule_MediaIsCheckedBeforeScheduling(t *testing.T) {
	t.Parallel()
	jpg := func(w, h int) []byte {
		var b bytes.Buffer
		_ = jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil)
		return b.Bytes()
	}
	var pngb bytes.Buffer
	_ = png.Encode(&pngb, image.NewRGBA(image.Rect(0, 0, 100, 100)))
	files := map[string][]byte{"/ok.jpg": jpg(1080, 1350), "/tall.jpg": jpg(1080, 1920), "/logo.png": pngb.Bytes()}
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(cdn.Close)
	h := newHarnessFor(t, app.PublishingConfig{}, false, domain.Instagram, media.New(media.Options{AllowPrivate: true}))
	post := func(urls ...string) domain.Post {
		t.Helper()
		p, err := h.Posts.Create(h.Ctx, h.Owner, domain.PostInput{Content: "x", MediaURLs: urls, AccountIDs: []domain.AccountID{h.Account.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := post(cdn.URL+"/ok.jpg", cdn.URL+"/logo.png", cdn.URL+"/tall.jpg", cdn.URL+"/gone.jpg")
	_, err := h.Posts.Schedule(h.Ctx, h.Owner, bad.ID, time.Time{}, 0)
	f := domain.FieldsOf(err)
	if domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(f["media_urls[3]"], "404") {
		t.Fatalf("schedule with a missing file: %v %v", err, f)
	}
	if n := h.JobCount("publish_post", bad.ID); n != 0 {
		t.Errorf("a refused schedule left %d jobs", n)
	}
	// Without the missing file, the others are judged by what they are.
	edited, err := h.Posts.Update(h.Ctx, h.Owner, bad.ID, domain.PostInput{Content: "x", MediaURLs: []string{cdn.URL + "/ok.jpg", cdn.URL + "/logo.png", cdn.URL + "/tall.jpg"},
		AccountIDs: []domain.AccountID{h.Account.ID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Posts.Schedule(h.Ctx, h.Owner, edited.ID, time.Time{}, 0)
	f = domain.FieldsOf(err)
	if !strings.Contains(f["media_urls[1]"], "image/png; Instagram takes image/jpeg") || !strings.Contains(f["media_urls[2]"], "Instagram takes 0.80 to 1.91") || f["media_urls[0]"] != "" {
		t.Fatalf("schedule with a PNG and a too-tall image: %v", f)
	}
	good := post(cdn.URL + "/ok.jpg")
	if p, err := h.Posts.Schedule(h.Ctx, h.Owner, good.ID, time.Time{}, 0); err != nil || p.Status() != domain.PostScheduled {
		t.Fatalf("schedule a fitting JPEG: %v", err)
	}
	// Editing a scheduled post to a bad file is refused too, and the post keeps its old media.
	_, err = h.Posts.Update(h.Ctx, h.Owner, good.ID, domain.PostInput{Content: "x", MediaURLs: []string{cdn.URL + "/logo.png"}, AccountIDs: []domain.AccountID{h.Account.ID}}, 0)
	if domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("edit a scheduled post to a PNG: %v", err)
	}
	if p := h.Get(good.ID); len(p.MediaURLs) != 1 || !strings.HasSuffix(p.MediaURLs[0], "/ok.jpg") {
		t.Errorf("the refused edit changed the post: %v", p.MediaURLs)
	}
}

func TestCollectMetrics_SnapshotsOnScheduleAndSnoozesOnRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	clock := apptest.NewClock() // stopped by Set, moved by Advance
	clock.Set(time.Now())
	now := clock.Now
	an := app.NewAnalytics(h.DB, h.Authz, h.Credentials, h.Platforms, domain.DefaultMetricsSchedule, now, quiet())
	var likes atomic.Int64
	h.Net.Mu.Lock()
	h.Net.MetricsFn = func(id string) (domain.Metrics, error) {
		n := likes.Add(10)
		return domain.Metrics{Likes: n, Comments: n / 10, Shares: 1, Reach: n * 5, Impressions: n * 9}, nil
	}
	h.Net.Mu.Unlock()
	// Nothing published yet: nothing due.
	if due, err := an.DueAccounts(h.Ctx); err != nil || len(due) != 0 {
		t.Fatalf("DueAccounts before publishing = %v, %v", due, err)
	}
	var jobs []app.TargetJob
	for i := range 3 {
		_, j := h.Claim(fmt.Sprintf("measured %d", i))
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	due, err := an.DueAccounts(h.Ctx)
	if err != nil || len(due) != 1 || due[0].Account != h.Account.ID || due[0].Company != h.Owner.CompanyID {
		t.Fatalf("DueAccounts = %v, %v", due, err)
	}
	if n, err := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID); err != nil || n != 3 {
		t.Fatalf("first collection = %d, %v", n, err)
	}
	if n, _ := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID); n != 0 {
		t.Errorf("a second collection at once collected %d", n)
	}
	snapshots := func() int {
		var n int
		_ = h.DB.SQL().QueryRowContext(h.Ctx, `SELECT count(*) FROM metric_snapshots WHERE company_id = $1`, string(h.Owner.CompanyID)).Scan(&n)
		return n
	}
	// 16 minutes later every target is due again (every 15 minutes while new).
	clock.Advance(16 * time.Minute)
	if n, err := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID); err != nil || n != 3 || snapshots() != 6 {
		t.Fatalf("collection after 16 minutes = %d, %v; %d snapshots", n, err, snapshots())
	}
	var latest, next time.Time
	var l int64
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT likes, metrics_at, metrics_next_at FROM post_targets WHERE company_id = $1 AND post_id = $2`,
		string(h.Owner.CompanyID), string(jobs[0].Post)).Scan(&l, &latest, &next); err != nil {
		t.Fatal(err)
	}
	if l == 0 || next.Sub(latest) != 15*time.Minute {
		t.Errorf("latest likes %d, next collection %s after the last", l, next.Sub(latest))
	}
	// A rate limit snoozes the account's collection with the platform's wait; nothing is lost.
	clock.Advance(16 * time.Minute)
	h.Net.Mu.Lock()
	h.Net.MetricsFn = func(string) (domain.Metrics, error) {
		return domain.Metrics{}, &domain.Error{Code: domain.CodeRateLimited, Message: "slow down", RetryAfter: 90 * time.Second}
	}
	h.Net.Mu.Unlock()
	n, err := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID)
	var retry *app.Retry
	if !errors.As(err, &retry) || retry.After != 90*time.Second || n != 0 || snapshots() != 6 {
		t.Errorf("rate limited collection = %d, %v", n, err)
	}
	if due, _ := an.DueAccounts(h.Ctx); len(due) != 1 {
		t.Errorf("after a rate limit the account's targets are not due any more: %v", due)
	}
	// A platform that does not share a post's numbers stops its collection for good, with
	// a note the pages and the API show.
	clock.Advance(2 * time.Minute)
	h.Net.Mu.Lock()
	h.Net.MetricsFn = func(id string) (domain.Metrics, error) {
		if id == "ext-"+apptest.Ref(jobs[0]) {
			return domain.Metrics{}, &domain.Error{Code: domain.CodeForbidden, Message: "LinkedIn does not share personal posts' numbers with apps.", Err: ports.ErrMetricsUnsupported}
		}
		return domain.Metrics{Likes: 1}, nil
	}
	h.Net.Mu.Unlock()
	if n, err := an.CollectAccount(h.Ctx, h.Owner.CompanyID, h.Account.ID); err != nil || n != 2 {
		t.Fatalf("collection with one unsupported post = %d, %v; want the other 2", n, err)
	}
	rep, err := an.Post(h.Ctx, h.Owner, jobs[0].Post)
	if err != nil || len(rep.Targets) != 1 || rep.Targets[0].Note != "LinkedIn does not share personal posts' numbers with apps." {
		t.Fatalf("post analytics = %+v, %v; want the note", rep.Targets, err)
	}
	var stopped bool
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT metrics_next_at IS NULL FROM post_targets WHERE company_id = $1 AND post_id = $2`,
		string(h.Owner.CompanyID), string(jobs[0].Post)).Scan(&stopped); err != nil || !stopped {
		t.Errorf("the unsupported target is still scheduled for collection (%v)", err)
	}
	// Past 30 days, collection stops.
	clock.Advance(31 * 24 * time.Hour)
	if due, _ := an.DueAccounts(h.Ctx); len(due) != 0 {
		t.Errorf("targets older than the schedule are still due: %v", due)
	}
	// Deleting a post removes its history with it.
	if err := h.Posts.Delete(h.Ctx, h.Owner, jobs[0].Post, 0); err != nil {
		t.Fatal(err)
	}
	if got := snapshots(); got != 6 {
		t.Errorf("snapshots after deleting a post = %d, want 6 (8 less its 2)", got)
	}
}

// TestAnalytics_DailySeriesInTheCompanysZoneAcrossSummerTime attributes posts to days of the
// company's calendar (Europe/Berlin leaves summer time on 25 October 2026), fills empty days,
// compares with the previous period, and keeps every company to its own numbers.
func TestAnalytics_DailySeriesInTheCompanysZoneAcrossSummerTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		return tx.Companies().SetSettings(h.Ctx, h.Owner.CompanyID, map[string]string{"time_zone": "Europe/Berlin"})
	}); err != nil {
		t.Fatal(err)
	}
	publishAt := func(at string, likes int64) domain.PostID {
		t.Helper()
		_, j := h.Claim("at " + at)
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatal(err)
		}
		if _, err := h.DB.SQL().ExecContext(h.Ctx, `UPDATE post_targets SET published_at = $3, likes = $4::bigint, impressions = $4::bigint * 10
			WHERE company_id = $1 AND post_id = $2`, string(j.Company), string(j.Post), at, likes); err != nil {
			t.Fatal(err)
		}
		return j.Post
	}
	publishAt("2026-10-24T22:30:00Z", 1)          // 00:30 on the 25th, summer time (UTC+2)
	publishAt("2026-10-25T22:30:00Z", 10)         // 23:30 on the 25th, winter time (UTC+1)
	top := publishAt("2026-10-25T23:30:00Z", 100) // 00:30 on the 26th
	publishAt("2026-10-21T12:00:00Z", 1000)       // the previous period (21 to 23 October)
	viewer := h.addViewer()
	r, err := h.Analytics.Overview(h.Ctx, viewer, "2026-10-24", "2026-10-26")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, d := range r.Daily {
		got[d.Date] = d.Likes
	}
	if len(r.Daily) != 3 || got["2026-10-24"] != 0 || got["2026-10-25"] != 11 || got["2026-10-26"] != 100 {
		t.Errorf("daily = %+v", r.Daily)
	}
	if r.Totals.Likes != 111 || r.Totals.Impressions != 1110 || r.Previous.Likes != 1000 || r.Zone != "Europe/Berlin" {
		t.Errorf("totals %+v, previous %+v, zone %s", r.Totals, r.Previous, r.Zone)
	}
	if !r.From.Equal(time.Date(2026, 10, 23, 22, 0, 0, 0, time.UTC)) || !r.To.Equal(time.Date(2026, 10, 26, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("range = %s .. %s, want Berlin midnights", r.From, r.To)
	}
	if len(r.TopPosts) == 0 || r.TopPosts[0].Key != string(top) || len(r.ByPlatform) != 1 || r.ByPlatform[0].Key != "sandbox" {
		t.Errorf("top posts %v, by platform %v", r.TopPosts, r.ByPlatform)
	}
	p, err := h.Analytics.Platform(h.Ctx, viewer, "sandbox", "2026-10-24", "2026-10-26")
	if err != nil || p.Totals.Likes != 111 || len(p.ByAccount) != 1 || p.ByAccount[0].Key != string(h.Account.ID) {
		t.Errorf("platform report = %+v, %v", p, err)
	}
	if p, _ := h.Analytics.Platform(h.Ctx, viewer, "linkedin", "2026-10-24", "2026-10-26"); p.Totals.Likes != 0 {
		t.Errorf("linkedin report counts sandbox posts: %+v", p.Totals)
	}
	if _, err := h.Analytics.Platform(h.Ctx, viewer, "myspace", "", ""); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown platform: %v", err)
	}
	for _, rng := range [][2]string{{"yesterday", ""}, {"2026-10-26", "2026-10-24"}, {"2024-01-01", "2026-01-01"}, {"", "26/10/2026"}} {
		if _, err := h.Analytics.Overview(h.Ctx, viewer, rng[0], rng[1]); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("Overview(%q, %q) = %v, want CodeInvalid", rng[0], rng[1], err)
		}
	}
	// An empty range is all zeros with every day present; the default is the last 30 days.
	if r, err := h.Analytics.Overview(h.Ctx, viewer, "", ""); err != nil || len(r.Daily) != 30 || r.Totals.Likes != 0 {
		t.Errorf("default range: %d days, %+v, %v", len(r.Daily), r.Totals, err)
	}
	// Another company sees none of it, and not this company's posts.
	other := h.newCompany("Other", domain.RoleOwner)
	if r, _ := h.Analytics.Overview(h.Ctx, other, "2026-10-24", "2026-10-26"); r.Totals.Likes != 0 || len(r.TopPosts) != 0 {
		t.Errorf("another company sees %+v", r.Totals)
	}
	if _, err := h.Analytics.Post(h.Ctx, other, top); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company's post report: %v", err)
	}
	if pr, err := h.Analytics.Post(h.Ctx, viewer, top); err != nil || pr.Totals.Likes != 100 || len(pr.Targets) != 1 {
		t.Errorf("post report = %+v, %v", pr, err)
	}
}

// TestAnalytics_SeriesCountsEachTargetOncePerMinute: two collections of a target within one
// minute show its latest numbers, not their sum.
func TestAnalytics_SeriesCountsEachTargetOncePerMinute(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	_, j := h.Claim("series")
	if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Minute)
	for i, imp := range []int64{4, 10} {
		if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
			return tx.Metrics().Record(h.Ctx, j.Company, j.Post, j.Account, at.Add(time.Duration(i+1)*time.Second), domain.Metrics{Impressions: imp}, time.Time{})
		}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := h.Analytics.Post(h.Ctx, h.Owner, j.Post)
	if err != nil || len(r.Series) != 1 || r.Series[0].Impressions != 10 {
		t.Errorf("series = %+v, %v; want one point of 10 impressions", r.Series, err)
	}
}

// TestRetry_KeepsATimeStillAheadAndAsksOnceItPassed fails posts by disconnecting their
// account, reconnects it, and retries them with River running: a post due in 12 days
// stays due then (its job too) instead of going out at once; once a post's time has
// passed (the posts' clock moved ahead), a retry without a choice is refused with a
// message saying to choose, and an explicit "publish now" publishes it.
func TestRetry_KeepsATimeStillAheadAndAsksOnceItPassed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	in12Days := time.Now().Add(12 * 24 * time.Hour).Truncate(time.Minute)
	inAnHour := time.Now().Add(time.Hour).Truncate(time.Second)
	later, soon := h.Draft("due in 12 days"), h.Draft("due in an hour")
	for _, s := range []struct {
		id domain.PostID
		at time.Time
	}{{later.ID, in12Days}, {soon.ID, inAnHour}} {
		if _, err := h.Posts.Schedule(h.Ctx, h.Owner, s.id, s.at, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Accounts.Disconnect(h.Ctx, h.Owner, h.Account.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []domain.PostID{later.ID, soon.ID} {
		if got := h.Get(id); got.Status() != domain.PostFailed {
			t.Fatalf("after disconnect the post is %s, want failed", got.Status())
		}
	}
	if again := h.Connect(h.Owner); again.ID != h.Account.ID {
		t.Fatalf("reconnecting made account %s, want %s again", again.ID, h.Account.ID)
	}

	p, err := h.Posts.Schedule(h.Ctx, h.Owner, later.ID, time.Time{}, 0)
	if err != nil {
		t.Fatalf("retry of a post due in 12 days: %v", err)
	}
	if p.Status() != domain.PostScheduled || !p.ScheduledFor().Equal(in12Days) {
		t.Errorf("retried post is %s for %s, want scheduled for its own time %s", p.Status(), p.ScheduledFor(), in12Days)
	}
	var jobAt time.Time
	if err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'publish_post' AND args->>'post_id' = $1
		AND (args->>'version')::int = $2`, string(later.ID), p.Version()).Scan(&jobAt); err != nil {
		t.Fatalf("the retry's publish job: %v", err)
	}
	if !jobAt.Equal(in12Days) {
		t.Errorf("the retry's job runs at %s, want %s", jobAt, in12Days)
	}

	h.shift(2 * time.Hour) // the hour-away post's time has now passed
	_, err = h.Posts.Schedule(h.Ctx, h.Owner, soon.ID, time.Time{}, 0)
	if domain.CodeOf(err) != domain.CodeConflict || !strings.Contains(domain.MessageOf(err), "choose to publish it now or give it a new time") {
		t.Fatalf("retry without a choice once the time passed: %v, want a conflict asking to choose", err)
	}
	if got := h.Get(soon.ID); got.Status() != domain.PostFailed {
		t.Errorf("a refused retry left the post %s", got.Status())
	}
	newTime := time.Now().Add(5 * time.Hour).Truncate(time.Second)
	if p, err := h.Posts.Schedule(h.Ctx, h.Owner, soon.ID, newTime, 0); err != nil || !p.ScheduledFor().Equal(newTime) {
		t.Fatalf("retry at a new time: %v, scheduled for %s", err, p.ScheduledFor())
	}
	if _, err := h.Posts.Unschedule(h.Ctx, h.Owner, soon.ID, 0); err != nil {
		t.Fatal(err)
	}
	h.shift(0) // "now" as River sees it, so the job runs
	if _, err := h.Posts.PublishNow(h.Ctx, h.Owner, soon.ID, 0); err != nil {
		t.Fatalf("publish now: %v", err)
	}
	apptest.WaitFor(t, "the post published now", 30*time.Second, func() (bool, error) {
		return h.Get(soon.ID).Status() == domain.PostPublished, nil
	})
	if _, posts := h.Net.Total(); h.Get(later.ID).Status() != domain.PostScheduled || posts != 1 {
		t.Errorf("the post due in 12 days is %s; the network got %d posts, want 1 (the one published now)", h.Get(later.ID).Status(), posts)
	}
}
