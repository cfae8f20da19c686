package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// settingApprovals is the company setting that holds its approval rules, comma-separated.
const settingApprovals = "approvals"

// approvalPolicyOf returns the approval rules kept in a company's settings.
func approvalPolicyOf(settings map[string]string) domain.ApprovalPolicy {
	raw := strings.TrimSpace(settings[settingApprovals])
	if raw == "" {
		return domain.ApprovalPolicy{}
	}
	rules, _ := domain.ParseApprovalRules(settingApprovals, strings.Split(raw, ",")) // written only by putApprovals
	return rules
}

func putApprovals(settings map[string]string, p domain.ApprovalPolicy) {
	names := make([]string, len(p))
	for i, r := range p {
		names[i] = string(r)
	}
	settings[settingApprovals] = strings.Join(names, ",")
}

// The approval steps as changeTx carries them out.
var (
	postSubmit  = postChange{resource: domain.ResourcePosts, audit: "post.submitted"}
	postApprove = postChange{resource: domain.ResourceApprovals, audit: "post.approved", count: true, notify: true}
	postReject  = postChange{resource: domain.ResourceApprovals, audit: "post.changes_requested"}
)

// canApprove reports whether the actor may decide on posts in review (owners, admins and
// members granted the approver permission).
func (s *Posts) canApprove(ctx context.Context, actor domain.Actor) bool {
	return s.authz.Can(ctx, actor, domain.ResourceApprovals, domain.ActionWrite) == nil
}

// approvalPolicy returns the company's approval rules, read in tx.
func approvalPolicy(ctx context.Context, tx ports.Tx, company domain.CompanyID) (domain.ApprovalPolicy, error) {
	c, err := tx.Companies().Get(ctx, company)
	if err != nil {
		return nil, err
	}
	return approvalPolicyOf(c.Settings), nil
}

// NeedsApproval reports whether the actor needs approval to schedule the company's post
// (the web app shows "Submit for approval" instead of Schedule then). A zero id asks about
// a new post, written with or without AI help (aiAssisted).
// Errors: CodeForbidden; CodeNotFound.
func (s *Posts) NeedsApproval(ctx context.Context, actor domain.Actor, id domain.PostID, aiAssisted bool) (bool, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return false, err
	}
	can := s.canApprove(ctx, actor)
	var need bool
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		policy, err := approvalPolicy(ctx, tx, actor.CompanyID)
		if err != nil || len(policy) == 0 {
			return err
		}
		p := domain.Post{AIAssisted: aiAssisted}
		if id != "" {
			if p, err = tx.Posts().Get(ctx, actor.CompanyID, id); err != nil {
				return err
			}
			p.AIAssisted = p.AIAssisted || aiAssisted
		}
		need = policy.Requires(actor, can, p)
		return nil
	})
	return need, err
}

// ApprovalPolicy returns the actor's company's approval rules (every member may read them).
// Errors: CodeForbidden.
func (s *Posts) ApprovalPolicy(ctx context.Context, actor domain.Actor) (domain.ApprovalPolicy, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return nil, err
	}
	var out domain.ApprovalPolicy
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = approvalPolicy(ctx, tx, actor.CompanyID)
		return err
	})
	return out, err
}

// checkApproval returns CodeApprovalRequired when the actor needs approval to schedule p:
// a post already approved (approved, or scheduled after its approval) needs none again.
func (s *Posts) checkApproval(ctx context.Context, tx ports.Tx, actor domain.Actor, p domain.Post) error {
	if p.Status() == domain.PostApproved || (p.Status() == domain.PostScheduled && !p.Approval().DecidedAt.IsZero()) {
		return nil
	}
	policy, err := approvalPolicy(ctx, tx, actor.CompanyID)
	if err != nil || len(policy) == 0 {
		return err
	}
	if policy.Requires(actor, s.canApprove(ctx, actor), p) {
		return domain.ErrApprovalRequired()
	}
	return nil
}

// Submit sends the post for approval, wanting it out at at (zero: the time it already
// wants, if any). Its content must pass every platform's rules already, so an approver
// never approves a post that cannot go out. Approvers are told.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound; CodeStale; CodeConflict (a post in
// review, publishing or published); CodeInvalid (time in the past, a rule broken).
func (s *Posts) Submit(ctx context.Context, actor domain.Actor, id domain.PostID, at time.Time, ifMatch int) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		p, err = s.changeTx(ctx, tx, actor, id, ifMatch, postSubmit, nil, func(p *domain.Post, accounts []domain.Account) (bool, error) {
			if err := p.Submit(actor.UserID, at, s.now()); err != nil {
				return false, err
			}
			library, err := libraryOf(ctx, tx, *p)
			if err != nil {
				return false, err
			}
			if err := s.checkPublishable(ctx, tx, actor, *p, accounts, library); err != nil {
				return false, err
			}
			return false, p.CheckLibraryMedia(library)
		})
		if err != nil {
			return err
		}
		return s.submitted(ctx, tx, actor, p)
	})
	return p, err
}

// submitted tells approvers and webhook subscribers that p waits for approval.
func (s *Posts) submitted(ctx context.Context, tx ports.Tx, actor domain.Actor, p domain.Post) error {
	now := s.now()
	if err := emitEvent(ctx, tx, p.CompanyID, domain.EventPostSubmitted, approvalEventData(p), now); err != nil {
		return err
	}
	if s.Notify == nil {
		return nil
	}
	_, err := s.Notify.Notify(ctx, tx, Notice{Kind: domain.NotifyApprovalRequested, Company: p.CompanyID, PostID: p.ID,
		Text: fmt.Sprintf("A post waits for your approval: %s", quoteExcerpt(p.Content)),
		Key:  fmt.Sprintf("approval_requested:%s:%d", p.ID, p.Approval().SubmittedAt.UnixMicro()), Audience: AudienceApprovers, Except: actor.UserID})
	return err
}

