package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestPublish_ThenLookupByReference(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{Latency: 10 * time.Millisecond})
	ctx := context.Background()
	c, account := f.connect(t)
	p := ports.Publication{Reference: uniqueReference(), Text: "Hello, sandbox!\nSecond line.", Media: platformtest.URLMedia("https://cdn.example/a.png")}

	// The publish waits out the latency on the sandbox's clock: nothing is published until
	// the clock has moved on by it.
	type result struct {
		got ports.Published
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := f.s.Publish(ctx, c, account, p)
		done <- result{got, err}
	}()
	eventually(t, "the publish waiting out its latency", func() bool { return f.clock.Waiting() == 1 })
	f.clock.Add(9 * time.Millisecond)
	if n := f.postsWithReference(t, p.Reference); n != 0 || f.clock.Waiting() != 1 {
		t.Fatalf("%d posts, %d timers waiting 9 ms into a 10 ms latency; want none and 1", n, f.clock.Waiting())
	}
	f.clock.Add(time.Millisecond)
	r := <-done
	got, err := r.got, r.err
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got.ExternalID == "" || got.URL != baseURL+"/sandbox/posts/"+got.ExternalID || !got.At.Equal(f.clock.Now().Truncate(time.Microsecond)) {
		t.Errorf("Publish = %+v, want an id, its permalink and the clock's time %v", got, f.clock.Now())
	}
	if n := f.postsWithReference(t, p.Reference); n != 1 {
		t.Errorf("posts with the reference = %d, want 1", n)
	}

	found, ok, err := f.s.Lookup(ctx, c, account, p)
	if err != nil || !ok {
		t.Fatalf("Lookup = %v, %v; want found", ok, err)
	}
	if found.ExternalID != got.ExternalID || found.URL != got.URL || !found.At.Equal(got.At) {
		t.Errorf("Lookup = %+v, want %+v", found, got)
	}

	_, ok, err = f.s.Lookup(ctx, c, account, ports.Publication{Reference: uniqueReference()})
	if err != nil || ok {
		t.Errorf("Lookup(unknown reference) = %v, %v; want not found, no error", ok, err)
	}

	// Another user's post with the same reference is not this account's.
	c2, account2 := f.connect(t)
	_, ok, err = f.s.Lookup(ctx, c2, account2, p)
	if err != nil || ok {
		t.Errorf("Lookup(other user, same reference) = %v, %v; want not found", ok, err)
	}

	// The permalink shows the post to anyone.
	u, _ := url.Parse(got.URL)
	rec := f.do(t, http.MethodGet, u.Path, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", u.Path, rec.Code)
	}
	for _, want := range []string{"Hello, sandbox!", account.DisplayName, "https://cdn.example/a.png"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("post page lacks %q:\n%s", want, rec.Body)
		}
	}
}

func TestPublish_NeverDeduplicatesByReference(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	ctx := context.Background()
	c, account := f.connect(t)
	p := ports.Publication{Reference: uniqueReference(), Text: "twice"}

	first, err := f.s.Publish(ctx, c, account, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	f.clock.Add(time.Second)
	second, err := f.s.Publish(ctx, c, account, p)
	if err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if first.ExternalID == second.ExternalID {
		t.Errorf("two publishes gave one id %q", first.ExternalID)
	}
	if n := f.postsWithReference(t, p.Reference); n != 2 {
		t.Errorf("posts with the reference = %d, want 2", n)
	}
	found, _, err := f.s.Lookup(ctx, c, account, p)
	if err != nil || found.ExternalID != first.ExternalID {
		t.Errorf("Lookup = %+v, %v; want the first post %s", found, err, first.ExternalID)
	}
}

func TestPublish_RefusesTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := func() ports.Publication { return ports.Publication{Reference: uniqueReference(), Text: "x"} }

	t.Run("ExpiredAccessToken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{TokenTTL: time.Hour})
		c, account := f.connect(t)
		if _, err := f.s.Publish(ctx, c, account, p()); err != nil { // remembers the token
			t.Fatalf("Publish with a fresh token: %v", err)
		}
		f.clock.Add(time.Hour)
		pub := p()
		_, err := f.s.Publish(ctx, c, account, pub)
		wantCode(t, "Publish(expired token)", err, domain.CodeUnauthenticated)
		if !strings.Contains(domain.MessageOf(err), "token expired") {
			t.Errorf("message %q does not say token expired", domain.MessageOf(err))
		}
		if n := f.postsWithReference(t, pub.Reference); n != 0 {
			t.Errorf("posts with the reference = %d, want 0", n)
		}
		_, _, err = f.s.Lookup(ctx, c, account, pub)
		wantCode(t, "Lookup(expired token)", err, domain.CodeUnauthenticated)
	})

	t.Run("UnknownAccessToken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{})
		_, account := f.connect(t)
		for _, at := range []string{"", "sbx_at_nonsense"} {
			_, err := f.s.Publish(ctx, domain.Credentials{AccessToken: at}, account, p())
			wantCode(t, "Publish(token "+at+")", err, domain.CodeUnauthenticated)
		}
	})

	t.Run("RefreshTokenIsNoAccessToken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{})
		c, account := f.connect(t)
		_, err := f.s.Publish(ctx, domain.Credentials{AccessToken: c.RefreshToken}, account, p())
		wantCode(t, "Publish(refresh token as access token)", err, domain.CodeUnauthenticated)
	})

	t.Run("OtherUsersToken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{})
		c, _ := f.connect(t)
		_, other := f.connect(t)
		_, err := f.s.Publish(ctx, c, other, p())
		wantCode(t, "Publish(another user's token)", err, domain.CodeForbidden)
	})
}

