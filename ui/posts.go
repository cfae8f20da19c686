package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// postsPageSize is how many posts the list shows at once.
const postsPageSize = 25

// postsPage is one page of the posts list.
type postsPage struct {
	Now         time.Time // for posts in review whose time passed
	Posts       []domain.Post
	Names       accountNames
	Status      domain.PostStatus  // "" for all
	Platform    domain.Platform    // "" for all
	Label       string             // "" for all
	Labels      []ports.LabelCount // the company's labels, for the filter
	Statuses    []domain.PostStatus
	Platforms   []domain.Platform
	Older       string // the next page's address, "" on the last
	HasAccounts bool
	Filtered    bool
}

// StatusLink is the list's address for one status tab, keeping the platform filter.
func (p postsPage) StatusLink(s domain.PostStatus) string {
	return postsLink(s, p.Platform, p.Label, "")
}

// IsLabel reports whether l is the filter's label, regardless of case.
func (p postsPage) IsLabel(l string) bool { return p.Label != "" && strings.EqualFold(l, p.Label) }

// HasLabel reports whether the filter's label is among the company's, regardless of case.
func (p postsPage) HasLabel() bool {
	for _, l := range p.Labels {
		if strings.EqualFold(l.Label, p.Label) {
			return true
		}
	}
	return false
}

func postsLink(s domain.PostStatus, pl domain.Platform, label, cursor string) string {
	q := url.Values{}
	if s != "" {
		q.Set("status", string(s))
	}
	if pl != "" {
		q.Set("platform", string(pl))
	}
	if label != "" {
		q.Set("label", label)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return routePath("posts")
	}
	return routePath("posts") + "?" + q.Encode()
}

// accountNames names the company's accounts for pages that show targets; an account that
// was disconnected is no longer listed and shows as such.
type accountNames map[domain.AccountID]domain.Account

// Name returns the account's display name.
func (n accountNames) Name(id domain.AccountID) string {
	if a, ok := n[id]; ok {
		return a.DisplayName
	}
	return "Disconnected account"
}

func (h *Handler) accountNames(c echo.Context) (accountNames, []domain.Account, error) {
	as, err := h.Accounts.List(c.Request().Context(), actorOf(c))
	if err != nil {
		return nil, nil, err
	}
	names := accountNames{}
	for _, a := range as {
		names[a.ID] = a
	}
	return names, as, nil
}

