package platformtest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// CommentFake is a Fake whose adapter publishes first comments (it implements
// ports.Commenter). Run adds the comment cases for such fakes; Caps.Lookup says whether
// LookupComment can tell too (otherwise it answers ports.ErrLookupUnsupported).
type CommentFake interface {
	Fake
	// FailNextComment makes the next comment answer f (with wait, where the platform says
	// when to come back) without creating a comment.
	FailNextComment(f Failure, wait time.Duration)
	// LoseNextCommentAnswer makes the next comment reach the platform, which creates it,
	// and its answer never arrive.
	LoseNextCommentAnswer()
	// Comments returns the texts of the account's comments under the post parent (its
	// external id), oldest first.
	Comments(account domain.Account, parent string) []string
}

// runComments runs the comment cases when the fake's adapter takes first comments.
func runComments(t *testing.T, newFake func(t *testing.T) Fake) {
	if _, ok := newFake(t).(CommentFake); !ok {
		return
	}
	cf := func(t *testing.T) CommentFake {
		f := newFake(t).(CommentFake)
		if _, ok := f.Adapter().(ports.Commenter); !ok {
			t.Fatal("the fake gives comments but the adapter is no ports.Commenter")
		}
		return f
	}
	t.Run("Comment", func(t *testing.T) { testComment(t, cf(t)) })
	t.Run("CommentRateLimited", func(t *testing.T) { testCommentFailure(t, cf(t), RateLimited) })
	t.Run("CommentUnavailable", func(t *testing.T) { testCommentFailure(t, cf(t), Unavailable) })
	t.Run("CommentDuplicate", func(t *testing.T) { testCommentDuplicate(t, cf(t)) })
	t.Run("CommentExpiredToken", func(t *testing.T) { testCommentExpired(t, cf(t)) })
	t.Run("CommentLostAnswer", func(t *testing.T) { testCommentLost(t, cf(t)) })
}

