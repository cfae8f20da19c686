package platformtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Run runs the conformance suite; newFake starts a fresh fake for each subtest.
func Run(t *testing.T, newFake func(t *testing.T) Fake) {
	t.Helper()
	t.Run("AuthCodeURL", func(t *testing.T) { testAuthCodeURL(t, newFake(t)) })
	t.Run("Exchange", func(t *testing.T) { testExchange(t, newFake(t)) })
	t.Run("ExchangeRefusals", func(t *testing.T) { testExchangeRefusals(t, newFake(t)) })
	t.Run("Refresh", func(t *testing.T) { testRefresh(t, newFake(t)) })
	t.Run("RefreshFailures", func(t *testing.T) { testRefreshFailures(t, newFake(t)) })
	for _, k := range newFake(t).Caps().Kinds {
		t.Run("Publish/"+string(k), func(t *testing.T) { testPublish(t, newFake(t), k) })
		if k != Text {
			t.Run("LibraryMedia/"+string(k), func(t *testing.T) { testLibraryMedia(t, newFake(t), k) })
		}
	}
	t.Run("Duplicate", func(t *testing.T) { testDuplicate(t, newFake(t)) })
	t.Run("RateLimited", func(t *testing.T) { testRateLimited(t, newFake(t)) })
	t.Run("Unavailable", func(t *testing.T) { testUnavailable(t, newFake(t)) })
	t.Run("ExpiredToken", func(t *testing.T) { testExpiredToken(t, newFake(t)) })
	t.Run("LostAnswer", func(t *testing.T) { testLostAnswer(t, newFake(t)) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, newFake(t)) })
	t.Run("Lookup", func(t *testing.T) { testLookup(t, newFake(t)) })
	t.Run("Metrics", func(t *testing.T) { testMetrics(t, newFake(t)) })
	runComments(t, newFake)
}

// timeout bounds every call the suite makes; generous, for a busy machine.
const timeout = 60 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// connected is an account the suite connected through the consent flow.
type connected struct {
	account domain.Account
	creds   domain.Credentials
}

// connect runs the whole consent flow and returns the first account it gave.
func connect(t *testing.T, f Fake) connected {
	t.Helper()
	a := f.Adapter()
	verifier := rand.Text() + rand.Text()
	state := rand.Text()
	code, err := f.Consent(a.AuthCodeURL(state, verifier, f.RedirectURL()))
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	ids, err := a.Exchange(ctxFor(t), code, verifier, f.RedirectURL())
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if len(ids) == 0 {
		t.Fatal("Exchange gave no account")
	}
	id := ids[0]
	return connected{
		account: domain.Account{ID: "acct-" + domain.AccountID(strings.ToLower(rand.Text()[:8])), Platform: a.Platform(),
			ExternalID: id.ExternalID, DisplayName: id.DisplayName, Status: domain.AccountActive},
		creds: id.Credentials,
	}
}

// publication returns a post of kind with a unique reference and text.
func publication(f Fake, k Kind) ports.Publication {
	ref := "post-" + rand.Text()[:10] + "/acct"
	p := ports.Publication{Reference: ref, Text: fmt.Sprintf("Herald conformance %s post %s #herald", k, rand.Text()[:8])}
	switch k {
	case Image:
		p.Media = URLMedia(f.Media(domain.MediaImage, 1))
	case Images:
		p.Media = URLMedia(f.Media(domain.MediaImage, 1), f.Media(domain.MediaImage, 2))
	case Video:
		p.Media = URLMedia(f.Media(domain.MediaVideo, 1))
	}
	return p
}

// anyPost is a publication of the platform's first content kind.
func anyPost(t *testing.T, f Fake) ports.Publication {
	t.Helper()
	kinds := f.Caps().Kinds
	if len(kinds) == 0 {
		t.Fatal("Caps.Kinds is empty: the adapter publishes nothing")
	}
	return publication(f, kinds[0])
}

// checkError fails the test when err carries a secret or is unclassified, and returns its code.
func checkError(t *testing.T, f Fake, what string, err error, c connected) domain.Code {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	secrets := append(f.Secrets(), c.creds.AccessToken, c.creds.RefreshToken)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(err.Error(), s) || strings.Contains(domain.MessageOf(err), s) {
			t.Errorf("%s: the error carries a secret: %v", what, err)
		}
	}
	code := domain.CodeOf(err)
	if code == domain.CodeInternal && !errors.Is(err, domain.ErrMaybePublished) {
		t.Logf("%s: unclassified error (Herald retries it as a network fault): %v", what, err)
	}
	return code
}

