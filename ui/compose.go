package ui

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// composePage is the compose and edit page's data.
type composePage struct {
	Post *domain.Post // nil while writing a new post
	// Discussion is an existing post's thread, beside the composer (nil for a new post).
	Discussion *discussionView
	Form       composeForm
	Groups     []accountGroup
	Counters   []platformCount // the post's text against each ticked platform's limit
	Warnings   []ruleWarning   // every platform rule the ticked accounts would break
	Rules      rulesBlob       // the same rules for static/app.js, which recounts while typing
	Platforms  []domain.Platform
	Notice     notice
	AI         *aiPanel         // nil when the viewer may not use the AI assist
	Chosen     chosenMedia      // the library files chosen, in the post's order
	Uploader   uploader         // the media section's upload zone
	Best       []bestTimesView  // suggested times per account, for the time input
	Snippets   []domain.Snippet // the company's snippets, for the "Insert snippet" list
	Preview    postPreview      // how the post will look on each ticked account
	// NeedsApproval: "Submit for approval" replaces Schedule, Publish now and Add to queue.
	NeedsApproval bool
}

// Action is where the form posts to.
func (p composePage) Action() string {
	if p.Post != nil {
		return routePath("post.update", p.Post.ID)
	}
	return routePath("post.create")
}

// ReturnTo is where connecting an account from this page comes back to.
func (p composePage) ReturnTo() string {
	if p.Post != nil {
		return routePath("post.edit", p.Post.ID)
	}
	return routePath("post.new")
}

// accountGroup is one platform's accounts in the picker.
type accountGroup struct {
	Platform domain.Platform
	Accounts []domain.Account
}

// platformCount is the length of a text against a platform's limit.
type platformCount struct {
	Platform domain.Platform
	Count    int
	Max      int
}

// Over reports whether the text is too long for the platform.
func (c platformCount) Over() bool { return c.Max > 0 && c.Count > c.Max }

// ruleWarning is what one ticked account's platform would refuse.
type ruleWarning struct {
	Account  domain.Account
	Problems []string
}

// rulesBlob is the platform rules as JSON for static/app.js: the page embeds it in a
// <script type="application/json">, which html/template escapes as data.
type rulesBlob struct {
	Platforms  map[domain.Platform]platformRules `json:"platforms"`
	MediaKinds map[string]domain.MediaKind       `json:"media_kinds"`
}

type platformRules struct {
	Name          string `json:"name"`
	MaxRunes      int    `json:"max_runes"`
	MaxHashtags   int    `json:"max_hashtags"`
	MaxMedia      int    `json:"max_media"`
	MediaRequired bool   `json:"media_required"`
	VideoRequired bool   `json:"video_required"`
	VideoAlone    bool   `json:"video_alone"`
	MaxVideos     int    `json:"max_videos"`
	AllowsVideo   bool   `json:"allows_video"`
	AllowsImages  bool   `json:"allows_images"`
}

// mediaExtensions are the file extensions offered to domain.KindOfMedia when building the
// blob; the domain decides which of them are images or videos.
var mediaExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".bmp", ".tif", ".tiff", ".svg",
	".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".mpeg", ".mpg", ".3gp"}

var platformRulesBlob = func() rulesBlob {
	b := rulesBlob{Platforms: map[domain.Platform]platformRules{}, MediaKinds: map[string]domain.MediaKind{}}
	for p, r := range domain.PlatformRules {
		b.Platforms[p] = platformRules{Name: p.Title(), MaxRunes: r.MaxRunes, MaxHashtags: r.MaxHashtags, MaxMedia: r.MaxMedia,
			MediaRequired: r.MediaRequired, VideoRequired: r.VideoRequired, VideoAlone: r.VideoAlone, MaxVideos: r.MaxVideos, AllowsVideo: r.AllowsVideo, AllowsImages: r.AllowsImages}
	}
	for _, ext := range mediaExtensions {
		if k := domain.KindOfMedia("https://example.com/media" + ext); k != domain.MediaUnknown {
			b.MediaKinds[ext] = k
		}
	}
	return b
}()