func TestPublish_InjectedFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("TransientAlternatesUnavailableAndRateLimited", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{TransientRate: 1})
		c, account := f.connect(t)
		ref := uniqueReference()
		seen := map[domain.Code]int{}
		for range 4 {
			_, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: ref, Text: "x"})
			seen[domain.CodeOf(err)]++
			var de *domain.Error
			if domain.CodeOf(err) == domain.CodeRateLimited && (!errors.As(err, &de) || de.RetryAfter != time.Second) {
				t.Errorf("rate limited error %v, want RetryAfter 1s", err)
			}
		}
		if seen[domain.CodeUnavailable] != 2 || seen[domain.CodeRateLimited] != 2 {
			t.Errorf("codes of 4 publishes = %v, want 2 unavailable and 2 rate_limited", seen)
		}
		if n := f.postsWithReference(t, ref); n != 0 {
			t.Errorf("posts with the reference = %d, want 0", n)
		}
	})

	t.Run("LostAnswerPublishesAndSaysSo", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{LostRate: 1})
		c, account := f.connect(t)
		ref := uniqueReference()
		_, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: ref, Text: "x"})
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish(lost rate 1) = %v, want an error wrapping domain.ErrMaybePublished", err)
		}
		if n := f.postsWithReference(t, ref); n != 1 {
			t.Errorf("posts with the reference = %d, want the 1 whose answer was lost", n)
		}
		if _, found, err := f.s.Lookup(ctx, c, account, ports.Publication{Reference: ref}); err != nil || !found {
			t.Errorf("Lookup after the lost answer: found %v, err %v", found, err)
		}
	})

	t.Run("Permanent", func(t *testing.T) {
		t.Parallel()
		f := setup(t, sandbox.Config{PermanentRate: 1})
		c, account := f.connect(t)
		ref := uniqueReference()
		_, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: ref, Text: "x"})
		wantCode(t, "Publish(permanent rate 1)", err, domain.CodeInvalid)
		if want := "rejected this post"; !strings.Contains(domain.MessageOf(err), want) {
			t.Errorf("message %q lacks %q", domain.MessageOf(err), want)
		}
		if n := f.postsWithReference(t, ref); n != 0 {
			t.Errorf("posts with the reference = %d, want 0", n)
		}
	})
}

func TestPublish_RejectsWhatTheRulesRefuse(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	c, account := f.connect(t)

	for _, p := range []ports.Publication{
		{Reference: uniqueReference(), Text: "   "},
		{Reference: uniqueReference(), Text: strings.Repeat("a", 5001)},
	} {
		_, err := f.s.Publish(context.Background(), c, account, p)
		wantCode(t, fmt.Sprintf("Publish(%d characters)", len(p.Text)), err, domain.CodeInvalid)
	}
}

func TestPublish_StopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{Latency: time.Hour})
	c, account := f.connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ref := uniqueReference()
	done := make(chan error, 1)
	go func() {
		_, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: ref, Text: "x"})
		done <- err
	}()
	// The sandbox's clock never moves: only the context can end the wait.
	eventually(t, "the publish waiting out its latency", func() bool { return f.clock.Waiting() == 1 })
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish with a 1 h latency still waiting 10 s after its context ended")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Publish after the context ended = %v, want context.Canceled", err)
	}
	if n := f.postsWithReference(t, ref); n != 0 {
		t.Errorf("posts with the reference = %d, want 0", n)
	}
}

