package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// approvalJSON is a post's last trip through review.
type approvalJSON struct {
	SubmittedBy *domain.UserID `json:"submitted_by"`
	SubmittedAt *string        `json:"submitted_at"`
	DecidedBy   *domain.UserID `json:"decided_by"`
	DecidedAt   *string        `json:"decided_at"`
	Comment     *string        `json:"comment"`
}

func toApproval(a domain.Approval) *approvalJSON {
	if !a.Submitted() {
		return nil
	}
	user := func(id domain.UserID) *domain.UserID {
		if id == "" {
			return nil
		}
		return &id
	}
	return &approvalJSON{SubmittedBy: user(a.SubmittedBy), SubmittedAt: optionalTime(a.SubmittedAt), DecidedBy: user(a.DecidedBy),
		DecidedAt: optionalTime(a.DecidedAt), Comment: optional(a.Comment)}
}

// submitPost handles POST /posts/:id/submit: {"scheduled_for"?} (the time it should go out
// once approved; absent: the time it already wants, if any).
func (a *API) submitPost(c echo.Context) error {
	var in struct {
		ScheduledFor *string `json:"scheduled_for"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	var at time.Time
	if in.ScheduledFor != nil && *in.ScheduledFor != "" {
		t, err := time.Parse(time.RFC3339, *in.ScheduledFor)
		if err != nil {
			return domain.InvalidField("scheduled_for", "must be an RFC 3339 time such as 2026-11-24T15:04:05Z")
		}
		at = t
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.Submit(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), at, want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// approvePost handles POST /posts/:id/approve: {"comment"?}.
func (a *API) approvePost(c echo.Context) error { return a.decidePost(c, a.posts.Approve) }

// rejectPost handles POST /posts/:id/reject: {"comment"} (required): changes requested.
func (a *API) rejectPost(c echo.Context) error { return a.decidePost(c, a.posts.RequestChanges) }

// decidePost reads an approver's {"comment"} and If-Match and answers the post decide left.
func (a *API) decidePost(c echo.Context, decide func(context.Context, domain.Actor, domain.PostID, string, int) (domain.Post, error)) error {
	var in struct {
		Comment string `json:"comment"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := decide(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), in.Comment, want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}
