package ui

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// A post's thread shows on its page and beside the composer of an existing post. The list
// (#thread-list) follows the server through its own event stream, woken by the same
// post-change notices as the post's; the form to write a comment sits outside the list, so
// a refresh never replaces what someone is typing.

// discussionView is a post's thread with its form.
type discussionView struct {
	PostID  domain.PostID
	Entries []threadEntry
	Live    string // the thread's fingerprint when the page was made
	// Body and Error are the form's text and its problem after a refused comment.
	Body  string
	Error string
	// Members are who can be @mentioned, for the form's suggestions (JSON).
	Members template.JS
}

// threadEntry is one entry of a thread, its text cut into plain parts and mentions.
type threadEntry struct {
	domain.PostComment
	Parts []threadPart
}

// Approval reports whether the entry is a client's approval.
func (e threadEntry) Approval() bool { return e.Kind == domain.PostCommentClientApproval }

// threadPart is a piece of a comment's text: plain, or an @mention of a member.
type threadPart struct {
	Text    string
	Mention bool
}

// entriesOf cuts each comment's text at the mentions it recorded, matched against members.
func entriesOf(comments []domain.PostComment, members []domain.MentionCandidate) []threadEntry {
	out := make([]threadEntry, len(comments))
	for i, c := range comments {
		var named []domain.MentionCandidate
		for _, m := range members {
			for _, id := range c.Mentions {
				if id == m.ID {
					named = append(named, m)
				}
			}
		}
		e := threadEntry{PostComment: c}
		at := 0
		for _, m := range domain.FindMentions(c.Body, named) {
			if m.Start > at {
				e.Parts = append(e.Parts, threadPart{Text: c.Body[at:m.Start]})
			}
			e.Parts = append(e.Parts, threadPart{Text: c.Body[m.Start:m.End], Mention: true})
			at = m.End
		}
		if at < len(c.Body) {
			e.Parts = append(e.Parts, threadPart{Text: c.Body[at:]})
		}
		out[i] = e
	}
	return out
}

// discussionOf loads the post's thread for the page.
func (h *Handler) discussionOf(ctx context.Context, actor domain.Actor, post domain.PostID) (*discussionView, error) {
	th, err := h.Discussion.List(ctx, actor, post)
	if err != nil {
		return nil, err
	}
	live, err := h.Discussion.Fingerprint(ctx, actor, post)
	if err != nil {
		return nil, err
	}
	type member struct {
		Name   string `json:"name"`
		Handle string `json:"handle"`
	}
	ms := make([]member, 0, len(th.Members))
	for _, m := range th.Members {
		hs := m.Handles()
		if len(hs) == 0 || m.ID == actor.UserID {
			continue
		}
		ms = append(ms, member{Name: hs[0], Handle: hs[len(hs)-1]})
	}
	raw, _ := json.Marshal(ms)
	return &discussionView{PostID: post, Entries: entriesOf(th.Comments, th.Members), Live: live, Members: template.JS(raw)}, nil
}

// postComments handles GET /posts/:id/comments: the thread's list alone, which the live
// thread fetches when its stream reports a change.
func (h *Handler) postComments(c echo.Context) error {
	d, err := h.discussionOf(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.fragment(c, http.StatusOK, partThread, d)
}

// postCommentEvents handles GET /posts/:id/comments/events?since=: the thread's stream.
func (h *Handler) postCommentEvents(c echo.Context) error {
	actor, id := actorOf(c), domain.PostID(c.Param("id"))
	return h.stream(c, actor.CompanyID, c.QueryParam("since"), func(ctx context.Context) (string, error) {
		return h.Discussion.Fingerprint(ctx, actor, id)
	})
}

// addPostComment handles POST /posts/:id/comments (body): htmx gets the thread's list with
// the new comment at its end (static/discussion.js then empties the form), or the form
// again with its problem; a plain form goes back to the post's thread.
func (h *Handler) addPostComment(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), actorOf(c), domain.PostID(c.Param("id"))
	body := c.FormValue("body")
	_, err := h.Discussion.Add(ctx, actor, id, body)
	if domain.CodeOf(err) == domain.CodeInvalid {
		d, derr := h.discussionOf(ctx, actor, id)
		if derr != nil {
			return derr
		}
		d.Body, d.Error = body, domain.FieldsOf(err)["body"]
		if d.Error == "" {
			d.Error = domain.MessageOf(err)
		}
		if isPartialRequest(c.Request()) {
			c.Response().Header().Set(hxRetarget, "#comment-form")
			c.Response().Header().Set(hxReswap, "outerHTML")
			return h.fragment(c, http.StatusUnprocessableEntity, partCommentForm, d)
		}
		p, perr := h.Posts.Get(ctx, actor, id)
		if perr != nil {
			return perr
		}
		return h.renderPost(c, http.StatusUnprocessableEntity, postPage{Post: p, When: scheduleValue(c, p), Discussion: d})
	}
	if err != nil {
		return err
	}
	if isPartialRequest(c.Request()) {
		d, err := h.discussionOf(ctx, actor, id)
		if err != nil {
			return err
		}
		return h.fragment(c, http.StatusOK, partThread, d)
	}
	h.flash(c, "Your comment was added.")
	return redirect(c, routePath("post", id)+"#discussion")
}