func TestPublish_ManyAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{Latency: 50 * time.Millisecond})
	c, account := f.connect(t)
	ctx := context.Background()
	const n = 1000

	prefix := uniqueReference() + "-"
	var wg sync.WaitGroup
	errs := make(chan error, n)
	got := make([]ports.Published, n)
	for i := range n {
		wg.Go(func() {
			var err error
			got[i], err = f.s.Publish(ctx, c, account, ports.Publication{Reference: fmt.Sprint(prefix, i), Text: fmt.Sprint("load ", i)})
			errs <- err
		})
	}
	// Every publish waits out its latency, then all of them answer at once, and the sandbox
	// stores them in groups (one statement for many posts).
	eventually(t, "every publish waiting out its latency", func() bool { return f.clock.Waiting() == n })
	f.clock.Add(50 * time.Millisecond)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	var rows, refs int
	err := f.db.QueryRow(`SELECT count(*), count(DISTINCT reference) FROM sandbox_posts WHERE starts_with(reference, $1)`, prefix).Scan(&rows, &refs)
	if err != nil {
		t.Fatal(err)
	}
	if rows != n || refs != n {
		t.Errorf("rows = %d with %d references, want %d of each", rows, refs, n)
	}
	// Each answer names the row of its own post, whichever group stored it.
	for i, p := range got {
		var ref, text string
		if err := f.db.QueryRow(`SELECT reference, text FROM sandbox_posts WHERE id = $1`, p.ExternalID).Scan(&ref, &text); err != nil {
			t.Fatalf("post %d: the row of its answer's id %q: %v", i, p.ExternalID, err)
		}
		if ref != fmt.Sprint(prefix, i) || text != fmt.Sprint("load ", i) || p.URL != baseURL+"/sandbox/posts/"+p.ExternalID {
			t.Fatalf("post %d: answer %+v names the row of %q (%q)", i, p, ref, text)
		}
	}
}

func TestMetrics_GrowWithAgeAndNeverDecrease(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{TokenTTL: 7 * 24 * time.Hour})
	ctx := context.Background()
	c, account := f.connect(t)
	pub, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: uniqueReference(), Text: "numbers"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	var prev domain.Metrics
	var at10min domain.Metrics
	for step := range 3 * 24 * 60 / 7 { // every 7 minutes for 3 days
		if step > 0 {
			f.clock.Add(7 * time.Minute)
		}
		m, err := f.s.Metrics(ctx, c, account, pub.ExternalID)
		if err != nil {
			t.Fatalf("Metrics after %d steps: %v", step, err)
		}
		if step == 0 && m != (domain.Metrics{}) {
			t.Errorf("Metrics at publication = %+v, want zeros", m)
		}
		if step == 2 {
			at10min = m
		}
		if m.Impressions < prev.Impressions || m.Reach < prev.Reach || m.Likes < prev.Likes ||
			m.Comments < prev.Comments || m.Shares < prev.Shares {
			t.Fatalf("Metrics went down after %d steps: %+v, then %+v", step, prev, m)
		}
		if m.Reach > m.Impressions || m.Likes > m.Reach || m.Comments > m.Likes || m.Shares > m.Likes {
			t.Errorf("Metrics after %d steps = %+v, want shares, comments <= likes <= reach <= impressions", step, m)
		}
		again, err := f.s.Metrics(ctx, c, account, pub.ExternalID)
		if err != nil || again != m {
			t.Errorf("Metrics asked twice = %+v then %+v (%v), want the same", m, again, err)
		}
		prev = m
	}
	if at10min.Impressions == 0 || prev.Impressions <= 2*at10min.Impressions || prev.Likes == 0 {
		t.Errorf("Metrics at 10 min = %+v, after 3 days = %+v; want them to grow", at10min, prev)
	}
}

func TestMetrics_UnknownPostIsNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	ctx := context.Background()
	c, account := f.connect(t)

	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid", "'; DROP TABLE sandbox_posts; --"} {
		_, err := f.s.Metrics(ctx, c, account, id)
		wantCode(t, "Metrics("+id+")", err, domain.CodeNotFound)
	}

	// Another user's post is unknown to this account.
	c2, account2 := f.connect(t)
	pub, err := f.s.Publish(ctx, c2, account2, ports.Publication{Reference: uniqueReference(), Text: "theirs"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	_, err = f.s.Metrics(ctx, c, account, pub.ExternalID)
	wantCode(t, "Metrics(another user's post)", err, domain.CodeNotFound)
}