// notMaybe fails when err says the platform may have the post although it cannot.
func notMaybe(t *testing.T, what string, err error) {
	t.Helper()
	if errors.Is(err, domain.ErrMaybePublished) {
		t.Errorf("%s: the error says the post may have been published, but nothing was created: %v", what, err)
	}
}

func countPosts(t *testing.T, f Fake, c connected, text string) int {
	t.Helper()
	n := 0
	for _, p := range f.Posts(c.account) {
		if p == text || strings.Contains(p, text) {
			n++
		}
	}
	return n
}

func testAuthCodeURL(t *testing.T, f Fake) {
	a, caps := f.Adapter(), f.Caps()
	verifier := rand.Text() + rand.Text()
	state := "st_" + rand.Text()
	raw := a.AuthCodeURL(state, verifier, f.RedirectURL())
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("AuthCodeURL %q is not an absolute URL: %v", raw, err)
	}
	q := u.Query()
	if got := q.Get("state"); got != state {
		t.Errorf("state = %q, want %q", got, state)
	}
	if got := q.Get("redirect_uri"); got != f.RedirectURL() {
		t.Errorf("redirect_uri = %q, want %q", got, f.RedirectURL())
	}
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	if caps.PKCE {
		if q.Get("code_challenge") != challenge || q.Get("code_challenge_method") != "S256" {
			t.Errorf("PKCE: code_challenge=%q method=%q, want the S256 challenge of the verifier", q.Get("code_challenge"), q.Get("code_challenge_method"))
		}
	} else if q.Has("code_challenge") {
		t.Errorf("the platform takes no PKCE, but the URL carries code_challenge")
	}
	if strings.Contains(raw, verifier) {
		t.Error("the URL carries the PKCE verifier itself")
	}
	for _, s := range f.Secrets() {
		if s != "" && strings.Contains(raw, s) {
			t.Error("the URL carries an app secret")
		}
	}
	param := caps.ScopeParam
	if param == "" {
		param = "scope"
	}
	asked := strings.FieldsFunc(q.Get(param), func(r rune) bool { return r == ' ' || r == ',' })
	for _, s := range caps.Scopes {
		if !slices.Contains(asked, s) {
			t.Errorf("%s = %q does not ask for %q", param, q.Get(param), s)
		}
	}
	// The consent page accepts it.
	if _, err := f.Consent(raw); err != nil {
		t.Errorf("the platform's consent page refused the URL: %v", err)
	}
}