// newPost handles GET /posts/new, optionally with at=YYYY-MM-DDTHH:MM (the viewer's zone):
// the time the calendar's empty slot stands for, filled in.
func (h *Handler) newPost(c echo.Context) error {
	if !(view{Allows: h.allows(c)}).CanWritePosts() {
		return domain.Errorf(domain.CodeForbidden, "Your role does not allow you to write posts in this company.")
	}
	f := composeForm{Selected: map[domain.AccountID]bool{}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{},
		Comments: map[domain.AccountID]string{}}
	if raw := c.QueryParam("at"); raw != "" {
		at, err := parseLocal(raw, zoneOf(c))
		switch {
		case err != nil:
			f.Errors["scheduled_for"] = domain.FieldsOf(err)["scheduled_for"]
		case !at.After(h.now()):
			f.When = at.Format(datetimeLocal)
			f.Errors["scheduled_for"] = "has passed: choose a time ahead"
		default:
			f.When = at.Format(datetimeLocal)
		}
	}
	return h.renderCompose(c, http.StatusOK, nil, f)
}

// editPost handles GET /posts/:id/edit; only drafts, scheduled and failed posts can be edited.
func (h *Handler) editPost(c echo.Context) error {
	p, err := h.Posts.Get(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	if !editable(p) {
		return domain.Errorf(domain.CodeConflict, "A %s post cannot be edited.", humanStatus(p.Status()))
	}
	if !(view{Allows: h.allows(c)}).CanWritePosts() {
		return domain.Errorf(domain.CodeForbidden, "Your role does not allow you to change posts in this company.")
	}
	return h.renderCompose(c, http.StatusOK, &p, composeFromPost(p, zoneOf(c)))
}

// editable reports whether the post may still be edited.
func editable(p domain.Post) bool {
	switch p.Status() {
	case domain.PostDraft, domain.PostScheduled, domain.PostFailed, domain.PostInReview, domain.PostChangesRequested, domain.PostApproved:
		return true
	}
	return false
}

// createPost handles POST /posts: it saves a draft, or, when Schedule or Publish now was
// pressed, saves and schedules the post in one go, so a refused schedule stores nothing.
// Problems come back beside the fields (422), nothing typed lost.
func (h *Handler) createPost(c echo.Context) error {
	f, err := parseCompose(c)
	if err != nil {
		return err
	}
	ctx, actor, loc := c.Request().Context(), actorOf(c), zoneOf(c)
	at, err := f.scheduledAt(loc)
	if err != nil {
		return h.renderCompose(c, formStatus(c, err), nil, f.withError(err))
	}
	var p domain.Post
	switch f.Action {
	case actionDraft:
		p, err = h.Posts.Create(ctx, actor, f.input())
	case actionQueue:
		p, err = h.PostingQueue.CreateQueued(ctx, actor, f.input())
	case actionSubmit:
		// The draft is kept when the submission is refused: its page says what to fix.
		if p, err = h.Posts.Create(ctx, actor, f.input()); err == nil {
			if sub, serr := h.Posts.Submit(ctx, actor, p.ID, at, p.Version()); serr == nil {
				p = sub
			} else {
				h.flash(c, "The draft was saved but not submitted: "+domain.MessageOf(serr))
				return redirect(c, routePath("post", p.ID))
			}
		}
	default:
		p, err = h.Posts.CreateScheduled(ctx, actor, f.input(), at)
	}
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeForbidden, domain.CodeLimit, domain.CodeSuspended: // the typed post is kept
		f = f.withError(err)
		if f.Action != actionDraft {
			f.Message = "The post was not saved or scheduled. " + f.Message
		}
		return h.renderCompose(c, status(err), nil, f)
	default:
		return err
	}
	switch f.Action {
	case actionDraft:
		h.flash(c, "The draft was saved.")
	case actionQueue:
		h.flash(c, queuedMessage(p, loc))
	case actionSubmit:
		h.flash(c, "The post was submitted for approval; approvers were told.")
	default:
		h.flash(c, scheduledMessage(p, at.IsZero(), loc))
	}
	return redirect(c, routePath("post", p.ID))
}