// posts handles GET /posts with optional status, platform and cursor. Unknown filter
// values show every post rather than an error.
func (h *Handler) posts(c echo.Context) error {
	var f ports.PostFilter
	if s, err := domain.ParsePostStatus("status", c.QueryParam("status")); err == nil {
		f.Status = s
	}
	if pl, err := domain.ParsePlatform(c.QueryParam("platform")); err == nil {
		f.Platform = pl
	}
	f.Label = strings.TrimSpace(c.QueryParam("label"))
	page, err := app.Page(postsPageSize, c.QueryParam("cursor"), true)
	if err != nil {
		return err
	}
	ps, next, err := h.Posts.List(c.Request().Context(), actorOf(c), f, page)
	if err != nil {
		return err
	}
	names, as, err := h.accountNames(c)
	if err != nil {
		return err
	}
	labels, err := h.Posts.Labels(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	p := postsPage{Now: h.now(), Posts: ps, Names: names, Status: f.Status, Platform: f.Platform, Label: f.Label, Labels: labels, Statuses: domain.PostStatuses,
		Platforms: domain.Platforms, HasAccounts: len(as) > 0, Filtered: f != (ports.PostFilter{}) || c.QueryParam("cursor") != ""}
	if next != "" {
		p.Older = postsLink(f.Status, f.Platform, f.Label, next)
	}
	return h.page(c, http.StatusOK, pagePosts, p)
}

// postPage is one post with its targets, and the problems that keep a draft from being
// scheduled.
type postPage struct {
	Post     domain.Post
	Names    accountNames
	Problems []string
	OOB      bool   // the state line is sent out of band with the targets' refresh
	Live     string // the post's fingerprint when the page was made, for the event stream
	Ahead    bool   // the post's time is still ahead
	When     string
	Errors   map[string]string
	Message  string
	Metrics  *postMetrics                 // nil: analytics not wired or not readable
	Files    map[domain.MediaID]mediaTile // the post's library files the viewer can see
	// NeedsApproval: the viewer must submit this post for approval instead of scheduling
	// it; Comment is an approver's reason typed before a problem sent it back.
	NeedsApproval bool
	Comment       string
	Now           time.Time
	// Discussion is the post's thread; ReviewLinks its review links (nil: the viewer may
	// not manage them).
	Discussion  *discussionView
	ReviewLinks *reviewLinksView
}

// Waiting says a post in review whose time passed is not going out.
func (p postPage) Waiting(zone *time.Location) string { return p.Post.WaitingNote(p.Now, zone) }

// Media returns the post's library files, in order.
func (p postPage) Media() []mediaTile { return ordered(p.Post.MediaIDs, p.Files) }

// OwnMedia returns the library files of a target that has its own, in order.
func (p postPage) OwnMedia(t domain.Target) []mediaTile { return ordered(t.MediaIDs, p.Files) }

// CanEdit reports whether the post can still be edited.
func (p postPage) CanEdit() bool { return editable(p.Post) }

// CanDelete reports whether the post can be deleted now.
func (p postPage) CanDelete() bool { return p.Post.Status() != domain.PostPublishing }

// Waiting says a post in review whose time passed is not going out ("" otherwise).
func (p postsPage) Waiting(post domain.Post, zone *time.Location) string {
	return post.WaitingNote(p.Now, zone)
}

// showPost handles GET /posts/:id.
func (h *Handler) showPost(c echo.Context) error {
	p, err := h.Posts.Get(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.renderPost(c, http.StatusOK, postPage{Post: p, When: scheduleValue(c, p)})
}

// scheduleValue is what the post page's schedule field starts with: the time a post was
// just unscheduled from (?at=, as Unschedule's redirect leaves it; ignored when it is not a
// time), else a scheduled post's own time, in the viewer's zone.
func scheduleValue(c echo.Context, p domain.Post) string {
	loc := zoneOf(c)
	if at, err := parseLocal(c.QueryParam("at"), loc); err == nil {
		return at.Format(datetimeLocal)
	}
	if p.Status() == domain.PostScheduled {
		return p.ScheduledFor().In(loc).Format(datetimeLocal)
	}
	return ""
}

func (h *Handler) renderPost(c echo.Context, status int, pp postPage) error {
	names, as, err := h.accountNames(c)
	if err != nil {
		return err
	}
	pp.Names = names
	pp.Metrics = h.postMetricsOf(c, pp.Post.ID)
	pp.Live = postFingerprint(pp.Post)
	pp.Ahead = pp.Post.ScheduledFor().After(h.now())
	pp.Now = h.now()
	if need, err := h.Posts.NeedsApproval(c.Request().Context(), actorOf(c), pp.Post.ID, false); err == nil {
		pp.NeedsApproval = need
	}
	if pp.Discussion == nil {
		if pp.Discussion, err = h.discussionOf(c.Request().Context(), actorOf(c), pp.Post.ID); err != nil {
			return err
		}
	}
	if pp.ReviewLinks == nil {
		if pp.ReviewLinks, err = h.reviewLinksOf(c, pp.Post.ID); err != nil {
			return err
		}
	}
	if pp.Files, err = h.libraryFiles(c, pp.Post.AllMediaIDs()); err != nil {
		return err
	}
	if pp.Post.Status() == domain.PostDraft || pp.Post.Status() == domain.PostFailed {
		library := make(map[domain.MediaID]domain.Media, len(pp.Files))
		for id, t := range pp.Files {
			library[id] = t.Media
		}
		fields := domain.FieldsOf(pp.Post.CheckRules(as, library))
		for _, k := range domain.SortedFields(fields) {
			pp.Problems = append(pp.Problems, fields[k])
		}
	}
	return h.page(c, status, pagePost, pp)
}

// postStatus handles GET /posts/:id/status, the targets fragment the post page fetches
// when its event stream reports a change, with the post's state line out of band. Neither
// holds a form, so a refresh never wipes what someone is typing.
func (h *Handler) postStatus(c echo.Context) error {
	p, err := h.Posts.Get(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")))
	if domain.CodeOf(err) == domain.CodeNotFound && isPartialRequest(c.Request()) {
		// Deleted while someone watched it: say so once.
		c.Response().Header().Set(hxRetarget, "#alerts")
		c.Response().Header().Set(hxReswap, "innerHTML")
		return h.fragment(c, http.StatusOK, partAlert, errorPage{Status: http.StatusNotFound, Title: "Gone",
			Message: "This post no longer exists; someone deleted it."})
	}
	if err != nil {
		return err
	}
	names, _, err := h.accountNames(c)
	if err != nil {
		return err
	}
	return h.fragment(c, http.StatusOK, partStatus, postPage{Post: p, Names: names, OOB: true, Ahead: p.ScheduledFor().After(h.now())})
}

// schedulePost handles POST /posts/:id/schedule from the post page: the typed time in the
// viewer's zone, or now with action=publish.
func (h *Handler) schedulePost(c echo.Context) error {
	if c.FormValue("action") == actionPublish {
		return h.schedule(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int) (domain.Post, error) {
			return h.Posts.PublishNow(ctx, actor, id, version)
		})
	}
	at, err := parseLocal(c.FormValue("scheduled_for"), zoneOf(c))
	return h.schedule(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int) (domain.Post, error) {
		if err != nil {
			return domain.Post{}, err
		}
		return h.Posts.Schedule(ctx, actor, id, at, version)
	})
}

// retryPost handles POST /posts/:id/retry: a failed post is scheduled again at its own
// time while that is ahead. Once it has passed the app refuses (409) and the page asks to
// publish now or choose a new time.
func (h *Handler) retryPost(c echo.Context) error {
	return h.schedule(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int) (domain.Post, error) {
		return h.Posts.Schedule(ctx, actor, id, time.Time{}, version)
	})
}

