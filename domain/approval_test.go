package domain_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

// inStatus returns a post in status s (the approval statuses reached through their
// transitions), wanting t0+2h when it has a time.
func inStatus(t *testing.T, s domain.PostStatus) domain.Post {
	t.Helper()
	p := draft(t, domain.PostInput{Content: "hello", AccountIDs: []domain.AccountID{"a-li"}})
	at := t0.Add(2 * time.Hour)
	var err error
	switch s {
	case domain.PostDraft:
	case domain.PostScheduled:
		err = p.Schedule(at, t0)
	case domain.PostInReview:
		err = p.Submit("u1", at, t0)
	case domain.PostChangesRequested:
		if err = p.Submit("u1", at, t0); err == nil {
			err = p.RequestChanges("u2", "Fix it", t0)
		}
	case domain.PostApproved:
		if err = p.Submit("u1", time.Time{}, t0); err == nil {
			_, err = p.Approve("u2", "", t0)
		}
	case domain.PostPublishing:
		_ = p.Schedule(at, t0)
		p.StartPublishing(p.Version(), t0)
	default:
		t.Fatalf("no fixture for %s", s)
	}
	if err != nil || p.Status() != s {
		t.Fatalf("fixture %s: %v (%s)", s, err, p.Status())
	}
	return p
}

func TestApproval_Transitions(t *testing.T) {
	t.Parallel()
	later := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name string
		from domain.PostStatus
		step func(p *domain.Post) error
		// want is the status after, or "" when the step must fail with code.
		want domain.PostStatus
		code domain.Code
	}{
		{"submit a draft", domain.PostDraft, func(p *domain.Post) error { return p.Submit("u1", later, t0) }, domain.PostInReview, ""},
		{"submit a sent-back post", domain.PostChangesRequested, func(p *domain.Post) error { return p.Submit("u1", time.Time{}, t0) }, domain.PostInReview, ""},
		{"submit twice", domain.PostInReview, func(p *domain.Post) error { return p.Submit("u1", later, t0) }, "", domain.CodeConflict},
		{"submit while publishing", domain.PostPublishing, func(p *domain.Post) error { return p.Submit("u1", later, t0) }, "", domain.CodeConflict},
		{"submit for the past", domain.PostDraft, func(p *domain.Post) error { return p.Submit("u1", t0.Add(-time.Hour), t0) }, "", domain.CodeInvalid},
		{"approve", domain.PostInReview, func(p *domain.Post) error { _, err := p.Approve("u2", "ok", t0); return err }, domain.PostScheduled, ""},
		{"approve a draft", domain.PostDraft, func(p *domain.Post) error { _, err := p.Approve("u2", "", t0); return err }, "", domain.CodeConflict},
		{"approve twice", domain.PostApproved, func(p *domain.Post) error { _, err := p.Approve("u2", "", t0); return err }, "", domain.CodeConflict},
		{"request changes", domain.PostInReview, func(p *domain.Post) error { return p.RequestChanges("u2", "Shorter", t0) }, domain.PostChangesRequested, ""},
		{"request changes without a comment", domain.PostInReview, func(p *domain.Post) error { return p.RequestChanges("u2", " \n", t0) }, "", domain.CodeInvalid},
		{"request changes of a scheduled post", domain.PostScheduled, func(p *domain.Post) error { return p.RequestChanges("u2", "x", t0) }, "", domain.CodeConflict},
		{"schedule a post in review", domain.PostInReview, func(p *domain.Post) error { return p.Schedule(later, t0) }, "", domain.CodeConflict},
		{"schedule an approved post", domain.PostApproved, func(p *domain.Post) error { return p.Schedule(later, t0) }, domain.PostScheduled, ""},
		{"edit a post in review", domain.PostInReview, func(p *domain.Post) error {
			return p.Edit(domain.PostInput{Content: "new", AccountIDs: []domain.AccountID{"a-li"}}, accts, t0)
		}, domain.PostInReview, ""},
		{"edit an approved post", domain.PostApproved, func(p *domain.Post) error {
			return p.Edit(domain.PostInput{Content: "new", AccountIDs: []domain.AccountID{"a-li"}}, accts, t0)
		}, domain.PostApproved, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := inStatus(t, tc.from)
			v := p.Version()
			err := tc.step(&p)
			if tc.want == "" {
				if domain.CodeOf(err) != tc.code {
					t.Fatalf("err = %v, want code %s", err, tc.code)
				}
				if p.Status() != tc.from || p.Version() != v {
					t.Fatalf("a refused step changed the post: %s v%d", p.Status(), p.Version())
				}
				return
			}
			if err != nil || p.Status() != tc.want {
				t.Fatalf("err = %v, status %s, want %s", err, p.Status(), tc.want)
			}
			if p.Version() <= v {
				t.Fatalf("version stayed %d: a publish job of the old version would not be stale", p.Version())
			}
		})
	}
}