// reviewLinksView is the post page's panel of review links; URL is a new link's address,
// shown once.
type reviewLinksView struct {
	PostID domain.PostID
	Links  []domain.ReviewLink
	URL    string
	Error  string
	Now    time.Time
}

// reviewLinkDays are the lifetimes the panel offers, in days.
var reviewLinkDays = []int{1, 7, 30, 90}

// Days lists the lifetimes the panel offers.
func (reviewLinksView) Days() []int { return reviewLinkDays }

// reviewLinksOf loads the post's review links, or nil when the viewer may not see them.
func (h *Handler) reviewLinksOf(c echo.Context, post domain.PostID) (*reviewLinksView, error) {
	if !(view{Allows: h.allows(c)}).may(domain.ResourceReviews, domain.ActionWrite) {
		return nil, nil
	}
	links, err := h.Reviews.ForPost(c.Request().Context(), actorOf(c), post)
	if err != nil {
		return nil, err
	}
	return &reviewLinksView{PostID: post, Links: links, Now: h.now()}, nil
}

// createReviewLink handles POST /posts/:id/review-links (days): the panel (htmx) or the
// post's page with the new link's address, shown this once.
func (h *Handler) createReviewLink(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), actorOf(c), domain.PostID(c.Param("id"))
	var expires time.Time
	if d, err := strconv.Atoi(c.FormValue("days")); err == nil && d > 0 && d <= 366 {
		expires = h.now().Add(time.Duration(d) * 24 * time.Hour)
	}
	issued, err := h.Reviews.CreateForPost(ctx, actor, id, expires)
	status, problem := http.StatusCreated, ""
	if domain.CodeOf(err) == domain.CodeInvalid {
		status, problem = http.StatusUnprocessableEntity, "Choose how long the link works: "+domain.FieldsOf(err)["expires_at"]+"."
	} else if err != nil {
		return err
	}
	rl, err := h.reviewLinksOf(c, id)
	if err != nil {
		return err
	}
	rl.URL, rl.Error = issued.URL, problem
	if isPartialRequest(c.Request()) {
		return h.fragment(c, status, partReviewLinks, rl)
	}
	p, err := h.Posts.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(hxPushURL, routePath("post", id))
	return h.renderPost(c, status, postPage{Post: p, When: scheduleValue(c, p), ReviewLinks: rl})
}

// revokeReviewLink handles POST /review-links/:id/revoke.
func (h *Handler) revokeReviewLink(c echo.Context) error {
	l, err := h.Reviews.Revoke(c.Request().Context(), actorOf(c), domain.ReviewLinkID(c.Param("id")))
	if err != nil {
		return err
	}
	h.flash(c, "The review link was revoked: it no longer opens.")
	if l.PostID == "" {
		return redirect(c, routePath("calendar"))
	}
	return redirect(c, routePath("post", l.PostID)+"#review-links")
}

// clientReviewPage is what the public review page shows.
type clientReviewPage struct {
	Token   string
	Review  app.Review
	Items   []reviewItem
	Gone    string // why the link no longer opens ("" while it does)
	Missing bool   // no link has this token
	// Answer is the form's state after a refused answer.
	Answer reviewAnswer
	Thanks string
}

