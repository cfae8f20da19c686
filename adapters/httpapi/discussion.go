package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// postCommentAuthorJSON is who wrote a comment: a member ({"id","name"}; "id" is absent once
// they are gone) or a client ({"name","client":true}).
type postCommentAuthorJSON struct {
	ID     domain.UserID `json:"id,omitempty"`
	Name   string        `json:"name"`
	Client bool          `json:"client,omitempty"`
}

// postCommentJSON is an entry of a post's thread as the API answers it.
type postCommentJSON struct {
	ID        domain.PostCommentID   `json:"id"`
	Author    postCommentAuthorJSON  `json:"author"`
	Body      string                 `json:"body"`
	Kind      domain.PostCommentKind `json:"kind"`
	Mentions  []domain.UserID        `json:"mentions"`
	CreatedAt string                 `json:"created_at"`
}

func toPostComment(c domain.PostComment) postCommentJSON {
	mentions := c.Mentions
	if mentions == nil {
		mentions = []domain.UserID{}
	}
	return postCommentJSON{ID: c.ID, Author: postCommentAuthorJSON{ID: c.AuthorID, Name: c.AuthorName, Client: c.ByClient}, Body: c.Body,
		Kind: c.Kind, Mentions: mentions, CreatedAt: rfc3339(c.CreatedAt)}
}

// listComments handles GET /posts/:id/comments: the post's thread, oldest first.
func (a *API) listComments(c echo.Context) error {
	th, err := a.discussion.List(c.Request().Context(), actor(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	out := make([]postCommentJSON, len(th.Comments))
	for i, cm := range th.Comments {
		out[i] = toPostComment(cm)
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// addComment handles POST /posts/:id/comments {"body"}.
func (a *API) addComment(c echo.Context) error {
	var in struct {
		Body *string `json:"body"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Body == nil {
		return domain.InvalidField("body", "is required")
	}
	cm, err := a.discussion.Add(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), *in.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toPostComment(cm))
}

// reviewLinkJSON is a review link as the API answers it; URL only in the answer that
// creates it.
type reviewLinkJSON struct {
	ID         domain.ReviewLinkID `json:"id"`
	URL        string              `json:"url,omitempty"`
	PostID     domain.PostID       `json:"post_id,omitempty"`
	From       string              `json:"from,omitempty"`
	To         string              `json:"to,omitempty"`
	ExpiresAt  string              `json:"expires_at"`
	RevokedAt  *string             `json:"revoked_at"`
	LastUsedAt *string             `json:"last_used_at"`
	CreatedBy  domain.UserID       `json:"created_by,omitempty"`
	CreatedAt  string              `json:"created_at"`
}

func toReviewLink(l domain.ReviewLink, url string) reviewLinkJSON {
	out := reviewLinkJSON{ID: l.ID, URL: url, PostID: l.PostID, ExpiresAt: rfc3339(l.ExpiresAt), RevokedAt: optTime(l.RevokedAt),
		LastUsedAt: optTime(l.LastUsedAt), CreatedBy: l.CreatedBy, CreatedAt: rfc3339(l.CreatedAt)}
	if l.PostID == "" {
		out.From, out.To = rfc3339(l.From), rfc3339(l.To)
	}
	return out
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

// reviewTime reads the field of a review link's body: an RFC 3339 time, or for from and
// to a day (YYYY-MM-DD, UTC; to's day is included). A missing field is the zero time.
func reviewTime(field string, s *string, dayEnd bool) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, *s); err == nil {
		return t, nil
	}
	if field != "expires_at" {
		if d, err := time.Parse(time.DateOnly, *s); err == nil {
			if dayEnd {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
		return time.Time{}, domain.InvalidField(field, "must be a day such as 2027-01-31 or an RFC 3339 time")
	}
	return time.Time{}, domain.InvalidField(field, "must be an RFC 3339 time such as 2027-01-31T12:00:00Z")
}

// createPostReviewLink handles POST /posts/:id/review-links {"expires_at"}: 201 with the
// link's address, shown this once.
func (a *API) createPostReviewLink(c echo.Context) error {
	var in struct {
		ExpiresAt *string `json:"expires_at"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	expires, err := reviewTime("expires_at", in.ExpiresAt, false)
	if err != nil {
		return err
	}
	issued, err := a.reviews.CreateForPost(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), expires)
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "url")
	return c.JSON(http.StatusCreated, toReviewLink(issued.Link, issued.URL))
}

// createRangeReviewLink handles POST /review-links {"from","to","expires_at"}: a link to
// the posts of a period of the calendar.
func (a *API) createRangeReviewLink(c echo.Context) error {
	var in struct {
		From      *string `json:"from"`
		To        *string `json:"to"`
		ExpiresAt *string `json:"expires_at"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	from, err1 := reviewTime("from", in.From, false)
	to, err2 := reviewTime("to", in.To, true)
	expires, err3 := reviewTime("expires_at", in.ExpiresAt, false)
	if err := joinFieldErrors(err1, err2, err3); err != nil {
		return err
	}
	issued, err := a.reviews.CreateForRange(c.Request().Context(), actor(c), from, to, expires)
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "url")
	return c.JSON(http.StatusCreated, toReviewLink(issued.Link, issued.URL))
}

// joinFieldErrors merges the one-field problems of errs into one CodeInvalid.
func joinFieldErrors(errs ...error) error {
	v := domain.Violations{}
	for _, err := range errs {
		for f, p := range domain.FieldsOf(err) {
			v.Add(f, p)
		}
	}
	return v.Err()
}

// listPostReviewLinks handles GET /posts/:id/review-links: the post's links, newest first,
// without their addresses.
func (a *API) listPostReviewLinks(c echo.Context) error {
	links, err := a.reviews.ForPost(c.Request().Context(), actor(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	out := make([]reviewLinkJSON, len(links))
	for i, l := range links {
		out[i] = toReviewLink(l, "")
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// revokeReviewLink handles DELETE /review-links/:id: 204; another company's is 404.
func (a *API) revokeReviewLink(c echo.Context) error {
	if _, err := a.reviews.Revoke(c.Request().Context(), actor(c), domain.ReviewLinkID(c.Param("id"))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