// Approve approves a post in review with an optional comment: it is scheduled at its
// time (its publish job enqueued, counted toward the plan), or, without a time or once its
// time has passed, left approved for someone to schedule. Its author and submitter are told.
// Errors: CodeForbidden (not an approver; one's own post when every post needs approval);
// CodeSuspended; CodeLimit; CodeNotFound; CodeStale; CodeConflict (not in review);
// CodeInvalid (comment, a rule broken since).
func (s *Posts) Approve(ctx context.Context, actor domain.Actor, id domain.PostID, comment string, ifMatch int) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceApprovals, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	media, err := s.mediaOf(ctx, actor, id)
	if err != nil {
		return domain.Post{}, err
	}
	return s.decide(ctx, actor, id, ifMatch, postApprove, media, func(p *domain.Post) (bool, error) {
		return p.Approve(actor.UserID, comment, s.now())
	})
}

// RequestChanges sends a post in review back to its author with a comment (required).
// Errors: those of Approve; CodeInvalid (comment missing).
func (s *Posts) RequestChanges(ctx context.Context, actor domain.Actor, id domain.PostID, comment string, ifMatch int) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceApprovals, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	return s.decide(ctx, actor, id, ifMatch, postReject, nil, func(p *domain.Post) (bool, error) {
		return false, p.RequestChanges(actor.UserID, comment, s.now())
	})
}

func (s *Posts) decide(ctx context.Context, actor domain.Actor, id domain.PostID, ifMatch int, kind postChange, media map[string]domain.MediaInfo,
	step func(p *domain.Post) (bool, error)) (domain.Post, error) {
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		policy, err := approvalPolicy(ctx, tx, actor.CompanyID)
		if err != nil {
			return err
		}
		p, err = s.changeTx(ctx, tx, actor, id, ifMatch, kind, media, func(p *domain.Post, _ []domain.Account) (bool, error) {
			if err := policy.CheckApprover(actor, *p); err != nil {
				return false, err
			}
			return step(p)
		})
		if err != nil {
			return err
		}
		event, text := domain.EventPostApproved, fmt.Sprintf("Your post %s was approved", quoteExcerpt(p.Content))
		switch {
		case p.Status() == domain.PostChangesRequested:
			event, text = domain.EventPostRejected, fmt.Sprintf("Changes were requested on your post %s", quoteExcerpt(p.Content))
		case p.Reason() == domain.ReasonApprovedLate:
			text += " after its time had passed; choose a new time"
		case p.Status() == domain.PostApproved:
			text += "; choose a time to publish it"
		}
		if c := p.Approval().Comment; c != "" {
			text += ": " + c
		}
		if err := emitEvent(ctx, tx, p.CompanyID, event, approvalEventData(p), s.now()); err != nil {
			return err
		}
		if s.Notify == nil {
			return nil
		}
		var to []domain.UserID
		for _, u := range []domain.UserID{p.CreatedBy, p.Approval().SubmittedBy} {
			if u != "" {
				to = append(to, u)
			}
		}
		_, err = s.Notify.Notify(ctx, tx, Notice{Kind: domain.NotifyApprovalDecided, Company: p.CompanyID, PostID: p.ID, Text: text,
			Key: fmt.Sprintf("approval_decided:%s:%d", p.ID, p.Approval().DecidedAt.UnixMicro()), To: to, Except: actor.UserID})
		return err
	})
	return p, err
}

// mediaOf looks at the post's media files before a transaction that may schedule it
// (permission already checked); nil without a probe.
func (s *Posts) mediaOf(ctx context.Context, actor domain.Actor, id domain.PostID) (map[string]domain.MediaInfo, error) {
	if s.probe == nil {
		return nil, nil
	}
	var p domain.Post
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		p, err = tx.Posts().Get(ctx, actor.CompanyID, id)
		return err
	}); err != nil {
		return nil, err
	}
	return s.probeMedia(ctx, p)
}

// approvalEventData is a post event's data with the post's approval.
func approvalEventData(p domain.Post) map[string]any {
	data := postEventData(p)
	post, _ := data["post"].(map[string]any)
	post["approval"] = approvalData(p.Approval())
	return data
}

func approvalData(a domain.Approval) any {
	if !a.Submitted() {
		return nil
	}
	return map[string]any{"submitted_by": nullable(string(a.SubmittedBy)), "submitted_at": nullableTime(a.SubmittedAt),
		"decided_by": nullable(string(a.DecidedBy)), "decided_at": nullableTime(a.DecidedAt), "comment": nullable(a.Comment)}
}

// quoteExcerpt is the start of a post's text in quotes, for a notification's sentence.
func quoteExcerpt(content string) string {
	content = strings.Join(strings.Fields(content), " ")
	if utf8.RuneCountInString(content) > 60 {
		r := []rune(content)
		content = strings.TrimSpace(string(r[:60])) + "…"
	}
	if content == "" {
		return "(media only)"
	}
	return "“" + content + "”"
}

// InReview returns the company's posts waiting for approval, newest first, at most limit
// (the review page), for those who may decide on them.
// Errors: CodeForbidden.
func (s *Posts) InReview(ctx context.Context, actor domain.Actor, limit int) ([]domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceApprovals, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.Post
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, _, err = tx.Posts().List(ctx, actor.CompanyID, ports.PostFilter{Status: domain.PostInReview}, ports.Page{Limit: limit})
		return err
	})
	return out, err
}
