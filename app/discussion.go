package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Discussion holds the use cases of posts' threads: the team's comments with @mentions.
// Everyone who reads a post may comment on it, viewers too: reviewing is their job. A
// suspended company's threads are read-only.
type Discussion struct {
	store  ports.Store
	authz  ports.Authorizer
	notify *Notifications
	now    func() time.Time
}

// Thread is a post's discussion with the members who can be mentioned in it.
type Thread struct {
	Comments []domain.PostComment
	Members  []domain.MentionCandidate
}

// MaxThread bounds the entries a thread shows: the newest ones.
const MaxThread = 500

// List returns the post's thread, oldest first.
// Errors: CodeForbidden; CodeNotFound (also another company's post).
func (d *Discussion) List(ctx context.Context, actor domain.Actor, post domain.PostID) (Thread, error) {
	if err := d.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return Thread{}, err
	}
	var th Thread
	err := d.store.Read(ctx, func(tx ports.Tx) error {
		if _, err := tx.Posts().Get(ctx, actor.CompanyID, post); err != nil {
			return err
		}
		var err error
		if th.Comments, err = tx.PostComments().List(ctx, actor.CompanyID, post, MaxThread); err != nil {
			return err
		}
		th.Members, err = mentionable(ctx, tx, actor.CompanyID)
		return err
	})
	return th, err
}

// Fingerprint returns a text that changes whenever the post's thread does, for the live
// page's stream. Errors: as List.
func (d *Discussion) Fingerprint(ctx context.Context, actor domain.Actor, post domain.PostID) (string, error) {
	if err := d.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return "", err
	}
	var out string
	err := d.store.Read(ctx, func(tx ports.Tx) error {
		if _, err := tx.Posts().Get(ctx, actor.CompanyID, post); err != nil {
			return err
		}
		last, err := tx.PostComments().List(ctx, actor.CompanyID, post, 1)
		if err != nil {
			return err
		}
		n, err := tx.PostComments().Count(ctx, actor.CompanyID, post)
		if err != nil {
			return err
		}
		out = fmt.Sprintf("%d", n)
		if len(last) > 0 {
			out += "-" + string(last[0].ID)
		}
		return nil
	})
	return out, err
}

// Add stores the actor's comment on the post and tells each member it @mentions (but the
// actor), in the same transaction.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound; CodeInvalid on the field body.
func (d *Discussion) Add(ctx context.Context, actor domain.Actor, post domain.PostID, body string) (domain.PostComment, error) {
	if err := d.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return domain.PostComment{}, err
	}
	var c domain.PostComment
	err := d.store.InTx(ctx, func(tx ports.Tx) error {
		company, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := company.CheckActive(); err != nil {
			return err
		}
		if _, err := tx.Posts().Get(ctx, actor.CompanyID, post); err != nil {
			return err
		}
		author, err := tx.Users().Get(ctx, actor.UserID)
		if err != nil {
			return err
		}
		members, err := mentionable(ctx, tx, actor.CompanyID)
		if err != nil {
			return err
		}
		if c, err = domain.NewPostComment(actor.CompanyID, post, author, body, members, d.now()); err != nil {
			return err
		}
		if err := tx.PostComments().Add(ctx, &c); err != nil {
			return err
		}
		if len(c.Mentions) == 0 {
			return nil
		}
		_, err = d.notify.Notify(ctx, tx, Notice{Kind: domain.NotifyMentioned, Company: actor.CompanyID, PostID: post,
			Text: fmt.Sprintf("%s mentioned you on a post: “%s”", c.AuthorName, domain.Excerpt(c.Body, 80)),
			Key:  "mentioned:" + string(c.ID), To: c.Mentions, Except: actor.UserID})
		return err
	})
	if err != nil {
		return domain.PostComment{}, err
	}
	return c, nil
}

func mentionable(ctx context.Context, tx ports.Tx, company domain.CompanyID) ([]domain.MentionCandidate, error) {
	ms, err := tx.Memberships().Members(ctx, company)
	if err != nil {
		return nil, err
	}
	out := make([]domain.MentionCandidate, len(ms))
	for i, m := range ms {
		out[i] = domain.MentionCandidate{ID: m.User.ID, Name: m.User.Name, Email: m.User.Email}
	}
	return out, nil
}

// Reviews holds the use cases of review links: a signed-out preview of a post or of a
// period of the calendar for clients, who may comment and approve through it. Members who
// write posts create and revoke links (domain.ResourceReviews); a client's approval is an
// entry of the post's thread and never changes the post.
type Reviews struct {
	store  ports.Store
	authz  ports.Authorizer
	notify *Notifications
	url    func(token string) string
	limits ReviewLimits
	now    func() time.Time
	// authNow is the clock of the throttling windows (as sign-in's).
	authNow func() time.Time
}

// ReviewLimits throttle the answers given through one review link.
type ReviewLimits struct {
	// Answers is how many comments and approvals one link takes per Window.
	Answers int
	Window  time.Duration
}

// DefaultReviewLimits lets a client say plenty and a script little.
var DefaultReviewLimits = ReviewLimits{Answers: 30, Window: time.Hour}

