package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// approvalSetup is a company with an owner, an editor and a connected account, requiring
// approval per rules, and a webhook endpoint subscribed to the approval events.
type approvalSetup struct {
	a      *apptest.App
	owner  domain.Actor
	editor domain.Actor
	acct   domain.Account
}

func newApprovalSetup(t *testing.T, rules ...string) approvalSetup {
	t.Helper()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	s := approvalSetup{a: a, owner: owner, editor: a.Member(t, owner.CompanyID, domain.RoleEditor), acct: a.Connect(t, owner)}
	if _, err := a.Teams.UpdateSettings(a.Ctx, owner, app.CompanyUpdate{Approvals: &rules}, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Webhooks.Create(a.Ctx, owner, domain.WebhookInput{URL: "https://hooks.example.com/herald",
		Events: []string{"post.submitted", "post.approved", "post.rejected", "post.scheduled"}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s approvalSetup) draft(t *testing.T, by domain.Actor, content string) domain.Post {
	t.Helper()
	return s.a.Draft(t, by, content, s.acct.ID)
}

func (s approvalSetup) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	return s.a.Count(t, query, args...)
}

func wantApprovalCode(t *testing.T, what string, err error, code domain.Code) {
	t.Helper()
	if domain.CodeOf(err) != code {
		t.Fatalf("%s: %v (code %s), want %s", what, err, domain.CodeOf(err), code)
	}
}

// TestApprovals_EditorSubmitsOwnerRequestsChangesThenApproves walks the whole flow: the
// editor cannot schedule, submits with a time, the owner sends it back with a comment,
// the editor fixes and resubmits, the owner approves and it is scheduled with its job;
// each step is audited, notified and sent as a webhook event.
func TestApprovals_EditorSubmitsOwnerRequestsChangesThenApproves(t *testing.T) {
	t.Parallel()
	s := newApprovalSetup(t, "editors")
	a, owner, editor := s.a, s.owner, s.editor
	p := s.draft(t, editor, "Launch day")
	at := a.Clock.Now().Add(48 * time.Hour).Truncate(time.Second)

	for name, try := range map[string]func() error{
		"schedule":    func() error { _, err := a.Posts.Schedule(a.Ctx, editor, p.ID, at, 0); return err },
		"publish now": func() error { _, err := a.Posts.PublishNow(a.Ctx, editor, p.ID, 0); return err },
		"queue":       func() error { _, err := a.PostingQueue.Add(a.Ctx, editor, p.ID, 0); return err },
		"create scheduled": func() error {
			_, err := a.Posts.CreateScheduled(a.Ctx, editor, domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{s.acct.ID}}, at)
			return err
		},
	} {
		wantApprovalCode(t, name, try(), domain.CodeApprovalRequired)
	}
	if n := s.count(t, `SELECT count(*) FROM posts WHERE company_id = $1`, owner.CompanyID); n != 1 {
		t.Fatalf("%d posts after refused schedules, want the one draft", n)
	}

	p, err := a.Posts.Submit(a.Ctx, editor, p.ID, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostInReview || !p.ScheduledFor().Equal(at) || p.Approval().SubmittedBy != editor.UserID {
		t.Fatalf("submitted: %s at %v by %s", p.Status(), p.ScheduledFor(), p.Approval().SubmittedBy)
	}
	if n := a.JobCount(t, "publish_post", p.ID); n != 0 {
		t.Fatalf("%d publish jobs for a post in review", n)
	}
	if _, err := a.Posts.Submit(a.Ctx, editor, p.ID, at, 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("second submit: %v", err)
	}
	// The owner (an approver) is told; the editor, who submitted, is not.
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'approval_requested' AND post_id = $2`, owner.UserID, p.ID); n != 1 {
		t.Fatalf("owner has %d approval_requested notifications", n)
	}
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1`, editor.UserID); n != 0 {
		t.Fatalf("the submitter was notified of their own submission")
	}

	wantApprovalCode(t, "editor approves", func() error { _, err := a.Posts.Approve(a.Ctx, editor, p.ID, "", 0); return err }(), domain.CodeForbidden)
	wantApprovalCode(t, "reject without a comment", func() error { _, err := a.Posts.RequestChanges(a.Ctx, owner, p.ID, "  ", 0); return err }(), domain.CodeInvalid)

	p, err = a.Posts.RequestChanges(a.Ctx, owner, p.ID, "Say which day.", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostChangesRequested || p.Approval().Comment != "Say which day." || p.Approval().DecidedBy != owner.UserID || !p.ScheduledFor().Equal(at) {
		t.Fatalf("changes requested: %s %+v at %v", p.Status(), p.Approval(), p.ScheduledFor())
	}
	var text string
	if err := a.DB.SQL().QueryRowContext(a.Ctx, `SELECT text FROM notifications WHERE user_id = $1 AND kind = 'approval_decided'`, editor.UserID).Scan(&text); err != nil {
		t.Fatalf("the editor was not told of the decision: %v", err)
	}
	if !strings.Contains(text, "Changes were requested") || !strings.Contains(text, "Say which day.") {
		t.Errorf("decision notification %q", text)
	}
	wantApprovalCode(t, "approve a post sent back", func() error { _, err := a.Posts.Approve(a.Ctx, owner, p.ID, "", 0); return err }(), domain.CodeConflict)

	// The editor fixes it (it stays sent back) and submits again, keeping the time.
	p, err = a.Posts.Update(a.Ctx, editor, p.ID, domain.PostInput{Content: "Launch day: Monday", AccountIDs: []domain.AccountID{s.acct.ID}}, p.Version())
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostChangesRequested {
		t.Fatalf("edited after changes were requested: %s", p.Status())
	}
	a.Clock.Advance(time.Second) // a new submission, a new notification key
	if p, err = a.Posts.Submit(a.Ctx, editor, p.ID, time.Time{}, p.Version()); err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostInReview || !p.ScheduledFor().Equal(at) || p.Approval().Comment != "" {
		t.Fatalf("resubmitted: %s at %v %+v", p.Status(), p.ScheduledFor(), p.Approval())
	}
	p, err = a.Posts.Approve(a.Ctx, owner, p.ID, "Good to go", p.Version())
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostScheduled || !p.ScheduledFor().Equal(at) || p.Approval().Comment != "Good to go" {
		t.Fatalf("approved: %s at %v %+v", p.Status(), p.ScheduledFor(), p.Approval())
	}
	if n := a.JobCount(t, "publish_post", p.ID); n != 1 {
		t.Fatalf("%d publish jobs after approval, want 1", n)
	}
	for action, want := range map[string]int{"post.submitted": 2, "post.changes_requested": 1, "post.approved": 1} {
		if n := s.count(t, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = $2 AND subject = $3`, owner.CompanyID, action, string(p.ID)); n != want {
			t.Errorf("%d %s audit entries, want %d", n, action, want)
		}
	}
	for typ, want := range map[string]int{"post.submitted": 2, "post.rejected": 1, "post.approved": 1, "post.scheduled": 1} {
		if n := s.count(t, `SELECT count(*) FROM webhook_events WHERE company_id = $1 AND type = $2 AND data->'post'->>'id' = $3`, owner.CompanyID, typ, string(p.ID)); n != want {
			t.Errorf("%d %s webhook events, want %d", n, typ, want)
		}
	}
	if n := s.count(t, `SELECT count(*) FROM webhook_events WHERE type = 'post.rejected' AND data->'post'->'approval'->>'comment' = 'Say which day.'`); n != 1 {
		t.Errorf("the post.rejected event does not carry the comment")
	}
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'approval_requested'`, owner.UserID); n != 2 {
		t.Errorf("owner has %d approval requests, want 2 (one per submission)", n)
	}
}

// TestApprovals_EditingAnApprovedPostSendsItBackAndFencesItsJob: the approved post's job
// is stale once the editor edits it; running it publishes nothing.
func TestApprovals_EditingAnApprovedPostSendsItBackAndFencesItsJob(t *testing.T) {
	t.Parallel()
	s := newApprovalSetup(t, "editors")
	a, owner, editor := s.a, s.owner, s.editor
	p := s.draft(t, editor, "Approved, then changed")
	at := a.Clock.Now().Add(time.Hour).Truncate(time.Second)
	p, err := a.Posts.Submit(a.Ctx, editor, p.ID, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	approved, err := a.Posts.Approve(a.Ctx, owner, p.ID, "", 0)
	if err != nil || approved.Status() != domain.PostScheduled {
		t.Fatalf("approve: %v %s", err, approved.Status())
	}
	// The editor may move an approved post's time without a new approval...
	moved, err := a.Posts.Schedule(a.Ctx, editor, p.ID, at.Add(time.Hour), 0)
	if err != nil || moved.Status() != domain.PostScheduled {
		t.Fatalf("editor reschedules an approved post: %v", err)
	}
	// ...but a change of content goes back to review.
	edited, err := a.Posts.Update(a.Ctx, editor, p.ID, domain.PostInput{Content: "Changed after approval", AccountIDs: []domain.AccountID{s.acct.ID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Status() != domain.PostInReview || !edited.ScheduledFor().Equal(at.Add(time.Hour).UTC()) || edited.Approval().DecidedBy != "" {
		t.Fatalf("edited: %s at %v %+v", edited.Status(), edited.ScheduledFor(), edited.Approval())
	}
	// The jobs of the approved versions run: each is stale and does nothing.
	for _, v := range []int{approved.Version(), moved.Version()} {
		if err := a.Publishing.PublishPost(a.Ctx, owner.CompanyID, p.ID, v); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Get(t, owner, p.ID); got.Status() != domain.PostInReview || got.Targets[0].Status() != domain.TargetPending {
		t.Fatalf("after the old jobs ran: %s, target %s", got.Status(), got.Targets[0].Status())
	}
	if _, posts := a.Net.Total(); posts != 0 {
		t.Fatalf("the network got %d posts", posts)
	}
	// The owner edits without needing approval: a post in review stays in review.
	kept, err := a.Posts.Update(a.Ctx, owner, p.ID, domain.PostInput{Content: "Owner's touch", AccountIDs: []domain.AccountID{s.acct.ID}}, 0)
	if err != nil || kept.Status() != domain.PostInReview || kept.Approval().SubmittedBy != editor.UserID {
		t.Fatalf("owner's edit: %v %s %+v", err, kept.Status(), kept.Approval())
	}
	final, err := a.Posts.Approve(a.Ctx, owner, p.ID, "", 0)
	if err != nil || final.Status() != domain.PostScheduled {
		t.Fatalf("approve again: %v %s", err, final.Status())
	}
	if err := a.Publishing.PublishPost(a.Ctx, owner.CompanyID, p.ID, final.Version()); err != nil {
		t.Fatal(err)
	}
	if got := a.Get(t, owner, p.ID); got.Status() != domain.PostPublishing {
		t.Fatalf("the approved version's job did not claim the post: %s", got.Status())
	}
}

// TestApprovals_TimePassedWhileInReview: nothing publishes a post in review; it says it
// waits, and approving it late leaves it approved without a time for someone to schedule.
func TestApprovals_TimePassedWhileInReview(t *testing.T) {
	t.Parallel()
	s := newApprovalSetup(t, "editors")
	a, owner, editor := s.a, s.owner, s.editor
	p := s.draft(t, editor, "Too late")
	at := a.Clock.Now().Add(time.Hour)
	p, err := a.Posts.Submit(a.Ctx, editor, p.ID, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(3 * time.Hour)
	if note := a.Get(t, owner, p.ID).WaitingNote(a.Clock.Now(), time.UTC); !strings.HasPrefix(note, "Waiting for approval; its time (") || !strings.HasSuffix(note, ") has passed") {
		t.Fatalf("waiting note %q", note)
	}
	if n, err := a.Publishing.Sweep(a.Ctx, time.Minute, time.Minute); err != nil || a.JobCount(t, "publish_post", p.ID) != 0 {
		t.Fatalf("sweep: %d %v; %d jobs", n, err, a.JobCount(t, "publish_post", p.ID))
	}
	p, err = a.Posts.Approve(a.Ctx, owner, p.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.PostApproved || !p.ScheduledFor().IsZero() || p.Reason() != domain.ReasonApprovedLate {
		t.Fatalf("approved late: %s at %v %q", p.Status(), p.ScheduledFor(), p.Reason())
	}
	if n := a.JobCount(t, "publish_post", p.ID); n != 0 {
		t.Fatalf("%d publish jobs for a post approved late", n)
	}
	// Anyone allowed to schedule may now give it a time, the editor included.
	p, err = a.Posts.Schedule(a.Ctx, editor, p.ID, a.Clock.Now().Add(time.Hour), 0)
	if err != nil || p.Status() != domain.PostScheduled || p.Reason() != "" {
		t.Fatalf("schedule the approved post: %v %s %q", err, p.Status(), p.Reason())
	}
	if n := a.JobCount(t, "publish_post", p.ID); n != 1 {
		t.Fatalf("%d publish jobs, want 1", n)
	}
}

// TestApprovals_WhoMayApprove: a granted approver may; a viewer may not; under "everyone"
// the owner needs approval and cannot approve their own post; another company's post is
// not found.
func TestApprovals_WhoMayApprove(t *testing.T) {
	t.Parallel()
	s := newApprovalSetup(t, "everyone")
	a, owner, editor := s.a, s.owner, s.editor
	approver := a.Member(t, owner.CompanyID, domain.RoleEditor)
	viewer := a.Member(t, owner.CompanyID, domain.RoleViewer)
	if _, err := a.Teams.SetApprover(a.Ctx, editor, approver.UserID, true, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("an editor granted approver: %v", err)
	}
	m, err := a.Teams.SetApprover(a.Ctx, owner, approver.UserID, true, 0)
	if err != nil || !m.Approver || m.Version != 2 {
		t.Fatalf("grant: %v %+v", err, m)
	}
	if n := s.count(t, `SELECT count(*) FROM audit_log WHERE action = 'member.approver_granted' AND subject = $1`, string(approver.UserID)); n != 1 {
		t.Fatalf("%d grant audit entries", n)
	}

	own := s.draft(t, owner, "The owner's own")
	wantApprovalCode(t, "owner schedules under everyone", func() error { _, err := a.Posts.Schedule(a.Ctx, owner, own.ID, time.Time{}, 0); return err }(), domain.CodeApprovalRequired)
	if _, err := a.Posts.Submit(a.Ctx, owner, own.ID, a.Clock.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	// The granted approver was told, the viewer was not.
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'approval_requested'`, approver.UserID); n != 1 {
		t.Errorf("the approver has %d requests", n)
	}
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1`, viewer.UserID); n != 0 {
		t.Errorf("the viewer was notified")
	}
	wantApprovalCode(t, "owner approves own", func() error { _, err := a.Posts.Approve(a.Ctx, owner, own.ID, "", 0); return err }(), domain.CodeForbidden)
	wantApprovalCode(t, "viewer approves", func() error { _, err := a.Posts.Approve(a.Ctx, viewer, own.ID, "", 0); return err }(), domain.CodeForbidden)
	wantApprovalCode(t, "editor requests changes", func() error {
		_, err := a.Posts.RequestChanges(a.Ctx, editor, own.ID, "no", 0)
		return err
	}(), domain.CodeForbidden)

	other := a.Company(t, domain.RoleOwner)
	wantApprovalCode(t, "another company approves", func() error { _, err := a.Posts.Approve(a.Ctx, other, own.ID, "", 0); return err }(), domain.CodeNotFound)
	wantApprovalCode(t, "another company rejects", func() error {
		_, err := a.Posts.RequestChanges(a.Ctx, other, own.ID, "no", 0)
		return err
	}(), domain.CodeNotFound)
	wantApprovalCode(t, "another company submits", func() error { _, err := a.Posts.Submit(a.Ctx, other, own.ID, time.Time{}, 0); return err }(), domain.CodeNotFound)

	p, err := a.Posts.Approve(a.Ctx, approver, own.ID, "", 0)
	if err != nil || p.Status() != domain.PostScheduled || p.Approval().DecidedBy != approver.UserID {
		t.Fatalf("approver approves: %v %s", err, p.Status())
	}
	if n := s.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'approval_decided'`, owner.UserID); n != 1 {
		t.Errorf("the author has %d decisions", n)
	}

	// Revoked, the approver may not decide any more.
	if _, err := a.Teams.SetApprover(a.Ctx, owner, approver.UserID, false, 0); err != nil {
		t.Fatal(err)
	}
	next := s.draft(t, editor, "Next")
	if _, err := a.Posts.Submit(a.Ctx, editor, next.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	wantApprovalCode(t, "revoked approver", func() error { _, err := a.Posts.Approve(a.Ctx, approver, next.ID, "", 0); return err }(), domain.CodeForbidden)
}

// TestApprovals_Rules: who needs approval under each rule.
func TestApprovals_Rules(t *testing.T) {
	t.Parallel()
	s := newApprovalSetup(t)
	a, owner, editor := s.a, s.owner, s.editor
	set := func(rules ...string) {
		t.Helper()
		if _, err := a.Teams.UpdateSettings(a.Ctx, owner, app.CompanyUpdate{Approvals: &rules}, 0); err != nil {
			t.Fatal(err)
		}
	}
	need := func(actor domain.Actor, ai bool) bool {
		t.Helper()
		n, err := a.Posts.NeedsApproval(a.Ctx, actor, "", ai)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	api := editor
	api.ViaAPI = true
	ownerAPI := owner
	ownerAPI.ViaAPI = true
	if need(editor, true) || need(api, false) {
		t.Fatal("approval needed with no rules")
	}
	set("editors")
	if !need(editor, false) || need(owner, false) {
		t.Error("editors: wrong")
	}
	set("api")
	if need(editor, false) || !need(api, false) || need(ownerAPI, false) {
		t.Error("api: wrong")
	}
	set("ai")
	if need(editor, false) || !need(editor, true) || need(owner, true) {
		t.Error("ai: wrong")
	}
	set("everyone")
	if !need(owner, false) {
		t.Error("everyone: the owner needs none")
	}
	rules := []string{"nobody"}
	if _, err := a.Teams.UpdateSettings(a.Ctx, owner, app.CompanyUpdate{Approvals: &rules}, 0); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := a.Teams.UpdateSettings(a.Ctx, editor, app.CompanyUpdate{Approvals: &[]string{}}, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("an editor changed the rules: %v", err)
	}
	got, err := a.Teams.Settings(a.Ctx, editor)
	if err != nil || len(got.Approvals) != 1 || got.Approvals[0] != domain.ApprovalEveryone {
		t.Errorf("settings: %v %v", err, got.Approvals)
	}
	// An AI-assisted post, written by the editor under "ai", is held back at schedule.
	set("ai")
	p, err := a.Posts.Create(a.Ctx, editor, domain.PostInput{Content: "Suggested", AccountIDs: []domain.AccountID{s.acct.ID}, AIAssisted: true})
	if err != nil || !p.AIAssisted {
		t.Fatalf("create: %v %v", err, p.AIAssisted)
	}
	if stored := a.Get(t, owner, p.ID); !stored.AIAssisted {
		t.Fatal("ai_assisted was not stored")
	}
	wantApprovalCode(t, "schedule an AI-assisted post", func() error { _, err := a.Posts.Schedule(a.Ctx, editor, p.ID, time.Time{}, 0); return err }(), domain.CodeApprovalRequired)
}
