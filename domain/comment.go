package domain

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// CommentStatus says where a target's first comment is. It is published right after the
// target's post, by the same account, and has its own state: the post counts as published
// when the post is out, whatever becomes of its comment.
type CommentStatus string

// The statuses of a first comment. None: the target has no first comment. Published,
// failed and unknown are final (a failed one may be retried by a person).
const (
	CommentNone       CommentStatus = ""
	CommentPending    CommentStatus = "pending"
	CommentPublishing CommentStatus = "publishing"
	CommentPublished  CommentStatus = "published"
	CommentFailed     CommentStatus = "failed"
	CommentUnknown    CommentStatus = "unknown"
)

// MaxCommentRunes is Herald's own limit of a first comment; each platform's is in
// Rules.CommentRunes.
const MaxCommentRunes = 8000

// CommentState is the state of a target's first comment, kept like the target's own:
// an attempt is recorded (AttemptOpen) before the platform is called.
type CommentState struct {
	Status      CommentStatus
	ExternalID  string
	Reason      string // the last error, for a person
	Attempts    int
	AttemptOpen bool
	PublishedAt time.Time
}

// Comment returns the state of the target's first comment (status CommentNone when it has
// none).
func (t Target) Comment() CommentState { return t.comment }

// RestoreComment rebuilds a target's first comment read from storage. Only
// adapters/postgres calls it.
func RestoreComment(t Target, c CommentState) Target {
	t.comment = c
	return t
}

// CommentFor returns the first comment published under the target's post: its own
// (a variant's), or the post's; "" when there is none or the platform takes none.
func (p Post) CommentFor(t Target) string {
	if !t.Platform.TakesFirstComment() {
		return ""
	}
	if t.CommentText != "" {
		return t.CommentText
	}
	return p.FirstComment
}

// resetComments gives every target whose post has a first comment for it a pending one,
// and the others none: a target that will be published (again) from the start.
func (p *Post) resetComments() {
	for i := range p.Targets {
		p.Targets[i].comment = CommentState{}
		if p.CommentFor(p.Targets[i]) != "" {
			p.Targets[i].comment.Status = CommentPending
		}
	}
}

// Final reports whether the comment will not change on its own any more (published,
// failed, unknown, or none at all).
func (c CommentState) Final() bool {
	return c.Status == CommentNone || c.Status == CommentPublished || c.Status == CommentFailed || c.Status == CommentUnknown
}

// CommentDue reports whether the target's first comment is to be sent: the target's post
// is out (with the platform's id to comment under) and the comment is not final. A
// comment whose post failed or is unknown is never sent.
func (t Target) CommentDue() bool {
	return t.status == TargetPublished && t.externalID != "" && !t.comment.Final()
}

// StartCommentAttempt records the intent to send the first comment, before the platform
// is called. CodeConflict when the comment is not due or an earlier attempt is still open
// (that one must be looked up first).
func (t *Target) StartCommentAttempt() error {
	if !t.CommentDue() {
		return Errorf(CodeConflict, "This target's first comment is not waiting to be sent.")
	}
	if t.comment.AttemptOpen {
		return Errorf(CodeConflict, "An earlier attempt of the first comment has no recorded result yet.")
	}
	t.comment.Status, t.comment.AttemptOpen = CommentPublishing, true
	t.comment.Attempts++
	return nil
}

// CommentSucceed records that the platform published the first comment.
func (t *Target) CommentSucceed(externalID string, at time.Time) error {
	if t.comment.Final() {
		return Errorf(CodeConflict, "This first comment is already %s.", t.comment.humanStatus())
	}
	t.comment.Status, t.comment.AttemptOpen = CommentPublished, false
	t.comment.ExternalID, t.comment.PublishedAt, t.comment.Reason = externalID, at.UTC(), ""
	return nil
}

// CommentRetry records an attempt of the first comment that failed in a way worth trying
// again: the platform surely does not have it.
func (t *Target) CommentRetry(reason string) error {
	if t.comment.Final() {
		return Errorf(CodeConflict, "This first comment is already %s.", t.comment.humanStatus())
	}
	t.comment.Status, t.comment.AttemptOpen, t.comment.Reason = CommentPublishing, false, reason
	return nil
}

// CommentFail records that the first comment will not be published, and why. The target
// keeps its own status: its post is out.
func (t *Target) CommentFail(reason string) error {
	if t.comment.Final() {
		return Errorf(CodeConflict, "This first comment is already %s.", t.comment.humanStatus())
	}
	t.comment.Status, t.comment.AttemptOpen, t.comment.Reason = CommentFailed, false, reason
	return nil
}

// CommentUnknown records that nobody can tell whether the platform has the first comment.
func (t *Target) CommentUnknown(reason string) error {
	if t.comment.Final() {
		return Errorf(CodeConflict, "This first comment is already %s.", t.comment.humanStatus())
	}
	t.comment.Status, t.comment.AttemptOpen, t.comment.Reason = CommentUnknown, false, reason
	return nil
}

func (c CommentState) humanStatus() string {
	if c.Status == CommentNone {
		return "absent"
	}
	return string(c.Status)
}

// RetryComment puts the failed first comment of the post's target on account back to
// pending, to be sent again (the post itself is not sent again), with a fresh count of
// attempts. Errors: CodeNotFound (no such target); CodeConflict (no failed comment, or
// the post is not out on that account).
func (p *Post) RetryComment(account AccountID, now time.Time) error {
	t := p.target(account)
	if t == nil {
		return Errorf(CodeNotFound, "This post does not go to that account.")
	}
	if t.comment.Status != CommentFailed {
		return Errorf(CodeConflict, "Only a failed first comment can be retried; this one is %s.", t.comment.humanStatus())
	}
	if t.status != TargetPublished || t.externalID == "" {
		return Errorf(CodeConflict, "Herald does not know the published post's id on %s, so it cannot comment under it.", t.Platform.Title())
	}
	t.comment = CommentState{Status: CommentPending}
	p.UpdatedAt = now.UTC()
	return nil
}

// ResolveComment records a person's answer about the first comment on account that was
// left unknown: published, or not, and then it is sent again (it reports whether it
// must be). Errors: CodeNotFound (no such target); CodeConflict (the comment is not
// unknown).
func (p *Post) ResolveComment(account AccountID, published bool, now time.Time) (bool, error) {
	t := p.target(account)
	if t == nil {
		return false, Errorf(CodeNotFound, "This post does not go to that account.")
	}
	if t.comment.Status != CommentUnknown {
		return false, Errorf(CodeConflict, "Only a first comment whose outcome is unknown can be resolved; this one is %s.", t.comment.humanStatus())
	}
	p.UpdatedAt = now.UTC()
	if published {
		t.comment.Status, t.comment.AttemptOpen, t.comment.PublishedAt = CommentPublished, false, now.UTC()
		t.comment.Reason = "Marked as published by a person."
		return false, nil
	}
	t.comment = CommentState{Status: CommentPending, Reason: "A person asked to send it again."}
	return true, nil
}

// checkCommentRules returns what breaks the platform's limit of a first comment, or "".
func checkCommentRules(platform Platform, comment string) string {
	if comment == "" {
		return ""
	}
	limit := PlatformRules[platform].CommentRunes
	if n := utf8.RuneCountInString(comment); limit > 0 && n > limit {
		return fmt.Sprintf("is %s characters long; %s takes at most %s", thousands(n), platform.Title(), thousands(limit))
	}
	return ""
}
