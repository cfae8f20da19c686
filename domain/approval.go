package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Approval is a post's last trip through review: who submitted it and when, and who
// decided, when, and what they said. Zero when the post was never submitted.
type Approval struct {
	SubmittedBy UserID
	SubmittedAt time.Time
	DecidedBy   UserID
	DecidedAt   time.Time
	Comment     string // the decision's comment (required when changes are requested)
}

// Submitted reports whether the post was ever submitted for approval.
func (a Approval) Submitted() bool { return !a.SubmittedAt.IsZero() }

// MaxDecisionCommentRunes bounds an approver's comment.
const MaxDecisionCommentRunes = 5000

// Reasons a post in review or approved carries for people.
const (
	ReasonApprovedLate   = "Approved after its time had passed; choose a new time"
	ReasonApprovedNoTime = "Approved; choose a time to publish it"
)

// ApprovalRule names who needs approval before their posts are scheduled (a company setting).
type ApprovalRule string

// The approval rules.
const (
	ApprovalEditors  ApprovalRule = "editors"  // posts written by editors
	ApprovalEveryone ApprovalRule = "everyone" // every post, owners' and admins' included
	ApprovalAPI      ApprovalRule = "api"      // posts created or changed through the JSON API
	ApprovalAI       ApprovalRule = "ai"       // posts written with the AI assist's help
)

// ApprovalRules lists every rule, in the order the settings page shows them.
var ApprovalRules = []ApprovalRule{ApprovalEditors, ApprovalEveryone, ApprovalAPI, ApprovalAI}

// Title is the rule as the settings page says it.
func (r ApprovalRule) Title() string {
	switch r {
	case ApprovalEditors:
		return "Posts written by editors"
	case ApprovalEveryone:
		return "Every post, also those of owners, admins and approvers"
	case ApprovalAPI:
		return "Posts created or changed through the API"
	case ApprovalAI:
		return "Posts written with AI help"
	}
	return string(r)
}

// ParseApprovalRules returns the distinct rules named, in ApprovalRules order, or
// CodeInvalid on field naming an unknown one. None is valid: no approval is required.
func ParseApprovalRules(field string, names []string) ([]ApprovalRule, error) {
	for _, n := range names {
		if !slices.Contains(ApprovalRules, ApprovalRule(n)) {
			return nil, InvalidField(field, fmt.Sprintf("%q is not an approval rule; use editors, everyone, api or ai", n))
		}
	}
	out := []ApprovalRule{}
	for _, r := range ApprovalRules {
		if slices.Contains(names, string(r)) {
			out = append(out, r)
		}
	}
	return out, nil
}

// ApprovalPolicy is a company's approval rules.
type ApprovalPolicy []ApprovalRule

// Has reports whether the policy holds rule r.
func (p ApprovalPolicy) Has(r ApprovalRule) bool { return slices.Contains(p, r) }

// Requires reports whether the actor needs approval to schedule post: every post when
// "everyone" is set; otherwise never for those who may approve (owners, admins,
// approvers: they would approve it themselves), and for the others when they are editors
// ("editors"), act through the JSON API ("api"), or the post had AI help ("ai").
func (p ApprovalPolicy) Requires(actor Actor, canApprove bool, post Post) bool {
	switch {
	case p.Has(ApprovalEveryone):
		return true
	case canApprove:
		return false
	}
	return (p.Has(ApprovalEditors) && actor.Role == RoleEditor) || (p.Has(ApprovalAPI) && actor.ViaAPI) ||
		(p.Has(ApprovalAI) && post.AIAssisted)
}

// CheckApprover returns CodeForbidden when the actor may not decide on post: under
// "everyone" nobody approves a post they wrote or submitted (otherwise an approver's own
// posts need no approval at all).
func (p ApprovalPolicy) CheckApprover(actor Actor, post Post) error {
	if p.Has(ApprovalEveryone) && (post.CreatedBy == actor.UserID || post.approval.SubmittedBy == actor.UserID) {
		return Errorf(CodeForbidden, "You cannot decide on a post you wrote or submitted: another approver must.")
	}
	return nil
}

// ErrApprovalRequired is the answer to scheduling a post that needs approval.
func ErrApprovalRequired() error {
	return Errorf(CodeApprovalRequired, "This post needs approval: submit it for approval.")
}

// Approval returns the post's last trip through review.
func (p Post) Approval() Approval { return p.approval }

// RestoreApproval sets the approval read from storage. Only adapters/postgres calls it.
func RestoreApproval(p Post, a Approval) Post {
	p.approval = a
	return p
}

// Submit sends the post for approval by submitter, wanting it out at at (zero: the time
// it already wants, if any; a time that passed is dropped for a draft). A failed post is
// submitted as a draft (its targets start over). Errors: CodeConflict (not a draft,
// failed, sent back or scheduled post); CodeInvalid (a time in the past, no account).
func (p *Post) Submit(submitter UserID, at, now time.Time) error {
	switch p.status {
	case PostDraft, PostChangesRequested, PostScheduled, PostApproved:
	case PostFailed:
		p.resetTargets()
		p.scheduledFor = time.Time{}
	case PostInReview:
		return Errorf(CodeConflict, "This post already waits for approval.")
	default:
		return Errorf(CodeConflict, "A %s post cannot be submitted for approval.", humanStatus(p.status))
	}
	if len(p.Targets) == 0 {
		return InvalidField("account_ids", "choose at least one account")
	}
	if at.IsZero() {
		at = p.scheduledFor
	} else if at.Before(now.Add(-SchedulePastTolerance)) {
		return InvalidField("scheduled_for", "is in the past")
	}
	if !at.IsZero() && at.Before(now) {
		at = now
	}
	p.status, p.scheduledFor, p.reason = PostInReview, at.UTC(), ""
	if at.IsZero() {
		p.scheduledFor = time.Time{}
	}
	p.approval = Approval{SubmittedBy: submitter, SubmittedAt: now.UTC()}
	p.version++
	p.UpdatedAt = now.UTC()
	return nil
}