// IssuedReviewLink is a new link with its address, which carries the token: it exists only
// in this answer (Herald keeps the token's hash).
type IssuedReviewLink struct {
	Link domain.ReviewLink
	URL  string
}

// reviewTokenPrefix starts every review link's token, after TokenPrefix.
const reviewTokenPrefix = TokenPrefix + "rev_"

// ReviewPath is the web app's path of a review link's page.
func ReviewPath(token string) string { return "/review/" + token }

// CreateForPost makes a link to the company's post that works until expires.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound; CodeInvalid on expires_at.
func (r *Reviews) CreateForPost(ctx context.Context, actor domain.Actor, post domain.PostID, expires time.Time) (IssuedReviewLink, error) {
	return r.create(ctx, actor, post, time.Time{}, time.Time{}, expires)
}

// CreateForRange makes a link to the company's posts whose time is in [from, to) that
// works until expires.
// Errors: CodeForbidden; CodeSuspended; CodeInvalid on from, to or expires_at.
func (r *Reviews) CreateForRange(ctx context.Context, actor domain.Actor, from, to, expires time.Time) (IssuedReviewLink, error) {
	return r.create(ctx, actor, "", from, to, expires)
}

func (r *Reviews) create(ctx context.Context, actor domain.Actor, post domain.PostID, from, to, expires time.Time) (IssuedReviewLink, error) {
	if err := r.authz.Can(ctx, actor, domain.ResourceReviews, domain.ActionWrite); err != nil {
		return IssuedReviewLink{}, err
	}
	l, err := domain.NewReviewLink(actor.CompanyID, actor.UserID, post, from, to, expires, r.now())
	if err != nil {
		return IssuedReviewLink{}, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return IssuedReviewLink{}, fmt.Errorf("app: review token: %w", err)
	}
	token := reviewTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	err = r.store.InTx(ctx, func(tx ports.Tx) error {
		if post != "" {
			if _, err := tx.Posts().Get(ctx, actor.CompanyID, post); err != nil {
				return err
			}
		}
		if err := tx.ReviewLinks().Create(ctx, &l, hashSecret(token)); err != nil {
			return err
		}
		return r.audit(ctx, tx, actor, "review_link.created", l)
	})
	if err != nil {
		return IssuedReviewLink{}, err
	}
	return IssuedReviewLink{Link: l, URL: r.url(token)}, nil
}

