package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A post's discussion is its team's thread of comments (not the first comments Herald
// publishes to the platforms, see comment.go): members write with @mentions, and clients
// answer through a review link by comment or approval.

// PostCommentID identifies one entry of a post's discussion.
type PostCommentID string

// PostCommentKind says what an entry of a discussion is.
type PostCommentKind string

// The kinds of entries: a comment (by a member or a client), and a client's approval
// through a review link, which never changes the post (the team's approvers decide).
const (
	PostCommentText           PostCommentKind = "comment"
	PostCommentClientApproval PostCommentKind = "client_approval"
)

// Limits of a discussion's entries.
const (
	// MaxPostCommentRunes bounds a comment's text.
	MaxPostCommentRunes = 5_000
	// MaxClientNameRunes bounds the name a client gives on a review page.
	MaxClientNameRunes = 100
)

// PostComment is one entry of a post's discussion. A member's has AuthorID (empty once
// they are gone) and AuthorName, their name when they wrote; a client's has ByClient, the
// name they gave and the review link they used.
type PostComment struct {
	ID         PostCommentID
	CompanyID  CompanyID
	PostID     PostID
	AuthorID   UserID
	AuthorName string
	ByClient   bool
	Body       string
	// Mentions are the members the body @mentions, in order of first mention.
	Mentions     []UserID
	ReviewLinkID ReviewLinkID
	Kind         PostCommentKind
	CreatedAt    time.Time
}

// checkCommentBody returns body cleaned (trimmed, line breaks as "\n"), or a problem for
// the field body; empty is allowed only when allowEmpty.
func checkCommentBody(v Violations, body string, allowEmpty bool) string {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(body); {
	case TextProblem(body) != "":
		v.Add("body", TextProblem(body))
	case n == 0 && !allowEmpty:
		v.Add("body", "is empty: write a comment")
	case n > MaxPostCommentRunes:
		v.Add("body", fmt.Sprintf("is %s characters long; at most %s", thousands(n), thousands(MaxPostCommentRunes)))
	}
	return body
}

// NewPostComment returns a member's comment on the company's post, with the members it
// mentions among members, or CodeInvalid on the field body.
func NewPostComment(company CompanyID, post PostID, author User, body string, members []MentionCandidate, now time.Time) (PostComment, error) {
	v := Violations{}
	body = checkCommentBody(v, body, false)
	if err := v.Err(); err != nil {
		return PostComment{}, err
	}
	name := author.Name
	if strings.TrimSpace(name) == "" {
		name = author.Email
	}
	c := PostComment{CompanyID: company, PostID: post, AuthorID: author.ID, AuthorName: clip(name, MaxClientNameRunes),
		Body: body, Kind: PostCommentText, CreatedAt: now.UTC()}
	for _, m := range FindMentions(body, members) {
		if !containsUser(c.Mentions, m.User) {
			c.Mentions = append(c.Mentions, m.User)
		}
	}
	return c, nil
}

// NewClientComment returns a client's entry on the company's post through link: a comment,
// or with approve an approval (its body, optional, says why). It returns CodeInvalid naming
// the fields name and body.
func NewClientComment(company CompanyID, post PostID, link ReviewLinkID, name, body string, approve bool, now time.Time) (PostComment, error) {
	v := Violations{}
	name = strings.Join(strings.Fields(name), " ")
	switch n := utf8.RuneCountInString(name); {
	case TextProblem(name) != "":
		v.Add("name", TextProblem(name))
	case n == 0:
		v.Add("name", "is empty: say who you are, so the team knows")
	case n > MaxClientNameRunes:
		v.Add("name", fmt.Sprintf("is %d characters long; at most %d", n, MaxClientNameRunes))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("name", "must be one line without control characters")
	}
	body = checkCommentBody(v, body, approve)
	if err := v.Err(); err != nil {
		return PostComment{}, err
	}
	kind := PostCommentText
	if approve {
		kind = PostCommentClientApproval
	}
	return PostComment{CompanyID: company, PostID: post, AuthorName: name, ByClient: true, Body: body, ReviewLinkID: link,
		Kind: kind, CreatedAt: now.UTC()}, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func containsUser(ids []UserID, id UserID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// MentionCandidate is a member who can be @mentioned: by their name or by the part of
// their email address before the @.
type MentionCandidate struct {
	ID    UserID
	Name  string
	Email string
}

// Handles returns the texts that mention c after an @: the name and the email's local part.
func (c MentionCandidate) Handles() []string {
	var out []string
	if n := strings.Join(strings.Fields(c.Name), " "); n != "" {
		out = append(out, n)
	}
	if i := strings.IndexByte(c.Email, '@'); i > 0 {
		out = append(out, c.Email[:i])
	}
	return out
}

// Mention is one @mention found in a text: the bytes [Start, End) of the text, the @
// included, name User.
type Mention struct {
	Start, End int
	User       UserID
}

// FindMentions returns the @mentions of members in text, in order. An @ starts a mention
// at the start of the text or after a character that is not a letter, digit or one of
// "._-" (so an email address is no mention); the longest handle of any member that follows
// it, whatever its case, and ends before a letter or digit, is the one mentioned. An @
// that names nobody stays plain text.
func FindMentions(text string, members []MentionCandidate) []Mention {
	var out []Mention
	for i := 0; i < len(text); i++ {
		if text[i] != '@' {
			continue
		}
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(text[:i])
			if isHandleRune(prev) {
				continue
			}
		}
		best, who := 0, UserID("")
		for _, m := range members {
			for _, h := range m.Handles() {
				end := i + 1 + len(h)
				if len(h) <= best || end > len(text) || !strings.EqualFold(text[i+1:end], h) {
					continue
				}
				if next, _ := utf8.DecodeRuneInString(text[i+1+len(h):]); next != utf8.RuneError && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
					continue
				}
				best, who = len(h), m.ID
			}
		}
		if who != "" {
			out = append(out, Mention{Start: i, End: i + 1 + best, User: who})
			i += best
		}
	}
	return out
}

func isHandleRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'
}