// updatePost handles POST /posts/:id, the edit form, with the version it was opened at.
func (h *Handler) updatePost(c echo.Context) error {
	f, err := parseCompose(c)
	if err != nil {
		return err
	}
	ctx, actor, loc := c.Request().Context(), actorOf(c), zoneOf(c)
	id := domain.PostID(c.Param("id"))
	current, err := h.Posts.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	at, err := f.scheduledAt(loc)
	if err != nil {
		return h.renderCompose(c, formStatus(c, err), &current, f.withError(err))
	}
	p, err := h.Posts.Update(ctx, actor, id, f.input(), f.Version)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeStale:
		f = f.withError(err)
		f.Message = "Someone else changed this post while you were editing it. Your text is kept below; open the post in another tab to see their version, copy what you need, then reload this page to edit the current version."
		return h.renderCompose(c, http.StatusPreconditionFailed, &current, f)
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeSuspended: // the typed post is kept
		return h.renderCompose(c, status(err), &current, f.withError(err))
	default:
		return err
	}
	saved := "The changes were saved"
	if p.Status() == domain.PostScheduled {
		saved += "; the post stays scheduled for " + (view{Zone: loc}).Time(p.ScheduledFor()) + " (" + loc.String() + ")"
	}
	return h.finishCompose(c, p, f, at, saved)
}

// finishCompose schedules the edited post when asked to, then goes to the post's page. When
// scheduling fails the changes stay saved and the form comes back with the problems.
func (h *Handler) finishCompose(c echo.Context, p domain.Post, f composeForm, at time.Time, saved string) error {
	if f.Action == actionDraft {
		h.flash(c, saved+".")
		return redirect(c, routePath("post", p.ID))
	}
	var scheduled domain.Post
	var err error
	switch f.Action {
	case actionPublish:
		scheduled, err = h.Posts.PublishNow(c.Request().Context(), actorOf(c), p.ID, p.Version())
	case actionQueue:
		scheduled, err = h.PostingQueue.Add(c.Request().Context(), actorOf(c), p.ID, p.Version())
	case actionSubmit:
		if p.Status() == domain.PostInReview { // the edit sent it back to review already
			h.flash(c, saved+"; it waits for approval again.")
			return redirect(c, routePath("post", p.ID))
		}
		scheduled, err = h.Posts.Submit(c.Request().Context(), actorOf(c), p.ID, at, p.Version())
	default:
		scheduled, err = h.Posts.Schedule(c.Request().Context(), actorOf(c), p.ID, at, p.Version())
	}
	switch domain.CodeOf(err) {
	case "":
		if f.Action == actionQueue {
			h.flash(c, queuedMessage(scheduled, zoneOf(c)))
		} else if f.Action == actionSubmit {
			h.flash(c, saved+"; the post was submitted for approval.")
		} else {
			h.flash(c, scheduledMessage(scheduled, at.IsZero(), zoneOf(c)))
		}
		return redirect(c, routePath("post", p.ID))
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeApprovalRequired, domain.CodeForbidden, domain.CodeStale, domain.CodeLimit:
		f.Version = p.Version()
		f = f.withError(err)
		f.Message = "The changes were saved, but the post was not scheduled. " + f.Message
		if c.Request().Header.Get(hxRequest) == "true" {
			c.Response().Header().Set(hxPushURL, routePath("post.edit", p.ID))
		}
		return h.renderCompose(c, status(err), &p, f)
	}
	return err
}

// scheduledMessage says when the post goes out, in the viewer's zone.
func scheduledMessage(p domain.Post, now bool, loc *time.Location) string {
	if now {
		return "The post is on its way: Herald is publishing it now."
	}
	return "The post is scheduled for " + (view{Zone: loc}).Time(p.ScheduledFor()) + " (" + loc.String() + ")."
}