// SendBack puts an edited post that was in review, approved or scheduled back into review
// (its editor needs approval): any publish job becomes stale. It reports whether it did.
func (p *Post) SendBack(submitter UserID, now time.Time) bool {
	switch p.status {
	case PostInReview, PostApproved, PostScheduled:
	default:
		return false
	}
	at := p.scheduledFor
	if p.status == PostApproved {
		at = time.Time{}
	}
	p.status, p.scheduledFor, p.reason = PostInReview, at, ""
	p.approval = Approval{SubmittedBy: submitter, SubmittedAt: now.UTC()}
	p.version++
	p.UpdatedAt = now.UTC()
	return true
}

// Approve records approver's approval with an optional comment. A post whose wanted time
// is still ahead (or within SchedulePastTolerance) is scheduled for it, and Approve
// reports true: its publish job must be enqueued (the version changed). Without a time,
// or when its time has passed, it becomes approved with no time and a reason saying so.
// Errors: CodeConflict (not in review); CodeInvalid (comment).
func (p *Post) Approve(approver UserID, comment string, now time.Time) (bool, error) {
	if p.status != PostInReview {
		return false, Errorf(CodeConflict, "Only a post in review can be approved; this one is %s.", humanStatus(p.status))
	}
	comment, err := decisionComment(comment, false)
	if err != nil {
		return false, err
	}
	p.approval.DecidedBy, p.approval.DecidedAt, p.approval.Comment = approver, now.UTC(), comment
	p.version++
	p.UpdatedAt = now.UTC()
	at := p.scheduledFor
	switch {
	case at.IsZero():
		p.status, p.reason = PostApproved, ReasonApprovedNoTime
		return false, nil
	case at.Before(now.Add(-SchedulePastTolerance)):
		p.status, p.scheduledFor, p.reason = PostApproved, time.Time{}, ReasonApprovedLate
		return false, nil
	case at.Before(now):
		at = now
	}
	p.status, p.scheduledFor, p.reason = PostScheduled, at.UTC(), ""
	return true, nil
}

// RequestChanges sends a post in review back to its author with decider's comment
// (required): the post keeps its wanted time for the next submission.
// Errors: CodeConflict (not in review); CodeInvalid (comment missing or too long).
func (p *Post) RequestChanges(decider UserID, comment string, now time.Time) error {
	if p.status != PostInReview {
		return Errorf(CodeConflict, "Only a post in review can be sent back; this one is %s.", humanStatus(p.status))
	}
	comment, err := decisionComment(comment, true)
	if err != nil {
		return err
	}
	p.approval.DecidedBy, p.approval.DecidedAt, p.approval.Comment = decider, now.UTC(), comment
	p.status, p.reason = PostChangesRequested, ""
	p.version++
	p.UpdatedAt = now.UTC()
	return nil
}

func decisionComment(s string, required bool) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case required && s == "":
		return "", InvalidField("comment", "say what should change")
	case !utf8.ValidString(s):
		return "", InvalidField("comment", "is not valid UTF-8 text")
	case utf8.RuneCountInString(s) > MaxDecisionCommentRunes:
		return "", InvalidField("comment", fmt.Sprintf("is longer than %s characters", thousands(MaxDecisionCommentRunes)))
	}
	return s, nil
}

// WaitingNote says why a post in review has not gone out once its wanted time passed
// ("" otherwise): nothing publishes a post that waits for approval.
func (p Post) WaitingNote(now time.Time, zone *time.Location) string {
	if p.status != PostInReview || p.scheduledFor.IsZero() || !p.scheduledFor.Before(now) {
		return ""
	}
	if zone == nil {
		zone = time.UTC
	}
	return fmt.Sprintf("Waiting for approval; its time (%s) has passed", p.scheduledFor.In(zone).Format("2 Jan 2006 15:04 MST"))
}

// resetTargets starts every target over (a failed post tried again).
func (p *Post) resetTargets() {
	for i, t := range p.Targets {
		p.Targets[i] = Target{AccountID: t.AccountID, Platform: t.Platform, Variant: t.Variant, OwnMedia: t.OwnMedia, MediaIDs: t.MediaIDs,
			CommentText: t.CommentText, status: TargetPending}
	}
	p.resetComments()
}

// Waiting reports whether a post in status s has no publish job and waits for a person:
// a draft, or a post in review, sent back or approved without a time.
func (s PostStatus) Waiting() bool {
	return s == PostDraft || s == PostInReview || s == PostChangesRequested || s == PostApproved
}

// WentOut reports whether a post in status s finished publishing (well or not).
func (s PostStatus) WentOut() bool {
	return s == PostPublished || s == PostPartiallyPublished || s == PostFailed
}