// ReviewLinkID identifies one review link of a company.
type ReviewLinkID string

// MaxReviewLinkLifetime bounds how far ahead a review link may expire.
const MaxReviewLinkLifetime = 90 * 24 * time.Hour

// ReviewLink opens, to whoever holds its token, a read-only preview of one post (PostID)
// or of the posts of a period of the calendar ([From, To)), where they may comment and
// approve without an account, until it expires or is revoked. Herald keeps only the
// token's hash.
type ReviewLink struct {
	ID         ReviewLinkID
	CompanyID  CompanyID
	PostID     PostID // "" for a period
	From, To   time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero while not revoked
	CreatedBy  UserID
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until a client first answered through it
}

// NewReviewLink returns the company's link to one post (post set) or to the period
// [from, to) (post ""), made by by at now, or CodeInvalid: expires must be after now and at
// most MaxReviewLinkLifetime ahead, a period must end after it starts and span at most 92
// days.
func NewReviewLink(company CompanyID, by UserID, post PostID, from, to, expires, now time.Time) (ReviewLink, error) {
	v := Violations{}
	switch {
	case expires.IsZero():
		v.Add("expires_at", "is missing: say when the link stops working")
	case !expires.After(now):
		v.Add("expires_at", "must be in the future")
	case expires.Sub(now) > MaxReviewLinkLifetime:
		v.Add("expires_at", "must be at most 90 days ahead")
	}
	if post == "" {
		switch {
		case from.IsZero():
			v.Add("from", "is missing: the first day of the period")
		case to.IsZero():
			v.Add("to", "is missing: the last day of the period")
		case !to.After(from):
			v.Add("to", "must not be before from")
		case to.Sub(from) > 92*24*time.Hour:
			v.Add("to", "must be at most 92 days after from")
		}
	}
	if err := v.Err(); err != nil {
		return ReviewLink{}, err
	}
	l := ReviewLink{CompanyID: company, PostID: post, ExpiresAt: expires.UTC(), CreatedBy: by, CreatedAt: now.UTC()}
	if post == "" {
		l.From, l.To = from.UTC(), to.UTC()
	}
	return l, nil
}

// Works returns nil while the link opens its preview at now, else CodeGone saying it was
// revoked or has expired.
func (l ReviewLink) Works(now time.Time) error {
	switch {
	case !l.RevokedAt.IsZero():
		return Errorf(CodeGone, "This review link was revoked. Ask the team that sent it for a new one.")
	case !now.Before(l.ExpiresAt):
		return Errorf(CodeGone, "This review link has expired. Ask the team that sent it for a new one.")
	}
	return nil
}

// Covers reports whether the link shows post p.
func (l ReviewLink) Covers(p Post) bool {
	if l.PostID != "" {
		return p.ID == l.PostID
	}
	at := p.ScheduledFor()
	if at.IsZero() {
		at = p.CreatedAt
	}
	return !at.Before(l.From) && at.Before(l.To)
}