// schedule runs one way of scheduling the post; problems come back on the post page
// (422, 409 or 412) with the typed time kept.
func (h *Handler) schedule(c echo.Context, run func(context.Context, domain.Actor, domain.PostID, int) (domain.Post, error)) error {
	ctx, actor, loc := c.Request().Context(), actorOf(c), zoneOf(c)
	id := domain.PostID(c.Param("id"))
	version, _ := strconv.Atoi(c.FormValue("version"))
	p, err := run(ctx, actor, id, version)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, scheduledMessage(p, !p.ScheduledFor().After(h.now()), loc))
		return redirect(c, routePath("post", id))
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeStale, domain.CodeLimit:
		current, gerr := h.Posts.Get(ctx, actor, id)
		if gerr != nil {
			return gerr
		}
		f := composeForm{Errors: map[string]string{}}.withError(err)
		pp := postPage{Post: current, When: c.FormValue("scheduled_for"), Errors: f.Errors, Message: f.Message}
		for _, k := range domain.SortedFields(f.Errors) {
			if k != "scheduled_for" {
				pp.Problems = append(pp.Problems, f.Errors[k])
			}
		}
		pp.Problems = append(pp.Problems, f.Others...)
		return h.renderPost(c, status(err), pp)
	}
	return err
}

// unschedulePost handles POST /posts/:id/unschedule: the post goes back to draft, and its
// page keeps the time it had (the form's scheduled_for) in the schedule field.
func (h *Handler) unschedulePost(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	p, err := h.Posts.Unschedule(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")), version)
	if err != nil {
		return err
	}
	h.flash(c, "The post is no longer scheduled; it is a draft again. Its time is still in the form below.")
	to := routePath("post", p.ID)
	if at, err := parseLocal(c.FormValue("scheduled_for"), zoneOf(c)); err == nil {
		to += "?at=" + url.QueryEscape(at.Format(datetimeLocal))
	}
	return redirect(c, to)
}

// resolveTarget handles POST /posts/:id/targets/:account_id/resolve from the post page: a
// person says a target left unknown was published (published=yes, with an optional
// address) or should be published again (published=no).
func (h *Handler) resolveTarget(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	published := c.FormValue("published") == "yes"
	p, err := h.Posts.ResolveTarget(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")),
		published, c.FormValue("external_url"), version)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeStale:
		h.flash(c, domain.MessageOf(err))
		return redirect(c, routePath("post", domain.PostID(c.Param("id"))))
	default:
		return err
	}
	if published {
		h.flash(c, "Marked as published.")
	} else {
		h.flash(c, "Herald is publishing it again now.")
	}
	return redirect(c, routePath("post", p.ID))
}

// retryComment handles POST /posts/:id/targets/:account_id/comment/retry from the post
// page: the target's failed first comment is sent again (the post is not).
func (h *Handler) retryComment(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	_, err := h.Posts.RetryComment(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")), version)
	return h.commentAnswer(c, err, "Herald is sending the first comment again now.")
}

// resolveComment handles POST /posts/:id/targets/:account_id/comment/resolve: a person says
// a first comment left unknown is under the post (published=yes) or should be sent again.
func (h *Handler) resolveComment(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	published := c.FormValue("published") == "yes"
	_, err := h.Posts.ResolveComment(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")), domain.AccountID(c.Param("account_id")), published, version)
	done := "Herald is sending the first comment again now."
	if published {
		done = "The first comment is marked as published."
	}
	return h.commentAnswer(c, err, done)
}

// commentAnswer goes back to the post page with done, or with the reason a comment change
// was refused.
func (h *Handler) commentAnswer(c echo.Context, err error, done string) error {
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, done)
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeStale:
		h.flash(c, domain.MessageOf(err))
	default:
		return err
	}
	return redirect(c, routePath("post", domain.PostID(c.Param("id"))))
}

// deletePost handles POST /posts/:id/delete.
func (h *Handler) deletePost(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	if err := h.Posts.Delete(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")), version); err != nil {
		return err
	}
	h.flash(c, "The post was deleted.")
	return redirect(c, routePath("posts"))
}
