package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

type targetJSON struct {
	AccountID   domain.AccountID    `json:"account_id"`
	Platform    domain.Platform     `json:"platform"`
	Status      domain.TargetStatus `json:"status"`
	Content     string              `json:"content"`
	ExternalID  *string             `json:"external_id"`
	ExternalURL *string             `json:"external_url"`
	Error       *string             `json:"error"`
	Attempts    int                 `json:"attempts"`
	PublishedAt *string             `json:"published_at"`
	// MediaIDs are the account's own library files, when it has them; absent, it takes
	// the post's.
	MediaIDs *[]domain.MediaID `json:"media_ids,omitempty"`
	// FirstComment is the state of the comment published under the post, when the target
	// has one.
	FirstComment *commentJSON `json:"first_comment,omitempty"`
}

// commentJSON is a target's first comment: its text and its own state.
type commentJSON struct {
	Content     string               `json:"content"`
	Status      domain.CommentStatus `json:"status"`
	ExternalID  *string              `json:"external_id"`
	Error       *string              `json:"error"`
	Attempts    int                  `json:"attempts"`
	PublishedAt *string              `json:"published_at"`
}

// variantJSON is one account's variant: its content and, when given, its own library
// files (a subset of the post's; absent: the post's).
type variantJSON struct {
	Content      string            `json:"content"`
	MediaIDs     *[]domain.MediaID `json:"media_ids,omitempty"`
	FirstComment string            `json:"first_comment,omitempty"`
}

type postJSON struct {
	ID           domain.PostID                    `json:"id"`
	Content      string                           `json:"content"`
	MediaURLs    []string                         `json:"media_urls"`
	MediaIDs     []domain.MediaID                 `json:"media_ids"`
	Media        []mediaJSON                      `json:"media"`
	Status       domain.PostStatus                `json:"status"`
	StatusReason *string                          `json:"status_reason"`
	ScheduledFor *string                          `json:"scheduled_for"`
	Version      int                              `json:"version"`
	CreatedBy    *domain.UserID                   `json:"created_by"`
	CreatedAt    string                           `json:"created_at"`
	UpdatedAt    string                           `json:"updated_at"`
	Variants     map[domain.AccountID]variantJSON `json:"variants"`
	FirstComment string                           `json:"first_comment"`
	Labels       []string                         `json:"labels"`
	Targets      []targetJSON                     `json:"targets"`
	// AIAssisted: an AI caption suggestion was applied; Approval is the post's last trip
	// through review (null: never submitted).
	AIAssisted bool          `json:"ai_assisted"`
	Approval   *approvalJSON `json:"approval"`
	// DroppedAccounts and DroppedMediaIDs answer only a duplicate: what the copy left out.
	DroppedAccounts *[]droppedAccountJSON `json:"dropped_accounts,omitempty"`
	DroppedMediaIDs *[]domain.MediaID     `json:"dropped_media_ids,omitempty"`
}