func testExchange(t *testing.T, f Fake) {
	c := connect(t, f)
	if c.account.ExternalID == "" || c.account.DisplayName == "" {
		t.Errorf("Exchange gave an identity without id or name: %+v", c.account)
	}
	if c.creds.AccessToken == "" {
		t.Fatal("Exchange gave no access token")
	}
	if f.Caps().Refresh && c.creds.RefreshToken == "" {
		t.Error("the platform refreshes tokens, but Exchange kept no refresh token")
	}
	// The code is single-use.
	a := f.Adapter()
	verifier := rand.Text() + rand.Text()
	code, err := f.Consent(a.AuthCodeURL(rand.Text(), verifier, f.RedirectURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exchange(ctxFor(t), code, verifier, f.RedirectURL()); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	_, err = a.Exchange(ctxFor(t), code, verifier, f.RedirectURL())
	code2 := checkError(t, f, "Exchange with a used code", err, c)
	if code2 != domain.CodeInvalid && code2 != domain.CodeUnauthenticated {
		t.Errorf("a used code: code %s, want invalid or unauthenticated", code2)
	}
}

func testExchangeRefusals(t *testing.T, f Fake) {
	a := f.Adapter()
	_, err := a.Exchange(ctxFor(t), "not-a-code-"+rand.Text(), rand.Text()+rand.Text(), f.RedirectURL())
	if code := checkError(t, f, "Exchange with an unknown code", err, connected{}); code != domain.CodeInvalid && code != domain.CodeUnauthenticated {
		t.Errorf("an unknown code: code %s, want invalid or unauthenticated (%v)", code, err)
	}
	if !f.Caps().PKCE {
		return
	}
	verifier := rand.Text() + rand.Text()
	code, err := f.Consent(a.AuthCodeURL(rand.Text(), verifier, f.RedirectURL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Exchange(ctxFor(t), code, rand.Text()+rand.Text(), f.RedirectURL())
	if code := checkError(t, f, "Exchange with the wrong verifier", err, connected{}); code != domain.CodeInvalid && code != domain.CodeUnauthenticated {
		t.Errorf("a wrong PKCE verifier: code %s, want invalid or unauthenticated (%v)", code, err)
	}
}

func testRefresh(t *testing.T, f Fake) {
	caps := f.Caps()
	a := f.Adapter()
	c := connect(t, f)
	if !caps.Refresh {
		// Renewal without refresh tokens (Meta's long-lived tokens) still never hands back
		// credentials without an access token.
		next, err := a.Refresh(ctxFor(t), c.creds)
		if err == nil && next.AccessToken == "" {
			t.Error("Refresh answered credentials without an access token")
		}
		if err != nil {
			checkError(t, f, "Refresh without refresh tokens", err, c)
		}
		return
	}
	next, err := a.Refresh(ctxFor(t), c.creds)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == "" || next.AccessToken == c.creds.AccessToken {
		t.Error("Refresh gave no new access token")
	}
	if next.RefreshToken == "" {
		t.Error("Refresh lost the refresh token (a stored refresh token is never replaced by an empty one)")
	}
	if caps.RotatesRefresh {
		if next.RefreshToken == c.creds.RefreshToken {
			t.Error("the platform rotates refresh tokens, but Refresh kept the old one")
		}
		_, err := a.Refresh(ctxFor(t), c.creds)
		if code := checkError(t, f, "Refresh with a rotated-out token", err, c); code != domain.CodeUnauthenticated {
			t.Errorf("an old refresh token: code %s, want unauthenticated (%v)", code, err)
		}
	}
	// The new access token publishes.
	p := anyPost(t, f)
	if _, err := a.Publish(ctxFor(t), next, c.account, p); err != nil {
		t.Errorf("Publish with the refreshed token: %v", err)
	}
}

func testRefreshFailures(t *testing.T, f Fake) {
	if !f.Caps().Refresh {
		t.Skip("the platform does not refresh tokens")
	}
	a := f.Adapter()
	c := connect(t, f)
	f.FailNextRefresh()
	_, err := a.Refresh(ctxFor(t), c.creds)
	if code := checkError(t, f, "Refresh during a server error", err, c); code == domain.CodeUnauthenticated {
		t.Errorf("a server error during refresh must be retried, not ask for a reconnection (%v)", err)
	}
	f.RevokeRefresh(c.creds.RefreshToken)
	_, err = a.Refresh(ctxFor(t), c.creds)
	if code := checkError(t, f, "Refresh of a revoked grant", err, c); code != domain.CodeUnauthenticated {
		t.Errorf("a revoked refresh token: code %s, want unauthenticated (%v)", code, err)
	}
}

func testPublish(t *testing.T, f Fake, k Kind) {
	a := f.Adapter()
	c := connect(t, f)
	p := publication(f, k)
	got, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	if err != nil {
		t.Fatalf("Publish %s: %v", k, err)
	}
	if got.ExternalID == "" {
		t.Error("Publish gave no external id")
	}
	if n := countPosts(t, f, c, p.Text); n != 1 {
		t.Errorf("the platform holds %d posts with the text, want 1 (posts: %q)", n, f.Posts(c.account))
	}
}

func testDuplicate(t *testing.T, f Fake) {
	if !f.Caps().Duplicate {
		t.Skip("the platform has no duplicate-content answer")
	}
	a := f.Adapter()
	c := connect(t, f)
	f.FailNextPublish(Duplicate, 0)
	_, err := a.Publish(ctxFor(t), c.creds, c.account, anyPost(t, f))
	if code := checkError(t, f, "Publish of a duplicate", err, c); code != domain.CodeConflict {
		t.Errorf("a duplicate: code %s, want conflict (%v)", code, err)
	}
	notMaybe(t, "a duplicate", err)
}

func testRateLimited(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	const wait = 90 * time.Second
	f.FailNextPublish(RateLimited, wait)
	_, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	if code := checkError(t, f, "Publish when rate limited", err, c); code != domain.CodeRateLimited {
		t.Fatalf("rate limited: code %s, want rate_limited (%v)", code, err)
	}
	notMaybe(t, "rate limited", err)
	var de *domain.Error
	errors.As(err, &de)
	switch {
	case f.Caps().RetryAfter && de.RetryAfter < wait:
		t.Errorf("RetryAfter = %s, want the platform's %s", de.RetryAfter, wait)
	case de.RetryAfter <= 0:
		t.Errorf("RetryAfter = %s, want a wait", de.RetryAfter)
	}
	if n := countPosts(t, f, c, p.Text); n != 0 {
		t.Errorf("the platform holds %d posts after a refusal", n)
	}
	// The next attempt goes through.
	if _, err := a.Publish(ctxFor(t), c.creds, c.account, p); err != nil {
		t.Errorf("Publish after the limit: %v", err)
	}
}

func testUnavailable(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	f.FailNextPublish(Unavailable, 0)
	_, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	code := checkError(t, f, "Publish during a server error", err, c)
	if code != domain.CodeUnavailable && code != domain.CodeRateLimited && code != domain.CodeInternal {
		t.Errorf("a server error: code %s, want one worth retrying (%v)", code, err)
	}
	if n := countPosts(t, f, c, p.Text); n != 0 {
		t.Errorf("the platform holds %d posts after a refusal", n)
	}
}

func testExpiredToken(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	f.ExpireAccess(c.creds.AccessToken)
	_, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	if code := checkError(t, f, "Publish with an expired token", err, c); code != domain.CodeUnauthenticated {
		t.Errorf("an expired token: code %s, want unauthenticated (%v)", code, err)
	}
	notMaybe(t, "an expired token", err)
	if n := countPosts(t, f, c, p.Text); n != 0 {
		t.Errorf("the platform holds %d posts after refusing the token", n)
	}
	if f.Caps().Lookup {
		_, _, err := a.Lookup(ctxFor(t), c.creds, c.account, p)
		if code := checkError(t, f, "Lookup with an expired token", err, c); code != domain.CodeUnauthenticated {
			t.Errorf("Lookup with an expired token: code %s, want unauthenticated (%v)", code, err)
		}
	}
}

func testLostAnswer(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	f.LoseNextPublishAnswer()
	_, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	checkError(t, f, "Publish whose answer was lost", err, c)
	if !errors.Is(err, domain.ErrMaybePublished) {
		t.Errorf("a lost answer must say the post may have been published (domain.ErrMaybePublished): %v", err)
	}
	if n := countPosts(t, f, c, p.Text); n != 1 {
		t.Fatalf("the fake holds %d posts, want the 1 whose answer was lost", n)
	}
	found, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, p)
	switch caps := f.Caps(); {
	case caps.Lookup:
		if err != nil || !ok || found.ExternalID == "" {
			t.Errorf("Lookup after the lost answer: found=%v %+v err=%v, want the post", ok, found, err)
		}
	case caps.LookupFindsOnly:
		if !(err == nil && ok && found.ExternalID != "") && !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Errorf("Lookup after the lost answer: found=%v %+v err=%v, want the post or ports.ErrLookupUnsupported (never not found)", ok, found, err)
		}
	default:
		if !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Errorf("Lookup: %v, want ports.ErrLookupUnsupported", err)
		}
	}
}

func testCancelled(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Publish(ctx, c.creds, c.account, p)
	checkError(t, f, "Publish with a cancelled context", err, c)
	notMaybe(t, "a cancelled context", err)
	if n := countPosts(t, f, c, p.Text); n != 0 {
		t.Errorf("the platform holds %d posts although the context was cancelled before the call", n)
	}
}

func testLookup(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	p := anyPost(t, f)
	if caps := f.Caps(); !caps.Lookup {
		// Without a sure answer, a post never sent must not be reported absent: Herald
		// would send again on that word.
		_, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, p)
		if !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Errorf("Lookup of a post never sent: found=%v err=%v, want ports.ErrLookupUnsupported", ok, err)
		}
		if !caps.LookupFindsOnly {
			return
		}
		pub, err := a.Publish(ctxFor(t), c.creds, c.account, p)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		found, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, p)
		switch {
		case err == nil && ok:
			if found.ExternalID != pub.ExternalID {
				t.Errorf("Lookup found %q, Publish gave %q", found.ExternalID, pub.ExternalID)
			}
		case !errors.Is(err, ports.ErrLookupUnsupported):
			t.Errorf("Lookup of a published post: found=%v err=%v, want it or ports.ErrLookupUnsupported (never not found)", ok, err)
		}
		return
	}
	if _, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, p); err != nil || ok {
		t.Errorf("Lookup of a post never sent: found=%v err=%v, want not found", ok, err)
	}
	pub, err := a.Publish(ctxFor(t), c.creds, c.account, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	found, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, p)
	if err != nil || !ok {
		t.Fatalf("Lookup of a published post: found=%v err=%v", ok, err)
	}
	if found.ExternalID != pub.ExternalID {
		t.Errorf("Lookup found %q, Publish gave %q", found.ExternalID, pub.ExternalID)
	}
	// Another post's reference is not this one.
	other := anyPost(t, f)
	if _, ok, err := a.Lookup(ctxFor(t), c.creds, c.account, other); err != nil || ok {
		t.Errorf("Lookup of another reference: found=%v err=%v, want not found", ok, err)
	}
}