// commented publishes a post and returns it with a comment to publish under it.
func commented(t *testing.T, f CommentFake) (connected, ports.Comment) {
	t.Helper()
	c := connect(t, f)
	p := anyPost(t, f)
	pub, err := f.Adapter().Publish(ctxFor(t), c.creds, c.account, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return c, ports.Comment{Reference: p.Reference, Parent: pub.ExternalID, Text: "More on this: https://example.com/" + rand.Text()[:8]}
}

func countComments(f CommentFake, c connected, cm ports.Comment) int {
	n := 0
	for _, s := range f.Comments(c.account, cm.Parent) {
		if s == cm.Text {
			n++
		}
	}
	return n
}

func commenter(f CommentFake) ports.Commenter { return f.Adapter().(ports.Commenter) }

func testComment(t *testing.T, f CommentFake) {
	a := commenter(f)
	c, cm := commented(t, f)
	_, ok, err := a.LookupComment(ctxFor(t), c.creds, c.account, cm)
	switch {
	case !f.Caps().Lookup && !errors.Is(err, ports.ErrLookupUnsupported):
		t.Errorf("LookupComment where the platform cannot tell: found=%v err=%v, want ports.ErrLookupUnsupported", ok, err)
	case f.Caps().Lookup && (err != nil || ok):
		t.Errorf("LookupComment of a comment never sent: found=%v err=%v, want not found", ok, err)
	}
	got, err := a.Comment(ctxFor(t), c.creds, c.account, cm)
	if err != nil {
		t.Fatalf("Comment: %v", err)
	}
	if got.ExternalID == "" {
		t.Error("Comment gave no external id")
	}
	if n := countComments(f, c, cm); n != 1 {
		t.Errorf("the platform holds %d comments with the text, want 1 (%q)", n, f.Comments(c.account, cm.Parent))
	}
	if f.Caps().Lookup {
		found, ok, err := a.LookupComment(ctxFor(t), c.creds, c.account, cm)
		if err != nil || !ok || found.ExternalID != got.ExternalID {
			t.Errorf("LookupComment of the comment: found=%v %+v err=%v, want %q", ok, found, err, got.ExternalID)
		}
	}
	// Under a post the platform does not have: a permanent refusal, nothing created.
	gone := cm
	gone.Parent += "0"
	_, err = a.Comment(ctxFor(t), c.creds, c.account, gone)
	if code := checkError(t, f, "Comment under a missing post", err, c); code == domain.CodeRateLimited || code == domain.CodeUnavailable || code == domain.CodeInternal {
		t.Errorf("a missing post: code %s, want a permanent refusal (%v)", code, err)
	}
	notMaybe(t, "a missing post", err)
}

func testCommentFailure(t *testing.T, f CommentFake, failure Failure) {
	a := commenter(f)
	c, cm := commented(t, f)
	const wait = 90 * time.Second
	f.FailNextComment(failure, wait)
	_, err := a.Comment(ctxFor(t), c.creds, c.account, cm)
	code := checkError(t, f, fmt.Sprintf("Comment (%s)", failure), err, c)
	switch failure {
	case RateLimited:
		notMaybe(t, string(failure), err)
		if code != domain.CodeRateLimited {
			t.Fatalf("rate limited: code %s, want rate_limited (%v)", code, err)
		}
		var de *domain.Error
		errors.As(err, &de)
		switch {
		case f.Caps().RetryAfter && de.RetryAfter < wait:
			t.Errorf("RetryAfter = %s, want the platform's %s", de.RetryAfter, wait)
		case de.RetryAfter <= 0:
			t.Errorf("RetryAfter = %s, want a wait", de.RetryAfter)
		}
	default: // as for a post, a server error may or may not promise that nothing was created
		if code != domain.CodeUnavailable && code != domain.CodeRateLimited && code != domain.CodeInternal {
			t.Errorf("a server error: code %s, want one worth retrying (%v)", code, err)
		}
	}
	if n := countComments(f, c, cm); n != 0 {
		t.Errorf("the platform holds %d comments after a refusal", n)
	}
	if _, err := a.Comment(ctxFor(t), c.creds, c.account, cm); err != nil {
		t.Errorf("Comment after the refusal: %v", err)
	}
	if n := countComments(f, c, cm); n != 1 {
		t.Errorf("the platform holds %d comments, want 1", n)
	}
}

// testCommentDuplicate: a platform's duplicate refusal is permanent (where it has one), and
// LookupComment tells comments apart (by text or reference), so another comment under the same post
// is never taken for Herald's.
func testCommentDuplicate(t *testing.T, f CommentFake) {
	a := commenter(f)
	c, cm := commented(t, f)
	if f.Caps().Duplicate {
		f.FailNextComment(Duplicate, 0)
		_, err := a.Comment(ctxFor(t), c.creds, c.account, cm)
		if code := checkError(t, f, "Comment of a duplicate", err, c); code != domain.CodeConflict {
			t.Errorf("a duplicate comment: code %s, want conflict (%v)", code, err)
		}
		notMaybe(t, "a duplicate comment", err)
	}
	other := cm
	other.Reference, other.Text = "other-"+rand.Text()[:8]+"/acct", "Another comment "+rand.Text()[:8]
	if _, err := a.Comment(ctxFor(t), c.creds, c.account, other); err != nil {
		t.Fatalf("Comment: %v", err)
	}
	if _, ok, err := a.LookupComment(ctxFor(t), c.creds, c.account, cm); ok || err != nil && !errors.Is(err, ports.ErrLookupUnsupported) {
		t.Errorf("LookupComment found another comment's text: found=%v err=%v", ok, err)
	}
}

func testCommentExpired(t *testing.T, f CommentFake) {
	a := commenter(f)
	c, cm := commented(t, f)
	f.ExpireAccess(c.creds.AccessToken)
	_, err := a.Comment(ctxFor(t), c.creds, c.account, cm)
	if code := checkError(t, f, "Comment with an expired token", err, c); code != domain.CodeUnauthenticated {
		t.Errorf("an expired token: code %s, want unauthenticated (%v)", code, err)
	}
	notMaybe(t, "an expired token", err)
	if !f.Caps().Lookup {
		return
	}
	_, _, err = a.LookupComment(ctxFor(t), c.creds, c.account, cm)
	if code := checkError(t, f, "LookupComment with an expired token", err, c); code != domain.CodeUnauthenticated {
		t.Errorf("LookupComment with an expired token: code %s, want unauthenticated (%v)", code, err)
	}
}

func testCommentLost(t *testing.T, f CommentFake) {
	a := commenter(f)
	c, cm := commented(t, f)
	f.LoseNextCommentAnswer()
	_, err := a.Comment(ctxFor(t), c.creds, c.account, cm)
	checkError(t, f, "Comment whose answer was lost", err, c)
	if !errors.Is(err, domain.ErrMaybePublished) {
		t.Errorf("a lost answer must say the comment may have been published (domain.ErrMaybePublished): %v", err)
	}
	if n := countComments(f, c, cm); n != 1 {
		t.Fatalf("the fake holds %d comments, want the 1 whose answer was lost", n)
	}
	found, ok, err := a.LookupComment(ctxFor(t), c.creds, c.account, cm)
	switch {
	case !f.Caps().Lookup:
		// Herald then marks the comment unknown for a person: never sent again on a guess.
		if !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Errorf("LookupComment after the lost answer: found=%v err=%v, want ports.ErrLookupUnsupported", ok, err)
		}
	case err != nil || !ok || found.ExternalID == "":
		t.Errorf("LookupComment after the lost answer: found=%v %+v err=%v, want the comment", ok, found, err)
	}
}