func TestApproval_ApproveKeepsTheTimeOrSaysItPassed(t *testing.T) {
	t.Parallel()
	at := t0.Add(time.Hour)
	p := inStatus(t, domain.PostDraft)
	if err := p.Submit("u1", at, t0); err != nil {
		t.Fatal(err)
	}
	if note := p.WaitingNote(t0, time.UTC); note != "" {
		t.Fatalf("note before its time: %q", note)
	}
	late := p
	if note := late.WaitingNote(at.Add(time.Minute), time.UTC); note != "Waiting for approval; its time (24 Nov 2026 16:00 UTC) has passed" {
		t.Fatalf("note after its time: %q", note)
	}
	publish, err := p.Approve("u2", "", t0.Add(time.Minute))
	if err != nil || !publish || !p.ScheduledFor().Equal(at) || p.Status() != domain.PostScheduled {
		t.Fatalf("approve in time: %v %v %s %v", err, publish, p.Status(), p.ScheduledFor())
	}
	publish, err = late.Approve("u2", "", at.Add(time.Hour))
	if err != nil || publish || !late.ScheduledFor().IsZero() || late.Status() != domain.PostApproved || late.Reason() != domain.ReasonApprovedLate {
		t.Fatalf("approve late: %v %v %s %v %q", err, publish, late.Status(), late.ScheduledFor(), late.Reason())
	}
	a := late.Approval()
	if a.SubmittedBy != "u1" || a.DecidedBy != "u2" || a.DecidedAt.IsZero() {
		t.Fatalf("approval record %+v", a)
	}
}

func TestApproval_SendBack(t *testing.T) {
	t.Parallel()
	for _, s := range []domain.PostStatus{domain.PostScheduled, domain.PostApproved, domain.PostInReview} {
		p := inStatus(t, s)
		v := p.Version()
		if !p.SendBack("u3", t0) || p.Status() != domain.PostInReview || p.Version() <= v || p.Approval().SubmittedBy != "u3" {
			t.Errorf("send back %s: %s v%d %+v", s, p.Status(), p.Version(), p.Approval())
		}
	}
	for _, s := range []domain.PostStatus{domain.PostDraft, domain.PostChangesRequested, domain.PostPublishing} {
		p := inStatus(t, s)
		if p.SendBack("u3", t0) || p.Status() != s {
			t.Errorf("a %s post was sent back", s)
		}
	}
}

func TestApproval_PolicyRequires(t *testing.T) {
	t.Parallel()
	editor := domain.Actor{UserID: "e", Role: domain.RoleEditor}
	api := domain.Actor{UserID: "e", Role: domain.RoleEditor, ViaAPI: true}
	admin := domain.Actor{UserID: "a", Role: domain.RoleAdmin}
	plain, ai := domain.Post{}, domain.Post{AIAssisted: true}
	for _, tc := range []struct {
		rules      []string
		actor      domain.Actor
		canApprove bool
		post       domain.Post
		want       bool
	}{
		{nil, editor, false, ai, false},
		{[]string{"editors"}, editor, false, plain, true},
		{[]string{"editors"}, editor, true, plain, false}, // an editor granted approver
		{[]string{"editors"}, admin, true, plain, false},
		{[]string{"api"}, editor, false, plain, false},
		{[]string{"api"}, api, false, plain, true},
		{[]string{"ai"}, editor, false, plain, false},
		{[]string{"ai"}, editor, false, ai, true},
		{[]string{"ai"}, admin, true, ai, false},
		{[]string{"everyone"}, admin, true, plain, true},
	} {
		rules, err := domain.ParseApprovalRules("approvals", tc.rules)
		if err != nil {
			t.Fatal(err)
		}
		if got := domain.ApprovalPolicy(rules).Requires(tc.actor, tc.canApprove, tc.post); got != tc.want {
			t.Errorf("%v, %s (approver %v, ai %v): %v, want %v", tc.rules, tc.actor.Role, tc.canApprove, tc.post.AIAssisted, got, tc.want)
		}
	}
	if _, err := domain.ParseApprovalRules("approvals", []string{"editors", "robots"}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("unknown rule: %v", err)
	}
}
