package ui

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// reviewLimit is how many posts in review the review page lists.
const reviewLimit = 100

// reviewPage is the review page: the posts waiting for the viewer's decision.
type reviewPage struct {
	Posts []domain.Post
	Names accountNames
	Now   time.Time
	// Errors are problems of one post's decision form, by post; Comments keep what was typed.
	Errors   map[domain.PostID]string
	Comments map[domain.PostID]string
}

// Waiting returns the post's note once its time passed while in review.
func (p reviewPage) Waiting(post domain.Post, zone *time.Location) string {
	return post.WaitingNote(p.Now, zone)
}

// review handles GET /review.
func (h *Handler) review(c echo.Context) error {
	return h.renderReview(c, http.StatusOK, nil, nil)
}

func (h *Handler) renderReview(c echo.Context, status int, errs, comments map[domain.PostID]string) error {
	posts, err := h.Posts.InReview(c.Request().Context(), actorOf(c), reviewLimit)
	if err != nil {
		return err
	}
	names, _, err := h.accountNames(c)
	if err != nil {
		return err
	}
	return h.page(c, status, pageReview, reviewPage{Posts: posts, Names: names, Now: h.now(), Errors: errs, Comments: comments})
}

// submitPost handles POST /posts/:id/submit: the post goes to review, wanting the typed
// time (none: the time it already wants).
func (h *Handler) submitPost(c echo.Context) error {
	var at time.Time
	var perr error
	if s := c.FormValue("scheduled_for"); s != "" {
		at, perr = parseLocal(s, zoneOf(c))
	}
	return h.schedule(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int) (domain.Post, error) {
		if perr != nil {
			return domain.Post{}, perr
		}
		return h.Posts.Submit(ctx, actor, id, at, version)
	})
}

// approvePost handles POST /posts/:id/approve (from the review page or the post page).
func (h *Handler) approvePost(c echo.Context) error {
	return h.decide(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int, comment string) (domain.Post, error) {
		return h.Posts.Approve(ctx, actor, id, comment, version)
	})
}

// rejectPost handles POST /posts/:id/reject: changes requested, with the reason.
func (h *Handler) rejectPost(c echo.Context) error {
	return h.decide(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int, comment string) (domain.Post, error) {
		return h.Posts.RequestChanges(ctx, actor, id, comment, version)
	})
}

// decide runs a decision; a problem comes back on the page it was made from (the review
// page or the post page), with the typed comment kept.
func (h *Handler) decide(c echo.Context, run func(context.Context, domain.Actor, domain.PostID, int, string) (domain.Post, error)) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	id := domain.PostID(c.Param("id"))
	version, _ := strconv.Atoi(c.FormValue("version"))
	comment := c.FormValue("comment")
	fromReview := c.FormValue("from") == "review"
	p, err := run(ctx, actor, id, version, comment)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, decisionMessage(p, zoneOf(c)))
		if fromReview {
			return redirect(c, routePath("review"))
		}
		return redirect(c, routePath("post", id))
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeStale, domain.CodeLimit, domain.CodeForbidden:
		if domain.CodeOf(err) == domain.CodeForbidden && !fromReview {
			break
		}
		msg := domain.MessageOf(err)
		if f := domain.FieldsOf(err); f["comment"] != "" {
			msg = "The reason " + f["comment"] + "."
		}
		if fromReview {
			return h.renderReview(c, status(err), map[domain.PostID]string{id: msg}, map[domain.PostID]string{id: comment})
		}
		current, gerr := h.Posts.Get(ctx, actor, id)
		if gerr != nil {
			return gerr
		}
		return h.renderPost(c, status(err), postPage{Post: current, Message: msg, Comment: comment})
	}
	return err
}

func decisionMessage(p domain.Post, loc *time.Location) string {
	switch p.Status() {
	case domain.PostChangesRequested:
		return "Changes were requested; the author was told."
	case domain.PostApproved:
		return "The post was approved. " + p.Reason() + "."
	}
	return "The post was approved and is scheduled for " + (view{Zone: loc}).Time(p.ScheduledFor()) + " (" + loc.String() + ")."
}

// setApprover handles POST /team/members/:user_id/approver: the checkbox "Can approve posts".
func (h *Handler) setApprover(c echo.Context) error {
	on := c.FormValue("approver") == "on"
	m, err := h.Teams.SetApprover(c.Request().Context(), actorOf(c), domain.UserID(c.Param("user_id")), on, 0)
	switch domain.CodeOf(err) {
	case "":
		if on {
			h.flash(c, m.User.Name+" can approve posts.")
		} else {
			msg := m.User.Name + " can no longer approve posts."
			if domain.CanApprove(m.Role, false) {
				msg = m.User.Name + " is " + string(m.Role) + ", and so may still approve posts."
			}
			h.flash(c, msg)
		}
		return redirect(c, routePath("team"))
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeSuspended:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, status(err), f, nil)
	}
	return err
}

// saveApprovals handles POST /team/approvals: who needs approval (checkboxes "rule").
func (h *Handler) saveApprovals(c echo.Context) error {
	vals, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	rules := append([]string{}, vals["rule"]...)
	_, err = h.Teams.UpdateSettings(c.Request().Context(), actorOf(c), app.CompanyUpdate{Approvals: &rules}, 0)
	switch domain.CodeOf(err) {
	case "":
		if len(rules) == 0 {
			h.flash(c, "Posts no longer need approval.")
		} else {
			h.flash(c, "The approval rules were saved.")
		}
		return redirect(c, routePath("team"))
	case domain.CodeInvalid, domain.CodeSuspended:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, status(err), f, nil)
	}
	return err
}

// ReviewCount is how many posts wait for the viewer's decision (the sidebar's badge), 0
// for those who may not decide.
func (v view) ReviewCount() int {
	if v.reviews == nil || !v.may(domain.ResourceApprovals, domain.ActionWrite) {
		return 0
	}
	return v.reviews()
}

// CanApprove is a display hint: the viewer may decide on posts in review.
func (v view) CanApprove() bool { return v.may(domain.ResourceApprovals, domain.ActionWrite) }

// reviewCounter returns the count of posts in review in the viewer's company, asked only
// when a page shows it.
func (h *Handler) reviewCounter(c echo.Context) func() int {
	if h.Posts == nil {
		return nil
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	return func() int {
		if actor.CompanyID == "" {
			return 0
		}
		ps, err := h.Posts.InReview(ctx, actor, reviewLimit)
		if err != nil {
			return 0
		}
		return len(ps)
	}
}
