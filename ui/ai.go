package ui

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// settingsPage is the settings page's data: the brand voice form and this month's AI usage.
type settingsPage struct {
	Voice      form       // values and problems: voice, avoid_words, default_hashtags
	CanEdit    bool       // owners and admins may change the voice; everyone else reads it
	Usage      *app.Usage // nil when the role may not see it
	Configured bool       // an AI provider is configured
	Zone       form       // the company's time zone (time_zone), in which analytics count days
	CanZone    bool       // owners may change it
	Zones      zonePicker // the company zone picker, its zone selected
	Plan       domain.Plan
	PlanUsage  domain.PlanUsage
	Deletion   form // the company's name typed back (confirm), to delete the company
	CanData    bool // owners may export and delete all of the company's data
	// Storage is the media library's use of the plan's storage; nil when the library is
	// off or the role may not see it.
	Storage *app.StorageUsage
	// TwoFactor is the company's two-factor requirement (settings/_two_factor).
	TwoFactor requireTwoFactorSetting
}

// aiUsed is the tokens used (prompt and completion).
func aiUsed(u app.Usage) int64 { return u.PromptTokens + u.CompletionTokens }

// settings handles GET /settings.
func (h *Handler) settings(c echo.Context) error {
	if h.AI == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	f, err := h.voiceForm(c)
	if err != nil {
		return err
	}
	return h.renderSettings(c, http.StatusOK, f)
}

// voiceForm is the brand voice as stored, for the settings page's form.
func (h *Handler) voiceForm(c echo.Context) (form, error) {
	v, err := h.AI.Voice(c.Request().Context(), actorOf(c))
	if err != nil {
		return form{}, err
	}
	return newForm(map[string]string{"voice": v.Description, "avoid_words": strings.Join(v.AvoidWords, "\n"),
		"default_hashtags": hashtagLines(v.DefaultHashtags)}), nil
}

// saveVoice handles POST /settings/voice (owners and admins). Problems come back beside
// the fields (422) with everything typed kept.
func (h *Handler) saveVoice(c echo.Context) error {
	if h.AI == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	f := newForm(map[string]string{"voice": c.FormValue("voice"), "avoid_words": c.FormValue("avoid_words"),
		"default_hashtags": c.FormValue("default_hashtags")})
	_, err := h.AI.SetVoice(c.Request().Context(), actorOf(c), f.Values["voice"], splitList(f.Values["avoid_words"]), splitList(f.Values["default_hashtags"]))
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "The brand voice was saved.")
		return redirect(c, routePath("settings"))
	case domain.CodeInvalid, domain.CodeSuspended: // the typed voice is kept
		return h.renderSettings(c, status(err), f.withError(err))
	}
	return err
}

func (h *Handler) renderSettings(c echo.Context, st int, f form) error {
	return h.renderSettingsWith(c, st, f, form{}, newForm(nil))
}

func (h *Handler) renderSettingsWith(c echo.Context, st int, f, zone, deletion form) error {
	actor, may := actorOf(c), (view{Allows: h.allows(c)}).may
	p := settingsPage{Voice: f, CanEdit: may(domain.ResourceBrand, domain.ActionWrite), Configured: h.AI.Configured(),
		Zone: zone, CanZone: may(domain.ResourceCompany, domain.ActionWrite),
		Deletion: deletion, CanData: h.Privacy != nil && may(domain.ResourceData, domain.ActionWrite)}
	current := p.Zone.Values["time_zone"]
	if (p.Zone.Values == nil || len(p.Zone.Errors) > 0) && h.Analytics != nil {
		z, err := h.Analytics.Zone(c.Request().Context(), actor)
		if err != nil {
			return err
		}
		if p.Zone.Values == nil {
			p.Zone = newForm(map[string]string{"time_zone": z})
		}
		current = z // a refused name cannot be selected: show the zone still in effect
	}
	p.Zones = newZonePicker(current)
	tf, err := h.requireTwoFactorSetting(c)
	if err != nil {
		return err
	}
	p.TwoFactor = tf
	plan, usage, err := h.Teams.Plan(c.Request().Context(), actor)
	if err != nil {
		return err
	}
	p.Plan, p.PlanUsage = plan, usage
	if h.Media.Enabled() {
		switch st, err := h.Media.Usage(c.Request().Context(), actor); domain.CodeOf(err) {
		case "":
			p.Storage = &st
		case domain.CodeForbidden:
		default:
			return err
		}
	}
	u, err := h.AI.Usage(c.Request().Context(), actor)
	switch domain.CodeOf(err) {
	case "":
		p.Usage = &u
	case domain.CodeForbidden:
	default:
		return err
	}
	return h.page(c, st, pageSettings, p)
}