// renderCompose shows the compose form with the company's accounts and the rules the
// ticked ones would break.
func (h *Handler) renderCompose(c echo.Context, status int, p *domain.Post, f composeForm) error {
	as, err := h.Accounts.List(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	page := composePage{Post: p, Form: f, Rules: platformRulesBlob, Platforms: h.Platforms.Names(), Notice: connectNotice(c)}
	var id domain.PostID
	if p != nil {
		id = p.ID
	}
	if page.NeedsApproval, err = h.Posts.NeedsApproval(c.Request().Context(), actorOf(c), id, f.AIAssisted); err != nil {
		return err
	}
	known := map[domain.AccountID]bool{}
	for _, a := range as {
		known[a.ID] = true
		if n := len(page.Groups); n == 0 || page.Groups[n-1].Platform != a.Platform {
			page.Groups = append(page.Groups, accountGroup{Platform: a.Platform})
		}
		g := &page.Groups[len(page.Groups)-1]
		g.Accounts = append(g.Accounts, a)
	}
	slices.SortStableFunc(page.Groups, func(a, b accountGroup) int {
		return slices.Index(domain.Platforms, a.Platform) - slices.Index(domain.Platforms, b.Platform)
	})
	for k, msg := range page.Form.Errors {
		if id, ok := strings.CutPrefix(k, "account."); ok && !known[domain.AccountID(id)] {
			page.Form.Others = append(page.Form.Others, msg)
			delete(page.Form.Errors, k)
		}
	}
	for _, id := range f.Order {
		if !known[id] {
			page.Form.Others = append(page.Form.Others, "This post was also meant for an account that has since been disconnected; saving removes it from the post.")
			break
		}
	}
	if page.Best, err = h.bestTimesOf(c, as); err != nil {
		return err
	}
	var library map[domain.MediaID]domain.Media
	var files map[domain.MediaID]mediaTile
	if h.Media.Enabled() {
		files, err = h.libraryFiles(c, f.MediaIDs)
		if err != nil {
			return err
		}
		library = make(map[domain.MediaID]domain.Media, len(files))
		for id, t := range files {
			library[id] = t.Media
		}
		page.Chosen = chosenMedia{Items: ordered(f.MediaIDs, files)}
		if len(page.Chosen.Items) < len(f.MediaIDs) {
			page.Form.Others = append(page.Form.Others, "A file chosen for this post is no longer in the media library; it was left out.")
		}
		page.Uploader = uploader{ID: "compose-upload", For: "compose", Company: actorOf(c).CompanyID}
		if u, err := h.Media.Usage(c.Request().Context(), actorOf(c)); err == nil {
			page.Uploader.MaxFile = u.MaxFile
		}
	}
	page.Counters, page.Warnings = checkCompose(f, as, library)
	if page.Snippets, err = h.Snippets.List(c.Request().Context(), actorOf(c)); err != nil {
		return err
	}
	page.Preview = buildPreview(f, as, files, previewWhen(f, zoneOf(c)))
	if p != nil {
		if page.Discussion, err = h.discussionOf(c.Request().Context(), actorOf(c), p.ID); err != nil {
			return err
		}
	}
	if h.AI != nil && (view{Allows: h.allows(c)}).CanUseAI() {
		page.AI = h.newAIPanel(as, f.Selected)
	}
	return h.page(c, status, pageCompose, page)
}

// checkCompose counts the text for every ticked platform and lists the rules each ticked
// account would break, as domain.CheckRules sees them, counting the account's library files
// (by their stored kind) before the addresses; none before anything is written or the
// form was sent.
func checkCompose(f composeForm, accounts []domain.Account, library map[domain.MediaID]domain.Media) ([]platformCount, []ruleWarning) {
	// Nothing written and nothing sent yet: the only broken rules would be "it is empty".
	quiet := f.Blank() && !f.Sent
	content := strings.TrimSpace(strings.ReplaceAll(f.Content, "\r\n", "\n"))
	media := f.mediaURLs()
	var counts []platformCount
	var warnings []ruleWarning
	for _, a := range accounts {
		if !f.Selected[a.ID] {
			continue
		}
		if !slices.ContainsFunc(counts, func(c platformCount) bool { return c.Platform == a.Platform }) {
			counts = append(counts, platformCount{Platform: a.Platform, Count: domain.PlatformRules[a.Platform].Length(content), Max: domain.PlatformRules[a.Platform].MaxRunes})
		}
		text := content
		if v := strings.TrimSpace(f.Variants[a.ID]); v != "" {
			text = v
		}
		var kinds []domain.MediaKind
		for _, id := range f.MediaFor(a.ID) {
			if m, ok := library[id]; ok {
				kinds = append(kinds, m.Kind())
			}
		}
		kinds = append(kinds, domain.MediaKinds(media)...)
		if problems := domain.CheckRules(a.Platform, text, kinds); len(problems) > 0 && !quiet {
			warnings = append(warnings, ruleWarning{Account: a, Problems: problems})
		}
	}
	slices.SortStableFunc(counts, func(a, b platformCount) int {
		return slices.Index(domain.Platforms, a.Platform) - slices.Index(domain.Platforms, b.Platform)
	})
	return counts, warnings
}

func humanStatus[S ~string](s S) string { return strings.ReplaceAll(string(s), "_", " ") }