func testMetrics(t *testing.T, f Fake) {
	a := f.Adapter()
	c := connect(t, f)
	pub, err := a.Publish(ctxFor(t), c.creds, c.account, anyPost(t, f))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !f.Caps().Metrics {
		_, err := a.Metrics(ctxFor(t), c.creds, c.account, pub.ExternalID)
		if !errors.Is(err, ports.ErrMetricsUnsupported) {
			t.Errorf("Metrics: %v, want ports.ErrMetricsUnsupported", err)
		}
		return
	}
	want := f.SetMetrics(c.account, pub.ExternalID)
	got, err := a.Metrics(ctxFor(t), c.creds, c.account, pub.ExternalID)
	if err != nil {
		t.Fatalf("Metrics: %v", err)
	}
	if got != want {
		t.Errorf("Metrics = %+v, want %+v", got, want)
	}
	f.ExpireAccess(c.creds.AccessToken)
	_, err = a.Metrics(ctxFor(t), c.creds, c.account, pub.ExternalID)
	if code := checkError(t, f, "Metrics with an expired token", err, c); code != domain.CodeUnauthenticated {
		t.Errorf("Metrics with an expired token: code %s, want unauthenticated (%v)", code, err)
	}
}

// testLibraryMedia publishes library files (bytes behind Open, a signed URL without an
// extension, the kind and type stored) and checks that the platform ended up with exactly
// their bytes, whether it took them uploaded or fetched them from the URL, and with each
// image's alt text where it takes alt text.
func testLibraryMedia(t *testing.T, f Fake, k Kind) {
	c := connect(t, f)
	lib := NewLibrary(t)
	image := func(n int) File {
		data := make([]byte, 3000+n*517)
		_, _ = rand.Read(data)
		copy(data, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
		return lib.Add(domain.MediaImage, "image/jpeg", fmt.Sprintf("photo-%d.jpg", n), fmt.Sprintf("A red bicycle against a wall, number %d", n), data)
	}
	var files []File
	switch k {
	case Image:
		files = []File{image(1)}
	case Images:
		files = []File{image(1), image(2)}
	case Video:
		files = []File{lib.AddGenerated(domain.MediaVideo, "video/mp4", "clip.mp4", 300_000, 7)}
	}
	p := publication(f, k)
	p.Media = nil
	for _, file := range files {
		p.Media = append(p.Media, file.Media)
	}
	got, err := f.Adapter().Publish(ctxFor(t), c.creds, c.account, p)
	if err != nil {
		t.Fatalf("Publish(library %s): %v", k, err)
	}
	received := f.Received(c.account, got.ExternalID)
	if len(received) != len(files) {
		t.Fatalf("the platform has %d media items, want %d", len(received), len(files))
	}
	for i, file := range files {
		if received[i].SHA256 != file.SHA256 {
			t.Errorf("media %d: the platform has bytes with SHA-256 %.12s, want %.12s (the stored file)", i+1, received[i].SHA256, file.SHA256)
		}
		want := ""
		if f.Caps().AltText && file.Media.Kind == domain.MediaImage {
			want = file.Media.Alt
		}
		if received[i].Alt != want {
			t.Errorf("media %d: the platform has alt text %q, want %q", i+1, received[i].Alt, want)
		}
	}
}