// saveZone handles POST /settings/zone (owners): the company's time zone for analytics.
func (h *Handler) saveZone(c echo.Context) error {
	if h.Analytics == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	zone := newForm(map[string]string{"time_zone": c.FormValue("time_zone")})
	err := h.Analytics.SetZone(c.Request().Context(), actorOf(c), zone.Values["time_zone"])
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "The company's time zone was saved: analytics count days in it.")
		return redirect(c, routePath("settings"))
	case domain.CodeInvalid:
		f, verr := h.voiceForm(c)
		if verr != nil {
			return verr
		}
		return h.renderSettingsWith(c, formStatus(c, err), f, zone.withError(err), newForm(nil))
	}
	return err
}

// splitList reads a textarea of words: one a line or separated by commas.
func splitList(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func hashtagLines(tags []string) string {
	lines := make([]string, len(tags))
	for i, t := range tags {
		lines[i] = "#" + t
	}
	return strings.Join(lines, "\n")
}

// aiPanel is the compose page's "Suggest with AI" panel.
type aiPanel struct {
	Configured bool
	Platforms  []domain.Platform // the platforms of the company's accounts
	Chosen     map[domain.Platform]bool
	Brief      string
	Tone       string
	Language   string
	Errors     map[string]string // brief, tone, language, platforms
	Message    string
}

// IsChosen reports whether the platform's box is ticked.
func (p aiPanel) IsChosen(pl domain.Platform) bool { return p.Chosen[pl] }

// Tones are the tones offered; any other few words are accepted too.
func (aiPanel) Tones() []string {
	return []string{"neutral", "friendly", "professional", "playful", "bold"}
}

// newAIPanel returns the panel for the company's accounts, with the platforms of the ticked
// ones chosen (all of them when none is ticked).
func (h *Handler) newAIPanel(accounts []domain.Account, selected map[domain.AccountID]bool) *aiPanel {
	p := &aiPanel{Configured: h.AI.Configured(), Chosen: map[domain.Platform]bool{}, Errors: map[string]string{}}
	for _, a := range accounts {
		if !slices.Contains(p.Platforms, a.Platform) {
			p.Platforms = append(p.Platforms, a.Platform)
		}
		if selected[a.ID] {
			p.Chosen[a.Platform] = true
		}
	}
	slices.SortStableFunc(p.Platforms, func(a, b domain.Platform) int {
		return slices.Index(domain.Platforms, a) - slices.Index(domain.Platforms, b)
	})
	if len(p.Chosen) == 0 {
		for _, pl := range p.Platforms {
			p.Chosen[pl] = true
		}
	}
	return p
}

// suggestions is the answer of POST /posts/suggest: a card per platform, or why there is none.
type suggestions struct {
	Cards   []suggestionCard
	Tokens  int64
	Status  int    // 200, 429 or 503
	Message string // the problem, when there are no cards
	RetryAt string // when more tokens are available (429), in the viewer's zone
	Plain   bool   // shown on a page of its own (no JavaScript): no buttons, the text to copy
}

// suggestionCard is one platform's caption with the buttons that put it into the post.
type suggestionCard struct {
	Platform domain.Platform
	Caption  string
	Hashtags []string
	Text     string           // domain.CaptionText: what "Use" puts into a text field
	Accounts []domain.Account // the ticked accounts of the platform, each with a "Use for" button
}

// newSuggestions lays out the app's suggestions for the ticked accounts.
func newSuggestions(items []ports.CaptionSuggestion, accounts []domain.Account, selected map[domain.AccountID]bool) suggestions {
	s := suggestions{Status: http.StatusOK}
	for _, it := range items {
		card := suggestionCard{Platform: it.Platform, Caption: it.Caption, Hashtags: it.Hashtags, Text: domain.CaptionText(it.Caption, it.Hashtags)}
		for _, a := range accounts {
			if a.Platform == it.Platform && selected[a.ID] {
				card.Accounts = append(card.Accounts, a)
			}
		}
		s.Cards = append(s.Cards, card)
	}
	return s
}

// suggest handles POST /posts/suggest: captions for the chosen platforms from the brief.
// Field problems come back as the whole panel (422, retargeted to #ai-panel); a spent
// allowance (429) or no provider (503) as a sentence in the suggestions area.
func (h *Handler) suggest(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	vals, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	in := app.SuggestInput{Brief: vals.Get("brief"), Tone: vals.Get("tone"), Language: vals.Get("language")}
	for _, p := range vals["platforms"] {
		in.Platforms = append(in.Platforms, domain.Platform(p))
	}
	selected := map[domain.AccountID]bool{}
	for _, id := range vals["account_ids"] {
		selected[domain.AccountID(id)] = true
	}
	if h.AI == nil {
		return h.suggestAnswer(c, nil, suggestions{Status: http.StatusServiceUnavailable, Message: app.ErrNoProvider.Message})
	}
	out, err := h.AI.Suggest(ctx, actor, in)
	switch domain.CodeOf(err) {
	case "":
		as, err := h.Accounts.List(ctx, actor)
		if err != nil {
			return err
		}
		s := newSuggestions(out.Items, as, selected)
		s.Tokens = out.PromptTokens + out.CompletionTokens
		return h.suggestAnswer(c, nil, s)
	case domain.CodeInvalid:
		as, lerr := h.Accounts.List(ctx, actor)
		if lerr != nil {
			return lerr
		}
		p := h.newAIPanel(as, nil)
		p.Chosen = map[domain.Platform]bool{}
		for _, pl := range in.Platforms {
			p.Chosen[pl] = true
		}
		p.Brief, p.Tone, p.Language, p.Message = in.Brief, in.Tone, in.Language, domain.MessageOf(err)
		for k, msg := range domain.FieldsOf(err) {
			if strings.HasPrefix(k, "platforms") {
				k = "platforms"
			}
			if prev, ok := p.Errors[k]; ok && prev != msg {
				msg = prev + "; " + msg
			}
			p.Errors[k] = msg
		}
		return h.suggestAnswer(c, p, suggestions{Status: http.StatusUnprocessableEntity})
	case domain.CodeRateLimited:
		s := suggestions{Status: http.StatusTooManyRequests, Message: domain.MessageOf(err)}
		var de *domain.Error
		// A wait of seconds (other requests hold the rest of the allowance) is in the message.
		if errors.As(err, &de) && de.RetryAfter > time.Minute {
			s.RetryAt = (view{Zone: zoneOf(c)}).Time(time.Now().Add(de.RetryAfter)) + " (" + zoneOf(c).String() + ")"
		}
		return h.suggestAnswer(c, nil, s)
	case domain.CodeUnavailable:
		msg := domain.MessageOf(err)
		if msg == "" {
			msg = "The AI provider did not answer. Please try again in a moment."
		}
		return h.suggestAnswer(c, nil, suggestions{Status: http.StatusServiceUnavailable, Message: msg})
	}
	return err
}

// suggestPage is POST /posts/suggest answered to a browser without JavaScript: the panel
// with its problems, or the suggestions to copy, on a page of their own.
type suggestPage struct {
	Panel  *aiPanel
	Result *suggestions
}

// suggestAnswer writes the answer of POST /posts/suggest with s.Status: for htmx, the
// panel with its problems (retargeted to #ai-panel) or the suggestions area's content;
// for a plain form post, a page.
func (h *Handler) suggestAnswer(c echo.Context, panel *aiPanel, s suggestions) error {
	if isPartialRequest(c.Request()) {
		if panel != nil {
			c.Response().Header().Set(hxRetarget, "#ai-panel")
			c.Response().Header().Set(hxReswap, "outerHTML")
			return h.fragment(c, s.Status, partAIPanel, panel)
		}
		return h.fragment(c, s.Status, partSuggestions, s)
	}
	p := suggestPage{Panel: panel}
	if panel == nil {
		s.Plain = true
		p.Result = &s
	}
	return h.page(c, s.Status, pageSuggest, p)
}