// droppedAccountJSON is an account a duplicate left out (disconnected).
type droppedAccountJSON struct {
	AccountID   domain.AccountID `json:"account_id"`
	Platform    domain.Platform  `json:"platform"`
	DisplayName string           `json:"display_name"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return optional(rfc3339(t))
}

// toPost maps p; library holds its library files (app.Media.Files), of which those
// still in the library are answered in "media", in the post's order.
func (a *API) toPost(p domain.Post, library map[domain.MediaID]domain.Media) postJSON {
	out := postJSON{ID: p.ID, Content: p.Content, MediaURLs: orEmpty(p.MediaURLs), MediaIDs: mediaIDs(p.MediaIDs), Media: []mediaJSON{},
		Status: p.Status(), StatusReason: optional(p.Reason()),
		ScheduledFor: optionalTime(p.ScheduledFor()), Version: p.Version(), CreatedAt: rfc3339(p.CreatedAt), UpdatedAt: rfc3339(p.UpdatedAt),
		Variants: map[domain.AccountID]variantJSON{}, Targets: make([]targetJSON, 0, len(p.Targets)),
		FirstComment: p.FirstComment, Labels: orEmpty(p.Labels), AIAssisted: p.AIAssisted, Approval: toApproval(p.Approval())}
	if p.CreatedBy != "" {
		id := p.CreatedBy
		out.CreatedBy = &id
	}
	for _, id := range p.MediaIDs {
		if m, ok := library[id]; ok {
			out.Media = append(out.Media, a.toMedia(m))
		}
	}
	for _, t := range p.Targets {
		var own *[]domain.MediaID
		if t.OwnMedia {
			ids := mediaIDs(t.MediaIDs)
			own = &ids
		}
		// A variant is answered as it is given, so the answer can be sent back as an edit.
		if t.Variant != "" || t.OwnMedia || t.CommentText != "" {
			out.Variants[t.AccountID] = variantJSON{Content: t.Variant, MediaIDs: own, FirstComment: t.CommentText}
		}
		var comment *commentJSON
		if c := t.Comment(); c.Status != domain.CommentNone {
			comment = &commentJSON{Content: p.CommentFor(t), Status: c.Status, ExternalID: optional(c.ExternalID), Error: optional(c.Reason),
				Attempts: c.Attempts, PublishedAt: optionalTime(c.PublishedAt)}
		}
		out.Targets = append(out.Targets, targetJSON{AccountID: t.AccountID, Platform: t.Platform, Status: t.Status(), Content: p.TextFor(t),
			ExternalID: optional(t.ExternalID()), ExternalURL: optional(t.ExternalURL()), Error: optional(t.Reason()),
			Attempts: t.Attempts(), PublishedAt: optionalTime(t.PublishedAt()), MediaIDs: own, FirstComment: comment})
	}
	return out
}

// toPosts maps posts with their library files, read at once.
func (a *API) toPosts(c echo.Context, posts ...domain.Post) ([]postJSON, error) {
	library, err := a.mediaOf(c, posts...)
	if err != nil {
		return nil, err
	}
	out := make([]postJSON, len(posts))
	for i, p := range posts {
		out[i] = a.toPost(p, library)
	}
	return out, nil
}

func mediaIDs(ids []domain.MediaID) []domain.MediaID {
	if ids == nil {
		return []domain.MediaID{}
	}
	return ids
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// postInput is the body of POST and PUT /posts.
type postInput struct {
	Content    string                           `json:"content"`
	MediaURLs  []string                         `json:"media_urls"`
	MediaIDs   []domain.MediaID                 `json:"media_ids"`
	AccountIDs []domain.AccountID               `json:"account_ids"`
	Variants   map[domain.AccountID]variantJSON `json:"variants"`
	// FirstComment and Labels: see domain.PostInput.
	FirstComment string   `json:"first_comment"`
	Labels       []string `json:"labels"`
	// AIAssisted says the text came with AI help (kept once set).
	AIAssisted bool `json:"ai_assisted"`
}

func (in postInput) toDomain() domain.PostInput {
	out := domain.PostInput{Content: in.Content, MediaURLs: in.MediaURLs, MediaIDs: in.MediaIDs, AccountIDs: in.AccountIDs, AIAssisted: in.AIAssisted,
		Variants: map[domain.AccountID]string{}, VariantMedia: map[domain.AccountID][]domain.MediaID{},
		FirstComment: in.FirstComment, Labels: in.Labels, VariantComments: map[domain.AccountID]string{}}
	for id, v := range in.Variants {
		out.Variants[id] = v.Content
		if v.FirstComment != "" {
			out.VariantComments[id] = v.FirstComment
		}
		if v.MediaIDs != nil {
			out.VariantMedia[id] = mediaIDs(*v.MediaIDs)
		}
	}
	return out
}

// listPosts handles GET /posts.
func (a *API) listPosts(c echo.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	f, err := postFilter(c)
	if err != nil {
		return err
	}
	ps, next, err := a.posts.List(c.Request().Context(), actor(c), f, page)
	if err != nil {
		return err
	}
	out, err := a.toPosts(c, ps...)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(out, next))
}

// postFilter reads status, platform, from and to, naming every bad one.
func postFilter(c echo.Context) (ports.PostFilter, error) {
	var f ports.PostFilter
	v := domain.Violations{}
	if s := c.QueryParam("status"); s != "" {
		st, err := domain.ParsePostStatus("status", s)
		if err != nil {
			v.Add("status", domain.FieldsOf(err)["status"])
		}
		f.Status = st
	}
	if s := c.QueryParam("platform"); s != "" {
		p, err := domain.ParsePlatform(s)
		if err != nil {
			v.Add("platform", "must be one of linkedin, instagram, facebook, tiktok, sandbox")
		}
		f.Platform = p
	}
	for _, q := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := c.QueryParam(q.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(q.name, "must be an RFC 3339 time such as 2026-11-24T15:04:05Z")
			}
			*q.to = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		v.Add("to", "must be after from")
	}
	if s := strings.Join(strings.Fields(c.QueryParam("label")), " "); s != "" {
		if len([]rune(s)) > domain.MaxLabelRunes {
			v.Add("label", fmt.Sprintf("is longer than %d characters", domain.MaxLabelRunes))
		}
		f.Label = s
	}
	if s := c.QueryParam("account_id"); s != "" {
		if !domain.IsUUID(s) {
			v.Add("account_id", "is not an account id")
		}
		f.AccountID = domain.AccountID(s)
	}
	return f, v.Err()
}

// createPost handles POST /posts.
func (a *API) createPost(c echo.Context) error {
	var in postInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := a.posts.Create(c.Request().Context(), actor(c), in.toDomain())
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusCreated, p)
}

func (a *API) postAnswer(c echo.Context, status int, p domain.Post) error {
	setETag(c, p.Version())
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/posts/"+string(p.ID))
	}
	out, err := a.toPosts(c, p)
	if err != nil {
		return err
	}
	return c.JSON(status, out[0])
}

// getPost handles GET /posts/:id.
func (a *API) getPost(c echo.Context) error {
	p, err := a.posts.Get(c.Request().Context(), actor(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// updatePost handles PUT /posts/:id.
func (a *API) updatePost(c echo.Context) error {
	var in postInput
	if err := decode(c, &in); err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.Update(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), in.toDomain(), want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// deletePost handles DELETE /posts/:id.
func (a *API) deletePost(c echo.Context) error {
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := a.posts.Delete(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), want); err != nil {
		return err
	}
	return noContent(c)
}

// schedulePost handles POST /posts/:id/schedule. No scheduled_for means now, except for a
// failed post (a retry): it keeps its own time while that is ahead, and once that time
// has passed the answer is a 409 problem asking to choose; {"publish_now": true} (our
// addition) publishes now whatever the post's time.
func (a *API) schedulePost(c echo.Context) error {
	var in struct {
		ScheduledFor *string `json:"scheduled_for"`
		PublishNow   bool    `json:"publish_now"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	var at time.Time
	if in.ScheduledFor != nil && *in.ScheduledFor != "" {
		if in.PublishNow {
			return domain.InvalidField("publish_now", "cannot be given with scheduled_for: choose one")
		}
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
	ctx, id := c.Request().Context(), domain.PostID(c.Param("id"))
	var p domain.Post
	if in.PublishNow {
		p, err = a.posts.PublishNow(ctx, actor(c), id, want)
	} else {
		p, err = a.posts.Schedule(ctx, actor(c), id, at, want)
	}
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// unschedulePost handles DELETE /posts/:id/schedule.
func (a *API) unschedulePost(c echo.Context) error {
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.Unschedule(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// resolveTarget handles POST /posts/:id/targets/:account_id/resolve: a person says whether
// a target left unknown was published ({"published": true, "external_url"?}) or should be
// published again ({"published": false}).
func (a *API) resolveTarget(c echo.Context) error {
	var in struct {
		Published   *bool  `json:"published"`
		ExternalURL string `json:"external_url"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Published == nil {
		return domain.InvalidField("published", "is required: true when the post is on the platform, false to publish it again")
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.ResolveTarget(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")),
		*in.Published, in.ExternalURL, want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// duplicatePost handles POST /posts/:id/duplicate: 201 with the new draft and what it
// left out (dropped_accounts, dropped_media_ids).
func (a *API) duplicatePost(c echo.Context) error {
	d, err := a.posts.Duplicate(c.Request().Context(), actor(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	out, err := a.toPosts(c, d.Post)
	if err != nil {
		return err
	}
	dropped := make([]droppedAccountJSON, len(d.DroppedAccounts))
	for i, acct := range d.DroppedAccounts {
		dropped[i] = droppedAccountJSON{AccountID: acct.ID, Platform: acct.Platform, DisplayName: acct.DisplayName}
	}
	media := mediaIDs(d.DroppedMedia)
	out[0].DroppedAccounts, out[0].DroppedMediaIDs = &dropped, &media
	setETag(c, d.Post.Version())
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/posts/"+string(d.Post.ID))
	return c.JSON(http.StatusCreated, out[0])
}

// retryComment handles POST /posts/:id/targets/:account_id/comment/retry: the target's
// failed first comment is sent again (the post is not); 200 with the post.
func (a *API) retryComment(c echo.Context) error {
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.RetryComment(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")), want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// resolveComment handles POST /posts/:id/targets/:account_id/comment/resolve: a person
// says whether a first comment left unknown was published ({"published": true}) or should
// be sent again ({"published": false}).
func (a *API) resolveComment(c echo.Context) error {
	var in struct {
		Published *bool `json:"published"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Published == nil {
		return domain.InvalidField("published", "is required: true when the comment is on the platform, false to send it again")
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.posts.ResolveComment(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")),
		*in.Published, want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}
