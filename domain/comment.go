package domain

import "time"

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