// ForPost returns the links to the company's post, newest first, without their addresses.
// Errors: CodeForbidden; CodeNotFound.
func (r *Reviews) ForPost(ctx context.Context, actor domain.Actor, post domain.PostID) ([]domain.ReviewLink, error) {
	if err := r.authz.Can(ctx, actor, domain.ResourceReviews, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.ReviewLink
	err := r.store.Read(ctx, func(tx ports.Tx) error {
		if _, err := tx.Posts().Get(ctx, actor.CompanyID, post); err != nil {
			return err
		}
		var err error
		out, err = tx.ReviewLinks().ForPost(ctx, actor.CompanyID, post)
		return err
	})
	return out, err
}

// Revoke stops the company's link from working; revoking it again changes nothing.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound (also another company's).
func (r *Reviews) Revoke(ctx context.Context, actor domain.Actor, id domain.ReviewLinkID) (domain.ReviewLink, error) {
	if err := r.authz.Can(ctx, actor, domain.ResourceReviews, domain.ActionWrite); err != nil {
		return domain.ReviewLink{}, err
	}
	var l domain.ReviewLink
	err := r.store.InTx(ctx, func(tx ports.Tx) error {
		before, err := tx.ReviewLinks().Get(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if l, err = tx.ReviewLinks().Revoke(ctx, actor.CompanyID, id, r.now()); err != nil {
			return err
		}
		if !before.RevokedAt.IsZero() {
			return nil
		}
		return r.audit(ctx, tx, actor, "review_link.revoked", l)
	})
	return l, err
}

// Review is what a review link shows: its company's name and posts, each with its thread
// and the accounts it goes to.
type Review struct {
	Link     domain.ReviewLink
	Company  string
	Posts    []domain.Post
	Threads  map[domain.PostID][]domain.PostComment
	Accounts []domain.Account
	// More says the period has more posts than a page shows (MaxReviewPosts).
	More bool
}

// MaxReviewPosts bounds the posts one review page shows.
const MaxReviewPosts = 100

// Open returns what the link whose token is token shows, for anyone who holds it.
// Errors: CodeNotFound (no such link); CodeGone (revoked or expired).
func (r *Reviews) Open(ctx context.Context, token string) (Review, error) {
	var rv Review
	err := r.store.Read(ctx, func(tx ports.Tx) error {
		l, err := r.link(ctx, tx, token)
		if err != nil {
			return err
		}
		rv.Link = l
		company, err := tx.Companies().Get(ctx, l.CompanyID)
		if err != nil {
			return err
		}
		rv.Company = company.Name
		if l.PostID != "" {
			p, err := tx.Posts().Get(ctx, l.CompanyID, l.PostID)
			if err != nil {
				return err
			}
			rv.Posts = []domain.Post{p}
		} else {
			ps, next, err := tx.Posts().List(ctx, l.CompanyID, ports.PostFilter{From: l.From, To: l.To}, ports.Page{Limit: MaxReviewPosts})
			if err != nil {
				return err
			}
			rv.Posts, rv.More = ps, next != ""
		}
		rv.Threads = map[domain.PostID][]domain.PostComment{}
		for _, p := range rv.Posts {
			if rv.Threads[p.ID], err = tx.PostComments().List(ctx, l.CompanyID, p.ID, MaxThread); err != nil {
				return err
			}
		}
		rv.Accounts, err = tx.Accounts().List(ctx, l.CompanyID)
		return err
	})
	return rv, err
}

// ClientAnswer is what a client sends through a review link about one of its posts.
type ClientAnswer struct {
	Post    domain.PostID
	Name    string
	Body    string
	Approve bool
	IP      string
}

// Answer records a client's comment or approval through the link whose token is token,
// on a post the link shows, and tells the post's author and the company's approvers.
// Errors: CodeNotFound (no such link, or a post it does not show); CodeGone; CodeSuspended;
// CodeRateLimited (too many answers through the link); CodeInvalid on name or body.
func (r *Reviews) Answer(ctx context.Context, token string, a ClientAnswer) (domain.PostComment, error) {
	now := r.now()
	var l domain.ReviewLink
	if err := r.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		l, err = r.link(ctx, tx, token)
		return err
	}); err != nil {
		return domain.PostComment{}, err
	}
	if err := r.throttle(ctx, "review:"+string(l.ID), r.authNow()); err != nil {
		return domain.PostComment{}, err
	}
	c, err := domain.NewClientComment(l.CompanyID, a.Post, l.ID, a.Name, a.Body, a.Approve, now)
	if err != nil {
		return domain.PostComment{}, err
	}
	err = r.store.InTx(ctx, func(tx ports.Tx) error {
		company, err := tx.Companies().Get(ctx, l.CompanyID)
		if err != nil {
			return err
		}
		if err := company.CheckActive(); err != nil {
			return err
		}
		p, err := tx.Posts().Get(ctx, l.CompanyID, a.Post)
		if err != nil {
			return err
		}
		if !l.Covers(p) {
			return domain.Errorf(domain.CodeNotFound, "That post is not part of this review.")
		}
		if err := tx.PostComments().Add(ctx, &c); err != nil {
			return err
		}
		if err := tx.ReviewLinks().Used(ctx, l.CompanyID, l.ID, now); err != nil {
			return err
		}
		details := map[string]string{"post_id": string(p.ID), "kind": string(c.Kind), "client": c.AuthorName}
		if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: l.CompanyID, IP: a.IP, Action: "review_link.used",
			Subject: string(l.ID), Details: details, At: now}); err != nil {
			return err
		}
		text := fmt.Sprintf("%s (client) commented on a post: “%s”", c.AuthorName, domain.Excerpt(c.Body, 80))
		if c.Kind == domain.PostCommentClientApproval {
			text = fmt.Sprintf("%s (client) approved a post through a review link.", c.AuthorName)
		}
		var to []domain.UserID
		if p.CreatedBy != "" {
			to = []domain.UserID{p.CreatedBy}
		}
		_, err = r.notify.Notify(ctx, tx, Notice{Kind: domain.NotifyReviewFeedback, Company: l.CompanyID, PostID: p.ID,
			Text: text, Key: "review:" + string(c.ID), To: to, Audience: AudienceApprovers})
		return err
	})
	if err != nil {
		return domain.PostComment{}, err
	}
	return c, nil
}

// link returns the working link whose token is token.
func (r *Reviews) link(ctx context.Context, tx ports.Tx, token string) (domain.ReviewLink, error) {
	if !strings.HasPrefix(token, reviewTokenPrefix) || len(token) > 100 {
		return domain.ReviewLink{}, domain.Errorf(domain.CodeNotFound, "That review link does not exist.")
	}
	l, err := tx.ReviewLinks().ByToken(ctx, hashSecret(token))
	if err != nil {
		return domain.ReviewLink{}, err
	}
	return l, l.Works(r.now())
}

func (r *Reviews) throttle(ctx context.Context, key string, now time.Time) error {
	var n int
	var reset time.Time
	if err := r.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		n, reset, err = tx.Attempts().Hit(ctx, key, r.limits.Window, now)
		return err
	}); err != nil {
		return err
	}
	if n > r.limits.Answers {
		wait := max(reset.Sub(now).Round(time.Second), time.Second)
		return &domain.Error{Code: domain.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("Too many answers through this link. Try again in %s.", wait)}
	}
	return nil
}

func (r *Reviews) audit(ctx context.Context, tx ports.Tx, actor domain.Actor, action string, l domain.ReviewLink) error {
	details := map[string]string{"expires_at": l.ExpiresAt.Format(time.RFC3339)}
	if l.PostID != "" {
		details["post_id"] = string(l.PostID)
	} else {
		details["from"], details["to"] = l.From.Format(time.RFC3339), l.To.Format(time.RFC3339)
	}
	return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP,
		Action: action, Subject: string(l.ID), Details: details, At: r.now()})
}
