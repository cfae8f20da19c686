package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

var (
	t0    = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	li    = domain.Account{ID: "a-li", Platform: domain.LinkedIn, DisplayName: "Acme", Status: domain.AccountActive}
	ig    = domain.Account{ID: "a-ig", Platform: domain.Instagram, DisplayName: "acme.gram", Status: domain.AccountActive}
	gone  = domain.Account{ID: "a-gone", Platform: domain.Facebook, DisplayName: "Old page", Status: domain.AccountDisconnected}
	accts = []domain.Account{li, ig, gone}
)

func draft(t *testing.T, in domain.PostInput) domain.Post {
	t.Helper()
	p, err := domain.NewPost("c1", "u1", in, accts, t0)
	if err != nil {
		t.Fatalf("NewPost: %v", err)
	}
	return p
}

func TestNewPost_Validation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", domain.MaxContentRunes+1)
	for _, tc := range []struct {
		name   string
		in     domain.PostInput
		fields []string
	}{
		{"valid", domain.PostInput{Content: "hello", AccountIDs: []domain.AccountID{"a-li"}}, nil},
		{"media only", domain.PostInput{MediaURLs: []string{"https://cdn.example/a.jpg"}, AccountIDs: []domain.AccountID{"a-ig"}}, nil},
		{"blank lines in media are skipped", domain.PostInput{Content: "x", MediaURLs: []string{" ", ""}, AccountIDs: []domain.AccountID{"a-li"}}, nil},
		{"empty", domain.PostInput{AccountIDs: []domain.AccountID{"a-li"}}, []string{"content"}},
		{"whitespace only", domain.PostInput{Content: " \n\t ", AccountIDs: []domain.AccountID{"a-li"}}, []string{"content"}},
		{"too long in code points", domain.PostInput{Content: long, AccountIDs: []domain.AccountID{"a-li"}}, []string{"content"}},
		{"no accounts", domain.PostInput{Content: "x"}, []string{"account_ids"}},
		{"unknown account", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"other-company"}}, []string{"account_ids[0]"}},
		{"disconnected account", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-gone"}}, []string{"account_ids[0]"}},
		{"duplicate account", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li", "a-li"}}, []string{"account_ids[1]"}},
		{"relative media", domain.PostInput{Content: "x", MediaURLs: []string{"/a.jpg"}, AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_urls[0]"}},
		{"ftp media", domain.PostInput{Content: "x", MediaURLs: []string{"ftp://h/a.jpg"}, AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_urls[0]"}},
		{"javascript media", domain.PostInput{Content: "x", MediaURLs: []string{"javascript:alert(1)"}, AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_urls[0]"}},
		{"too many media", domain.PostInput{Content: "x", MediaURLs: strings.Split(strings.Repeat("https://h/a.jpg,", domain.MaxMediaURLs+1), ",")[:domain.MaxMediaURLs+1], AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_urls"}},
		{"variant for an account not chosen", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li"}, Variants: map[domain.AccountID]string{"a-ig": "hi"}}, []string{"variants.a-ig.content"}},
		{"empty variant for an account not chosen is ignored", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li"}, Variants: map[domain.AccountID]string{"a-ig": ""}}, nil},
		{"variant too long", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li"}, Variants: map[domain.AccountID]string{"a-li": long}}, []string{"variants.a-li.content"}},
		{"several problems at once", domain.PostInput{MediaURLs: []string{"nope"}}, []string{"account_ids", "content", "media_urls[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := domain.NewPost("c1", "u1", tc.in, accts, t0)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("NewPost: %v", err)
				}
				if p.Status() != domain.PostDraft || p.Version() != 1 || len(p.Targets) != len(tc.in.AccountIDs) {
					t.Errorf("got status %s version %d targets %d", p.Status(), p.Version(), len(p.Targets))
				}
				return
			}
			if domain.CodeOf(err) != domain.CodeInvalid {
				t.Fatalf("err = %v, want CodeInvalid", err)
			}
			got := domain.SortedFields(domain.FieldsOf(err))
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestPost_Lifecycle(t *testing.T) {
	t.Parallel()
	in := domain.PostInput{Content: "Launch day", AccountIDs: []domain.AccountID{"a-li", "a-ig"}, Variants: map[domain.AccountID]string{"a-ig": "Launch 📸"}}
	p := draft(t, in)
	if got := p.TextFor(p.Targets[1]); got != "Launch 📸" {
		t.Errorf("variant text = %q", got)
	}
	if got := p.TextFor(p.Targets[0]); got != "Launch day" {
		t.Errorf("main text = %q", got)
	}
	if err := p.Unschedule(t0); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("unschedule a draft: %v", err)
	}
	if err := p.Schedule(t0.Add(-time.Hour), t0); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("schedule an hour ago: %v", err)
	}
	if err := p.Schedule(t0.Add(-time.Minute), t0); err != nil || !p.ScheduledFor().Equal(t0) {
		t.Errorf("a minute late means now: %v %v", err, p.ScheduledFor())
	}
	if err := p.Schedule(time.Time{}, t0); err != nil || !p.ScheduledFor().Equal(t0) {
		t.Errorf("zero time means now: %v", err)
	}
	at := t0.Add(time.Hour)
	if err := p.Schedule(at, t0); err != nil || p.Status() != domain.PostScheduled || !p.ScheduledFor().Equal(at) {
		t.Fatalf("schedule: %v %s", err, p.Status())
	}
	v := p.Version()
	if err := p.Edit(in, accts, t0); err != nil || p.Version() != v+1 || p.Status() != domain.PostScheduled {
		t.Errorf("edit while scheduled: %v version %d status %s", err, p.Version(), p.Status())
	}
	if p.StartPublishing(v, at) {
		t.Error("a stale version claimed the post")
	}
	if !p.StartPublishing(p.Version(), at) || p.Status() != domain.PostPublishing {
		t.Fatal("the current version did not claim the post")
	}
	if p.StartPublishing(p.Version(), at) {
		t.Error("claimed twice")
	}
	if err := p.Edit(in, accts, at); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("edit while publishing: %v", err)
	}
	if err := p.CheckDelete(); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("delete while publishing: %v", err)
	}
	if err := p.Schedule(at, at); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("schedule while publishing: %v", err)
	}
	a, b := &p.Targets[0], &p.Targets[1]
	if err := a.StartAttempt(); err != nil {
		t.Fatal(err)
	}
	if err := a.StartAttempt(); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("second attempt while one is open: %v", err)
	}
	if p.Settle(at) {
		t.Error("settled with unfinished targets")
	}
	if err := a.Succeed("urn:li:share:1", "https://li/1", at); err != nil || !a.Final() || a.AttemptOpen() {
		t.Fatalf("succeed: %v", err)
	}
	if err := a.Fail("late"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("fail after success: %v", err)
	}
	_ = b.StartAttempt()
	_ = b.Retry("503")
	if b.AttemptOpen() || b.Status() != domain.TargetPublishing || b.Reason() != "503" {
		t.Errorf("retry: open %v status %s", b.AttemptOpen(), b.Status())
	}
	_ = b.StartAttempt()
	if b.Attempts() != 2 {
		t.Errorf("attempts = %d", b.Attempts())
	}
	_ = b.Fail("rejected")
	if !p.Settle(at) || p.Status() != domain.PostPartiallyPublished {
		t.Errorf("settle: %s", p.Status())
	}
	if err := p.CheckDelete(); err != nil {
		t.Errorf("delete a finished post: %v", err)
	}
	if err := p.Edit(in, accts, at); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("edit a partly published post: %v", err)
	}
}

func TestPost_FailedPostCanBeRescheduledAndEdited(t *testing.T) {
	t.Parallel()
	in := domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li"}}
	p := draft(t, in)
	_ = p.Schedule(t0, t0)
	p.StartPublishing(p.Version(), t0)
	_ = p.Targets[0].StartAttempt()
	_ = p.Targets[0].Fail("boom")
	p.Settle(t0)
	if p.Status() != domain.PostFailed {
		t.Fatalf("status %s", p.Status())
	}
	if err := p.Schedule(t0, t0); err != nil || p.Status() != domain.PostScheduled || p.Targets[0].Status() != domain.TargetPending || p.Targets[0].Attempts() != 0 {
		t.Errorf("reschedule failed post: %v %s %s", err, p.Status(), p.Targets[0].Status())
	}
	q := draft(t, in)
	q.FailAll("suspended", t0)
	if q.Status() != domain.PostFailed || q.Reason() != "suspended" {
		t.Fatalf("FailAll: %s %q", q.Status(), q.Reason())
	}
	if err := q.Edit(in, accts, t0); err != nil || q.Status() != domain.PostDraft || q.Reason() != "" {
		t.Errorf("edit failed post: %v %s", err, q.Status())
	}
}

func TestPost_FailTargetFinishesAScheduledPost(t *testing.T) {
	t.Parallel()
	p := draft(t, domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li", "a-ig"}})
	_ = p.Schedule(t0.Add(time.Hour), t0)
	v := p.Version()
	if !p.FailTarget("a-li", "disconnected", t0) || p.Status() != domain.PostScheduled || p.Version() != v {
		t.Fatalf("first target: %s v%d", p.Status(), p.Version())
	}
	if p.FailTarget("a-li", "again", t0) {
		t.Error("failed a final target twice")
	}
	if !p.FailTarget("a-ig", "disconnected", t0) || p.Status() != domain.PostFailed || p.Version() != v+1 {
		t.Errorf("last target: %s v%d", p.Status(), p.Version())
	}
}

func TestTarget_UnknownIsFinal(t *testing.T) {
	t.Parallel()
	p := draft(t, domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li"}})
	tg := &p.Targets[0]
	_ = tg.StartAttempt()
	if err := tg.MarkUnknown("interrupted"); err != nil || !tg.Final() || tg.Status() != domain.TargetUnknown {
		t.Fatalf("MarkUnknown: %v", err)
	}
	if err := tg.StartAttempt(); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("an unknown target was attempted again: %v", err)
	}
}

func TestDerivePostStatus(t *testing.T) {
	t.Parallel()
	mk := func(states ...domain.TargetStatus) []domain.Target {
		var out []domain.Target
		for _, s := range states {
			out = append(out, domain.RestoreTarget(domain.Target{}, s, "", "", "", 1, false, time.Time{}))
		}
		return out
	}
	for _, tc := range []struct {
		targets []domain.Target
		want    domain.PostStatus
	}{
		{mk(domain.TargetPublished), domain.PostPublished},
		{mk(domain.TargetPublished, domain.TargetPublished), domain.PostPublished},
		{mk(domain.TargetPublished, domain.TargetFailed), domain.PostPartiallyPublished},
		{mk(domain.TargetPublished, domain.TargetUnknown), domain.PostPartiallyPublished},
		{mk(domain.TargetFailed), domain.PostFailed},
		{mk(domain.TargetFailed, domain.TargetUnknown), domain.PostFailed},
		{nil, domain.PostFailed},
	} {
		if got := domain.DerivePostStatus(tc.targets); got != tc.want {
			t.Errorf("DerivePostStatus(%v) = %s, want %s", tc.targets, got, tc.want)
		}
	}
}

func TestPost_ResolveUnknown(t *testing.T) {
	t.Parallel()
	unknownPost := func() domain.Post {
		p := draft(t, domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-li", "a-ig"}})
		_ = p.Schedule(t0, t0)
		p.StartPublishing(p.Version(), t0)
		_ = p.Targets[0].StartAttempt()
		_ = p.Targets[0].MarkUnknown("interrupted")
		_ = p.Targets[1].StartAttempt()
		_ = p.Targets[1].Succeed("x", "", t0)
		p.Settle(t0)
		return p
	}
	p := unknownPost()
	if p.Status() != domain.PostPartiallyPublished {
		t.Fatalf("status %s", p.Status())
	}
	if _, err := p.ResolveUnknown("a-ig", true, "", t0); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("resolve a published target: %v", err)
	}
	if _, err := p.ResolveUnknown("nope", true, "", t0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("resolve a target the post lacks: %v", err)
	}
	if _, err := p.ResolveUnknown("a-li", true, "ftp://x", t0); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("resolve with a bad address: %v", err)
	}
	v := p.Version()
	again, err := p.ResolveUnknown("a-li", true, "https://li/1", t0)
	if err != nil || again || p.Status() != domain.PostPublished || p.Version() != v || p.Targets[0].ExternalURL() != "https://li/1" {
		t.Errorf("published: again=%v err=%v status=%s", again, err, p.Status())
	}
	q := unknownPost()
	v = q.Version()
	again, err = q.ResolveUnknown("a-li", false, "", t0)
	if err != nil || !again || q.Status() != domain.PostPublishing || q.Version() != v+1 || q.Targets[0].Status() != domain.TargetPending || q.Targets[0].Attempts() != 1 {
		t.Errorf("publish again: again=%v err=%v status=%s v%d target %s", again, err, q.Status(), q.Version(), q.Targets[0].Status())
	}
}