// reviewItem is one post of a review with its previews and thread.
type reviewItem struct {
	Post    domain.Post
	Preview postPreview
	Thread  []threadEntry
}

// reviewAnswer is a client's form as sent, with its problems.
type reviewAnswer struct {
	Post   domain.PostID
	Name   string
	Body   string
	Errors map[string]string
	Error  string
}

// renderClientReview answers the review page for token: the page, or the page saying the link
// is gone (410) or unknown (404), without the company's chrome and never indexed.
func (h *Handler) renderClientReview(c echo.Context, status int, rp clientReviewPage) error {
	c.Response().Header().Set("X-Robots-Tag", "noindex, nofollow")
	// The address carries the token: links out of the page must not send it on.
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	c.Set(zoneKey, time.UTC) // the page says its times are UTC, whoever looks
	return h.execute(c, status, pageClientReview, "review/layout", rp)
}

// loadReview fills rp from token, or reports a link that no longer opens on rp.
func (h *Handler) loadReview(c echo.Context, rp *clientReviewPage) (int, error) {
	rv, err := h.Reviews.Open(c.Request().Context(), rp.Token)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeGone:
		rp.Gone = domain.MessageOf(err)
		return http.StatusGone, nil
	case domain.CodeNotFound:
		rp.Missing = true
		return http.StatusNotFound, nil
	default:
		return 0, err
	}
	rp.Review = rv
	for _, p := range rv.Posts {
		f := composeFromPost(p, time.UTC)
		when := "Not scheduled yet"
		if !p.ScheduledFor().IsZero() {
			when = (view{Zone: time.UTC}).Time(p.ScheduledFor()) + " UTC"
		}
		// Clients see what clients said; the team's own discussion stays the team's.
		var theirs []domain.PostComment
		for _, cm := range rv.Threads[p.ID] {
			if cm.ByClient {
				theirs = append(theirs, cm)
			}
		}
		pv := buildPreview(f, rv.Accounts, nil, when)
		pv.Prefix = string(p.ID) + "-"
		rp.Items = append(rp.Items, reviewItem{Post: p, Preview: pv, Thread: entriesOf(theirs, nil)})
	}
	return http.StatusOK, nil
}

// clientReview handles GET /review/:token, the page a review link opens, signed in or out.
func (h *Handler) clientReview(c echo.Context) error {
	rp := clientReviewPage{Token: c.Param("token"), Thanks: h.takeFlash(c)}
	status, err := h.loadReview(c, &rp)
	if err != nil {
		return err
	}
	return h.renderClientReview(c, status, rp)
}

// answerReview handles POST /review/:token/answers (post_id, name, body, action approve or
// comment): the client's answer, then the page again at that post.
func (h *Handler) answerReview(c echo.Context) error {
	token := c.Param("token")
	a := app.ClientAnswer{Post: domain.PostID(c.FormValue("post_id")), Name: c.FormValue("name"), Body: c.FormValue("body"),
		Approve: c.FormValue("action") == "approve", IP: c.RealIP()}
	_, err := h.Reviews.Answer(c.Request().Context(), token, a)
	if err == nil {
		msg := "Thank you: your comment was sent to the team."
		if a.Approve {
			msg = "Thank you: your approval was sent to the team, who decide when the post goes out."
		}
		h.flash(c, msg)
		return redirect(c, routePath("client_review", token)+"#post-"+string(a.Post))
	}
	rp := clientReviewPage{Token: token, Answer: reviewAnswer{Post: a.Post, Name: a.Name, Body: a.Body, Errors: domain.FieldsOf(err), Error: domain.MessageOf(err)}}
	switch domain.CodeOf(err) {
	case domain.CodeInvalid, domain.CodeRateLimited, domain.CodeSuspended, domain.CodeNotFound, domain.CodeGone:
	default:
		return err
	}
	status, lerr := h.loadReview(c, &rp)
	if lerr != nil {
		return lerr
	}
	if status == http.StatusOK {
		status = formStatus(c, err)
	}
	return h.renderClientReview(c, status, rp)
}
