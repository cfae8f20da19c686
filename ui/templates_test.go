package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/policies"
	"github.com/heraldhq/herald/ports"
)

// TestNew_EveryNamedTemplateExists fails when a page or partial a handler names is missing,
// or when a template does not parse.
func TestNew_EveryNamedTemplateExists(t *testing.T) {
	t.Parallel()
	h, err := New(nil, Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, p := range pages {
		if h.templates[p] == nil || h.templates[p].Lookup("content") == nil || h.templates[p].Lookup("title") == nil {
			t.Errorf("page %s lacks its set, content or title", p)
		}
	}
	for _, p := range partials {
		if h.templates[p] == nil || h.templates[p].Lookup(p) == nil {
			t.Errorf("partial %s is not defined", p)
		}
	}
}

// render executes a page (with the layout) or a partial with data, as a signed-in editor in
// zone, and parses the result.
func render(t *testing.T, name string, data any, zone *time.Location, role domain.Role) *goquery.Document {
	t.Helper()
	return renderView(t, name, signedIn(data, zone, role))
}

// signedIn is the view of a page of Acme's seen by user u1 (Ann) with role, in zone.
func signedIn(data any, zone *time.Location, role domain.Role) view {
	return view{Data: data, CSRF: "tok", Zone: zone, Path: "/posts", CompanyName: "Acme",
		Session: &domain.Session{User: domain.User{ID: "u1", Name: "Ann", Email: "ann@example.com"}},
		Actor:   domain.Actor{UserID: "u1", CompanyID: "c1", Role: role}, Allows: policyAllows(role)}
}

// renderView executes a page (with the layout) or a partial (a name with "/_") with v.
func renderView(t *testing.T, name string, v view) *goquery.Document {
	t.Helper()
	h, err := New(nil, Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	block := "layout"
	if strings.Contains(name, "/_") {
		block = name
	}
	var buf bytes.Buffer
	if err := h.templates[name].ExecuteTemplate(&buf, block, v); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// policyAllows answers what role may do from Herald's real policy (policies/policy.csv), as
// the Casbin enforcer would for a member of the company: the pages follow the policy.
func policyAllows(role domain.Role) func(domain.Resource, domain.Action) bool {
	return func(res domain.Resource, act domain.Action) bool {
		for _, line := range strings.Split(policies.Policy, "\n") {
			f := strings.Split(line, ",")
			for i := range f {
				f[i] = strings.TrimSpace(f[i])
			}
			if len(f) == 5 && f[0] == "p" && f[1] == string(role) && f[3] == string(res) && f[4] == string(act) {
				return true
			}
		}
		return false
	}
}

func samplePost(t *testing.T, status domain.PostStatus, at time.Time) domain.Post {
	t.Helper()
	accounts := []domain.Account{{ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme on LinkedIn", Status: domain.AccountActive},
		{ID: "a2", Platform: domain.Instagram, DisplayName: "acme.gram", Status: domain.AccountActive}}
	p, err := domain.NewPost("c1", "u1", domain.PostInput{Content: "Hello <b>world</b> #launch", AccountIDs: []domain.AccountID{"a1", "a2"},
		Variants: map[domain.AccountID]string{"a2": "Insta text"}}, accounts, at)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = "p1"
	return domain.RestorePost(p, status, "", at, 3)
}

func TestTemplates_ComposeEmbedsRulesAsJSONAndKeepsInput(t *testing.T) {
	t.Parallel()
	f := composeForm{Content: "</textarea><script>alert(1)</script>", Media: "https://x.test/a.mp4\nnot a url",
		Selected: map[domain.AccountID]bool{"a1": true}, Order: []domain.AccountID{"a1"}, Variants: map[domain.AccountID]string{"a2": "kept for later"},
		When: "2026-11-23T09:30", Errors: map[string]string{}}
	f = f.withError(&domain.Error{Code: domain.CodeInvalid, Message: "Please correct the highlighted fields.", Fields: map[string]string{
		"content": "is too long", "media_urls[1]": "must be an http or https address", "account_ids[0]": "is disconnected",
		"variants.a2.content": "is too long", "scheduled_for": "is in the past", "something_else": "odd"}})
	accounts := []domain.Account{{ID: "a1", Platform: domain.TikTok, DisplayName: "Acme Tok"}, {ID: "a2", Platform: domain.Sandbox, DisplayName: "Sandy"}}
	counts, warnings := checkCompose(f, accounts, nil)
	page := composePage{Form: f, Groups: []accountGroup{{Platform: domain.TikTok, Accounts: accounts[:1]}, {Platform: domain.Sandbox, Accounts: accounts[1:]}},
		Rules: platformRulesBlob, Counters: counts, Warnings: warnings}
	doc := render(t, pageCompose, page, time.UTC, domain.RoleEditor)

	var blob struct {
		Platforms  map[string]platformRules `json:"platforms"`
		MediaKinds map[string]string        `json:"media_kinds"`
	}
	raw := doc.Find(`script#platform-rules[type="application/json"]`).Text()
	if err := json.Unmarshal([]byte(raw), &blob); err != nil {
		t.Fatalf("rules blob is not JSON: %v\n%s", err, raw)
	}
	if got, want := blob.Platforms["instagram"].MaxRunes, domain.PlatformRules[domain.Instagram].MaxRunes; got != want {
		t.Errorf("instagram max_runes in blob = %d, want %d", got, want)
	}
	if blob.Platforms["tiktok"].MaxVideos != 1 || !blob.Platforms["linkedin"].VideoAlone || blob.Platforms["instagram"].VideoAlone || blob.MediaKinds[".mp4"] != "video" || blob.MediaKinds[".png"] != "image" {
		t.Errorf("blob lacks tiktok's video rule or media kinds: %+v", blob)
	}
	if got := doc.Find("#content").Text(); got != f.Content {
		t.Errorf("content not kept verbatim: %q", got)
	}
	if n := doc.Find("script:not([src])").Length(); n != 1 {
		t.Errorf("typed markup became a script: %d inline script elements, want only the rules", n)
	}
	checks := map[string]string{
		"#content-error":        "too long",
		"#media-error":          "line 2 must be an http",
		"#account-a1-error":     "is disconnected",
		"#variant-a2-error":     "too long",
		"#scheduled-for-error":  "in the past",
		"#compose-error":        "odd",
		"#rule-warnings li":     "TikTok publishes a video on its own",
		"#platform-counters li": "TikTok",
		"#variant-a2":           "kept for later",
	}
	for sel, want := range checks {
		if got := doc.Find(sel).Text(); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", sel, got, want)
		}
	}
	if v, _ := doc.Find("#scheduled_for").Attr("value"); v != "2026-11-23T09:30" {
		t.Errorf("scheduled_for value = %q", v)
	}
	if _, ok := doc.Find(`input[value="a1"]`).Attr("checked"); !ok {
		t.Error("the ticked account is not ticked again")
	}
	if _, ok := doc.Find(`input[value="a2"]`).Attr("checked"); ok {
		t.Error("an account that was not ticked is ticked")
	}
}

func TestTemplates_PostPageShowsTargetsAndFollowsItsStream(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	scheduled := samplePost(t, domain.PostScheduled, at)
	names := accountNames{"a1": {ID: "a1", DisplayName: "Acme on LinkedIn"}}

	doc := render(t, pagePost, postPage{Post: scheduled, Names: names, Live: postFingerprint(scheduled)}, berlin, domain.RoleEditor)
	live := doc.Find("#post-page")
	if live.AttrOr("data-live-events", "") != "/posts/p1/events?since="+postFingerprint(scheduled) || live.AttrOr("data-live-refresh", "") != "/posts/p1/status" ||
		live.AttrOr("data-live-target", "") != "#post-targets" || doc.Find("[hx-trigger]").Length() != 0 {
		t.Errorf("scheduled post does not follow its stream, or polls: %v", live.Nodes[0].Attr)
	}
	if n := doc.Find("#post-state form, #post-state input, #post-targets form, #post-targets input").Length(); n != 0 {
		t.Errorf("the live regions hold %d form elements", n)
	}
	if got := doc.Find("#post-time").Text(); got != "Mon 23 Nov 2026, 15:05" {
		t.Errorf("time in Berlin = %q", got)
	}
	if !strings.Contains(doc.Find("#post-state").Text(), "Europe/Berlin") {
		t.Error("the zone is not named next to the time")
	}
	if doc.Find("#post-content").Text() != "Hello <b>world</b> #launch" || doc.Find("#post-content b").Length() != 0 {
		t.Errorf("content not shown as text: %q", doc.Find("#post-content").Text())
	}
	if !strings.Contains(doc.Find("#post-targets").Text(), "Disconnected account") || !strings.Contains(doc.Find("#post-targets").Text(), "Acme on LinkedIn") {
		t.Errorf("targets: %q", doc.Find("#post-targets").Text())
	}
	for _, id := range []string{"#unschedule", "#edit-post", "#delete-post", "#schedule-form"} {
		if doc.Find(id).Length() != 1 {
			t.Errorf("editor on a scheduled post misses %s", id)
		}
	}

	published := samplePost(t, domain.PostPublished, at)
	doc = render(t, partStatus, postPage{Post: published, Names: names, OOB: true}, berlin, domain.RoleEditor)
	if doc.Find(`#post-state[hx-swap-oob="true"]`).Length() != 1 || doc.Find("form, input").Length() != 0 {
		t.Error("the status answer lacks the out-of-band state line, or holds a form")
	}
	doc = render(t, pagePost, postPage{Post: published, Names: names}, berlin, domain.RoleEditor)
	if doc.Find("#edit-post").Length() != 0 || doc.Find("#delete-post").Length() != 1 {
		t.Error("a published post offers edit, or no delete")
	}

	failed := samplePost(t, domain.PostFailed, at)
	doc = render(t, pagePost, postPage{Post: failed, Names: names, Ahead: true}, berlin, domain.RoleEditor)
	if doc.Find(`form[action="/posts/p1/retry"] #retry`).Length() != 1 || doc.Find("#edit-post").Length() != 1 || doc.Find("#unschedule").Length() != 0 {
		t.Errorf("failed post actions for an editor: %q", doc.Find("#post-actions").Text())
	}
	if state := text(doc.Find("#post-state")); !strings.Contains(state, "was scheduled for Mon 23 Nov 2026, 15:05") || strings.Contains(state, "was due") {
		t.Errorf("a failed post whose time is ahead: %q", state)
	}
	doc = render(t, pagePost, postPage{Post: failed, Names: names}, berlin, domain.RoleEditor)
	if doc.Find("#retry").Length() != 0 || doc.Find(`#schedule-form button[value="publish"]`).Length() != 1 ||
		!strings.Contains(text(doc.Find("#retry-choice")), "It was due Mon 23 Nov 2026, 15:05, which has passed: publish it now or choose a new time.") {
		t.Errorf("a failed post whose time passed does not offer the choice: %q", text(doc.Find("#post-summary")))
	}
	if state := text(doc.Find("#post-state")); !strings.Contains(state, "was due") {
		t.Errorf("a failed post whose time passed: %q", state)
	}
	doc = render(t, pagePost, postPage{Post: failed, Names: names}, berlin, domain.RoleViewer)
	if n := doc.Find("#post-actions, #schedule-form, #retry, #edit-post, #delete-post").Length(); n != 0 {
		t.Errorf("a viewer sees %d write controls", n)
	}
}

func TestTemplates_OtherPagesRender(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	post := samplePost(t, domain.PostFailed, at)
	names := accountNames{"a2": {ID: "a2", Platform: domain.Instagram, DisplayName: "acme.gram"}}
	doc := render(t, pagePosts, postsPage{Posts: []domain.Post{post}, Names: names, Statuses: domain.PostStatuses, Platforms: domain.Platforms, Older: "/posts?cursor=x"}, time.UTC, domain.RoleEditor)
	if doc.Find("#posts li").Length() != 1 || doc.Find("#older-posts").Length() != 1 || !strings.Contains(doc.Find("#posts").Text(), "acme.gram · pending") {
		t.Errorf("posts list: %q", doc.Find("main").Text())
	}
	doc = render(t, pagePosts, postsPage{Statuses: domain.PostStatuses, Platforms: domain.Platforms}, time.UTC, domain.RoleOwner)
	if doc.Find("#no-posts #connect-first").Length() != 1 {
		t.Error("empty list without accounts does not invite to connect one")
	}
	doc = render(t, pageAccounts, accountsPage{Accounts: []domain.Account{{ID: "a1", Platform: domain.Sandbox, DisplayName: "Sandy", Status: domain.AccountReauthRequired,
		StatusReason: "Token revoked.", TokenExpiresAt: at}}, Platforms: []domain.Platform{domain.Sandbox}, ReturnTo: "/accounts",
		Notice: notice{Text: connectErrors["denied"], Error: true}}, time.UTC, domain.RoleAdmin)
	if !strings.Contains(doc.Find("#accounts").Text(), "Token revoked.") || doc.Find(`form[action="/accounts/connect/sandbox"] input[name="return_to"]`).AttrOr("value", "") != "/accounts" ||
		doc.Find(`form[action="/accounts/a1/disconnect"][hx-confirm]`).Length() != 1 || !strings.Contains(doc.Find("#connect-notice").Text(), "did not allow") {
		t.Errorf("accounts page: %q", doc.Find("main").Text())
	}
	if doc.Find(`tr[data-account="a1"] form.reconnect[action="/accounts/connect/sandbox"] button`).Length() != 1 {
		t.Error("an account that needs reconnecting has no Reconnect button in its row")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := calendarDay{Date: time.Date(2026, 11, 23, 0, 0, 0, 0, berlin), Posts: []calendarEntry{{Post: post, At: at.In(berlin)}}}
	doc = render(t, pageCalendar, calendarPage{View: "month", Title: "November 2026", Weeks: [][]calendarDay{{day, day, day, day, day, day, day}}}, berlin, domain.RoleViewer)
	if got := doc.Find(`.cal-day[data-date="2026-11-23"] time`).First().Text(); got != "15:05" {
		t.Errorf("calendar time in Berlin = %q", got)
	}
	doc = render(t, pageProfile, profilePage{Zones: newZonePicker("Asia/Tokyo"), Form: newForm(map[string]string{"time_zone": "Asia/Tokyo"})}, time.UTC, domain.RoleViewer)
	if doc.Find(`#time-zone option[selected]`).AttrOr("value", "") != "Asia/Tokyo" {
		t.Error("profile does not select the zone")
	}
}

func TestTemplates_UnknownTargetOffersResolution(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	p := samplePost(t, domain.PostFailed, at)
	p.Targets[0] = domain.RestoreTarget(p.Targets[0], domain.TargetUnknown, "", "", "An attempt was interrupted.", 1, false, time.Time{})
	names := accountNames{"a1": {ID: "a1", DisplayName: "Acme on LinkedIn"}}
	doc := render(t, pagePost, postPage{Post: p, Names: names}, time.UTC, domain.RoleEditor)
	form := doc.Find(`form[action="/posts/p1/targets/a1/resolve"]`)
	if form.Length() != 1 || form.Find(`button[value="yes"]`).Length() != 1 || form.Find(`button[value="no"]`).Length() != 1 ||
		form.Find(`input[name="_csrf"]`).Length() != 1 || form.Find(`input[name="version"][value="3"]`).Length() != 1 {
		t.Errorf("resolve form for an unknown target: %q", form.Text())
	}
	if doc.Find(`form[action="/posts/p1/targets/a2/resolve"]`).Length() != 0 {
		t.Error("a pending target offers resolution")
	}
	doc = render(t, pagePost, postPage{Post: p, Names: names}, time.UTC, domain.RoleViewer)
	if doc.Find(`form.resolve`).Length() != 0 {
		t.Error("a viewer may resolve a target")
	}
}

func TestTemplates_SettingsEditableWithUsageAndErrors(t *testing.T) {
	t.Parallel()
	f := newForm(map[string]string{"voice": "warm </textarea><script>x</script>", "avoid_words": "synergy\nleverage", "default_hashtags": "#acme"})
	f = f.withError(&domain.Error{Code: domain.CodeInvalid, Message: "Please correct the highlighted fields.",
		Fields: map[string]string{"voice": "is 1,200 characters long; at most 1,000", "avoid_words": "lists 51 words; at most 50", "default_hashtags": "lists 51 hashtags; at most 50"}})
	usage := app.Usage{Month: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), PromptTokens: 12_000, CompletionTokens: 3_500, Allowance: 20_000}
	doc := render(t, pageSettings, settingsPage{Voice: f, CanEdit: true, Usage: &usage, Configured: false}, time.UTC, domain.RoleOwner)

	form := doc.Find(`form#voice-form[method="post"][action="/settings/voice"]`)
	if form.Length() != 1 || form.Find(`input[name="_csrf"][value="tok"]`).Length() != 1 {
		t.Fatalf("no voice form with its CSRF field: %q", doc.Find("main").Text())
	}
	if got := doc.Find("textarea#voice").Text(); got != f.Values["voice"] || doc.Find("main script").Length() != 0 {
		t.Errorf("voice not kept verbatim as text: %q", got)
	}
	if doc.Find("textarea#avoid_words").Text() != "synergy\nleverage" || doc.Find("textarea#default_hashtags").Text() != "#acme" {
		t.Error("lists not kept")
	}
	for sel, want := range map[string]string{"#voice-field-error": "at most 1,000", "#avoid-words-error": "51 words", "#default-hashtags-error": "51 hashtags"} {
		if got := doc.Find(sel).Text(); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if doc.Find(`textarea#voice[aria-invalid="true"][aria-describedby="voice-field-error"]`).Length() != 1 {
		t.Error("the voice field is not marked invalid")
	}
	bar := doc.Find("progress#ai-usage-bar")
	if bar.AttrOr("value", "") != "15500" || bar.AttrOr("max", "") != "20000" || bar.AttrOr("style", "") != "" {
		t.Errorf("usage bar value %q max %q", bar.AttrOr("value", ""), bar.AttrOr("max", ""))
	}
	if got := doc.Find("#ai-usage-text").Text(); got != "15,500 of 20,000 tokens used in November 2026" {
		t.Errorf("usage text = %q", got)
	}
	nc := doc.Find("#ai-not-configured").Text()
	for _, want := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "HERALD_AI_MODEL"} {
		if !strings.Contains(nc, want) {
			t.Errorf("not-configured line %q lacks %s", nc, want)
		}
	}
	if doc.Find(`nav a[href="/settings"]`).Length() != 1 {
		t.Error("no Settings link in the nav")
	}
	if doc.Find("[style]").Length() != 0 {
		t.Error("an inline style on the settings page")
	}

	doc = render(t, pageSettings, settingsPage{Voice: newForm(nil), CanEdit: true, Usage: &usage, Configured: true}, time.UTC, domain.RoleAdmin)
	if doc.Find("#ai-not-configured").Length() != 0 {
		t.Error("the not-configured line shows although a provider is configured")
	}
}

func TestTemplates_SettingsReadOnly(t *testing.T) {
	t.Parallel()
	f := newForm(map[string]string{"voice": "<b>bold</b> and warm", "avoid_words": "synergy", "default_hashtags": ""})
	doc := render(t, pageSettings, settingsPage{Voice: f, CanEdit: false, Configured: true}, time.UTC, domain.RoleViewer)
	if n := doc.Find("#voice-form, main textarea, #save-voice").Length(); n != 0 {
		t.Errorf("a viewer sees %d voice controls", n)
	}
	if doc.Find("#voice-description").Text() != "<b>bold</b> and warm" || doc.Find("#voice-description b").Length() != 0 {
		t.Errorf("voice shown as %q", doc.Find("#voice-description").Text())
	}
	if !strings.Contains(doc.Find("#voice-hashtags").Text(), "None") || doc.Find("#voice-avoid").Text() != "synergy" {
		t.Error("read-only lists")
	}
	if doc.Find("progress").Length() != 0 || doc.Find("#ai-usage-hidden").Length() != 1 {
		t.Error("usage shown to a role that may not see it")
	}
}

// A caption with quotes, markup and newlines must reach app.js unchanged through data-text.
func TestTemplates_SuggestionCardsCarryTheTextAsData(t *testing.T) {
	t.Parallel()
	caption := "He said \"hi\" & 'bye'\n</button><script>alert(1)</script>\nline three"
	accounts := []domain.Account{{ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme \"Corp\""}, {ID: "a2", Platform: domain.LinkedIn, DisplayName: "Second"},
		{ID: "a3", Platform: domain.Instagram, DisplayName: "acme.gram"}, {ID: "a4", Platform: domain.LinkedIn, DisplayName: "Not ticked"}}
	selected := map[domain.AccountID]bool{"a1": true, "a2": true, "a3": true}
	s := newSuggestions([]ports.CaptionSuggestion{{Platform: domain.LinkedIn, Caption: caption, Hashtags: []string{"launch", "acme"}},
		{Platform: domain.Instagram, Caption: "Short"}}, accounts, selected)
	s.Tokens = 1234
	doc := render(t, partSuggestions, s, time.UTC, domain.RoleEditor)

	if n := doc.Find("script").Length(); n != 0 {
		t.Fatalf("the caption became %d script elements", n)
	}
	li := doc.Find(`.ai-card[data-platform="linkedin"]`)
	if li.Length() != 1 || doc.Find(".ai-card").Length() != 2 {
		t.Fatalf("cards: %q", doc.Text())
	}
	want := domain.CaptionText(caption, []string{"launch", "acme"})
	use := li.Find(`button[data-use-caption]:not([data-account])`)
	if got := use.AttrOr("data-text", ""); got != want || strings.TrimSpace(use.Text()) != "Use in post" || use.AttrOr("type", "") != "button" {
		t.Errorf("Use in post data-text = %q, want %q", got, want)
	}
	if li.Find(".ai-caption").Text() != caption || li.Find(".ai-hashtags").Text() != "#launch #acme" {
		t.Errorf("caption shown as %q, hashtags %q", li.Find(".ai-caption").Text(), li.Find(".ai-hashtags").Text())
	}
	for _, id := range []string{"a1", "a2"} {
		b := li.Find(`button[data-use-caption][data-account="` + id + `"]`)
		if b.Length() != 1 || b.AttrOr("data-text", "") != want {
			t.Errorf("no Use for button for %s with the text", id)
		}
	}
	if got := strings.TrimSpace(li.Find(`button[data-account="a1"]`).Text()); got != `Use for Acme "Corp"` {
		t.Errorf("button text = %q", got)
	}
	if li.Find(`button[data-account="a4"], button[data-account="a3"]`).Length() != 0 {
		t.Error("a button for an unticked account or another platform's account")
	}
	ig := doc.Find(`.ai-card[data-platform="instagram"]`)
	if ig.Find(`button[data-account="a3"]`).AttrOr("data-text", "") != "Short" || ig.Find(".ai-hashtags").Length() != 0 {
		t.Error("instagram card")
	}
	if !strings.Contains(doc.Text(), "1,234 tokens") {
		t.Error("tokens used not shown")
	}
	// The raw attribute has no unescaped quote or angle bracket.
	var buf strings.Builder
	h, _ := New(nil, Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := h.templates[partSuggestions].ExecuteTemplate(&buf, partSuggestions, view{Data: s}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script") || strings.Contains(buf.String(), `"hi"`) {
		t.Errorf("unescaped caption in the markup:\n%s", buf.String())
	}
}

func TestTemplates_SuggestionErrors(t *testing.T) {
	t.Parallel()
	doc := render(t, partSuggestions, suggestions{Status: 429, Message: "This company used its 20,000 AI tokens for November.", RetryAt: "Tue 1 Dec 2026, 00:00 (UTC)"}, time.UTC, domain.RoleEditor)
	if !strings.Contains(doc.Find("#ai-error").Text(), "20,000 AI tokens") || !strings.Contains(doc.Find("#ai-retry-at").Text(), "Tue 1 Dec 2026, 00:00 (UTC)") ||
		doc.Find("#ai-error").AttrOr("data-status", "") != "429" || doc.Find(".ai-card").Length() != 0 {
		t.Errorf("429: %q", doc.Text())
	}
	doc = render(t, partSuggestions, suggestions{Status: 503, Message: app.ErrNoProvider.Message}, time.UTC, domain.RoleEditor)
	if !strings.Contains(doc.Find("#ai-error").Text(), "OPENAI_API_KEY") || doc.Find("#ai-retry-at").Length() != 0 {
		t.Errorf("503: %q", doc.Text())
	}
}

func TestTemplates_AIPanel(t *testing.T) {
	t.Parallel()
	p := &aiPanel{Configured: true, Platforms: []domain.Platform{domain.LinkedIn, domain.Instagram}, Chosen: map[domain.Platform]bool{domain.Instagram: true},
		Brief: "Spring </textarea> sale", Tone: "cheeky", Language: "German", Message: "Please correct the highlighted fields.",
		Errors: map[string]string{"brief": "is 2,001 characters long; at most 2000", "tone": "must be a few words", "language": "must be a few words", "platforms": "choose at least one platform"}}
	doc := render(t, partAIPanel, p, time.UTC, domain.RoleEditor)
	form := doc.Find("aside#ai-panel form#ai-form")
	for attr, want := range map[string]string{"hx-post": "/posts/suggest", "hx-target": "#ai-suggestions", "hx-indicator": "#ai-spinner", "hx-disabled-elt": "#ai-suggest",
		"hx-include": "#compose input[name='account_ids']", "action": "/posts/suggest"} {
		if got := form.AttrOr(attr, ""); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if doc.Find("#ai-spinner.htmx-indicator").Length() != 1 || doc.Find("#ai-suggest").Length() != 1 || doc.Find("#ai-suggestions").Length() != 1 {
		t.Error("spinner, button or suggestions area missing")
	}
	if doc.Find("#ai-brief").Text() != p.Brief || doc.Find("#ai-tone").AttrOr("value", "") != "cheeky" || doc.Find("#ai-language").AttrOr("value", "") != "German" {
		t.Error("input not kept")
	}
	if doc.Find(`#ai-tones option[value="playful"]`).Length() != 1 {
		t.Error("no tone choices")
	}
	for sel, want := range map[string]string{"#ai-brief-error": "at most 2000", "#ai-tone-error": "few words", "#ai-language-error": "few words", "#ai-platforms-error": "at least one"} {
		if !strings.Contains(doc.Find(sel).Text(), want) {
			t.Errorf("%s = %q", sel, doc.Find(sel).Text())
		}
	}
	if _, ok := doc.Find(`input[name="platforms"][value="instagram"]`).Attr("checked"); !ok {
		t.Error("the chosen platform is not ticked")
	}
	if _, ok := doc.Find(`input[name="platforms"][value="linkedin"]`).Attr("checked"); ok {
		t.Error("a platform not chosen is ticked")
	}

	doc = render(t, partAIPanel, &aiPanel{Platforms: []domain.Platform{domain.LinkedIn}}, time.UTC, domain.RoleEditor)
	if doc.Find("#ai-suggest, #ai-form").Length() != 0 || !strings.Contains(doc.Find("#ai-not-configured").Text(), "HERALD_AI_MODEL") {
		t.Errorf("not configured: %q", doc.Text())
	}
}

func TestTemplates_ComposeShowsTheAIPanelOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{{ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme"}, {ID: "a2", Platform: domain.Instagram, DisplayName: "Gram"}}
	f := composeForm{Selected: map[domain.AccountID]bool{"a2": true}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{}}
	page := composePage{Form: f, Groups: []accountGroup{{Platform: domain.LinkedIn, Accounts: accounts[:1]}, {Platform: domain.Instagram, Accounts: accounts[1:]}}, Rules: platformRulesBlob}
	if doc := render(t, pageCompose, page, time.UTC, domain.RoleViewer); doc.Find("#ai-panel").Length() != 0 {
		t.Error("a panel without AI data")
	}
	h := &Handler{Services: &app.Services{}}
	h.AI = app.NewAI(nil, nil, nil, time.Now, nil)
	page.AI = h.newAIPanel(accounts, f.Selected)
	doc := render(t, pageCompose, page, time.UTC, domain.RoleEditor)
	if doc.Find(".compose-layout.with-ai > form#compose").Length() != 1 || doc.Find(".compose-layout.with-ai > .compose-side > aside#ai-panel").Length() != 1 {
		t.Fatal("the panel is not beside the compose form")
	}
	if !strings.Contains(doc.Find("#ai-panel #ai-not-configured").Text(), "OPENAI_API_KEY") {
		t.Error("without a provider the panel does not say so")
	}
	if got := page.AI.Platforms; len(got) != 2 || got[0] != domain.Instagram && got[0] != domain.LinkedIn {
		t.Errorf("platforms = %v", got)
	}
	if !page.AI.Chosen[domain.Instagram] || page.AI.Chosen[domain.LinkedIn] {
		t.Errorf("chosen = %v, want the ticked account's platform only", page.AI.Chosen)
	}
	if all := h.newAIPanel(accounts, nil); !all.Chosen[domain.Instagram] || !all.Chosen[domain.LinkedIn] {
		t.Errorf("with no account ticked every platform should be chosen: %v", all.Chosen)
	}
}

func TestSplitList(t *testing.T) {
	t.Parallel()
	got := splitList(" synergy, leverage\r\n\n#launch ,, \nbest in class ")
	want := []string{"synergy", "leverage", "#launch", "best in class"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitList = %q", got)
	}
}

// TestTemplates_ComposeSaysOneTrueThingAtTheRightMoment: ticking an account before writing
// shows no rule errors and no false success; once the form was sent empty, the text's error
// reads as a sentence and the rules say why; the success line never stands beside an error.
func TestTemplates_ComposeSaysOneTrueThingAtTheRightMoment(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{{ID: "a1", Platform: domain.Instagram, DisplayName: "Insta"}, {ID: "a2", Platform: domain.Sandbox, DisplayName: "Sandy"}}
	show := func(f composeForm) *goquery.Document {
		t.Helper()
		counts, warnings := checkCompose(f, accounts, nil)
		page := composePage{Form: f, Groups: []accountGroup{{Platform: domain.Instagram, Accounts: accounts[:1]}, {Platform: domain.Sandbox, Accounts: accounts[1:]}},
			Rules: platformRulesBlob, Counters: counts, Warnings: warnings}
		return render(t, pageCompose, page, time.UTC, domain.RoleEditor)
	}
	ticked := func(ids ...domain.AccountID) composeForm {
		f := composeForm{Selected: map[domain.AccountID]bool{}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{}, Order: ids}
		for _, id := range ids {
			f.Selected[id] = true
		}
		return f
	}

	doc := show(ticked("a1"))
	if n := doc.Find("#rule-warnings li").Length(); n != 0 {
		t.Errorf("ticking an account before writing shows %d rule errors: %q", n, text(doc.Find("#rule-warnings")))
	}
	if ok := doc.Find("#rules-ok"); ok.AttrOr("hidden", "no") != "no" || text(ok) != "Write the post to check it against each chosen platform's rules." {
		t.Errorf("before writing the rules line says %q (hidden %q)", text(ok), ok.AttrOr("hidden", "no"))
	}

	sent := ticked("a1")
	sent.Sent = true
	_, err := domain.NewPost("c1", "u1", domain.PostInput{AccountIDs: []domain.AccountID{"a1"}}, accounts, time.Now())
	doc = show(sent.withError(err))
	if got := text(doc.Find("#content-error")); got != "The text is empty: write something or attach media" {
		t.Errorf("the empty text's error reads %q", got)
	}
	if !strings.Contains(text(doc.Find("#rule-warnings")), "is empty") || doc.Find("#rules-ok").AttrOr("hidden", "no") == "no" {
		t.Errorf("after sending an empty post: rules %q, success line shown %t", text(doc.Find("#rule-warnings")), doc.Find("#rules-ok").AttrOr("hidden", "no") == "no")
	}

	media := ticked("a2")
	media.Sent, media.Content, media.Media = true, "Hello", "ftp://nope"
	media.Errors["media"] = "line 1 must be an https address"
	doc = show(media)
	if doc.Find("#media-error").Length() != 1 || doc.Find("#rule-warnings li").Length() != 0 || doc.Find("#rules-ok").AttrOr("hidden", "no") == "no" {
		t.Errorf("a media error with the success line shown: %q", text(doc.Find("#rule-report")))
	}
}

func TestTemplates_FirstCommentStateAndRetry(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	p := samplePost(t, domain.PostPartiallyPublished, at)
	p.FirstComment = "Details at example.com"
	p.Targets[0] = domain.RestoreComment(domain.RestoreTarget(p.Targets[0], domain.TargetPublished, "urn:li:share:1", "https://example.com/p/1", "", 1, false, at),
		domain.CommentState{Status: domain.CommentFailed, Reason: "Comments are turned off on this post.", Attempts: 2})
	p.Targets[1] = domain.RestoreComment(domain.RestoreTarget(p.Targets[1], domain.TargetFailed, "", "", "Refused.", 1, false, time.Time{}),
		domain.CommentState{Status: domain.CommentPending})
	names := accountNames{"a1": {ID: "a1", DisplayName: "Acme on LinkedIn"}, "a2": {ID: "a2", DisplayName: "Acme sandbox"}}
	doc := render(t, pagePost, postPage{Post: p, Names: names}, time.UTC, domain.RoleEditor)
	row := doc.Find(`tr[data-account="a1"] .target-comment`)
	if row.Find(".comment-text").Text() != "Details at example.com" || !strings.Contains(row.Find(".comment-reason").Text(), "turned off") ||
		row.AttrOr("data-comment-status", "") != "failed" {
		t.Errorf("failed comment: %q", row.Text())
	}
	form := row.Find(`form[action="/posts/p1/targets/a1/comment/retry"]`)
	if form.Length() != 1 || form.Find(`input[name="_csrf"]`).Length() != 1 || !strings.Contains(form.Find("button").Text(), "Retry comment") {
		t.Errorf("no Retry comment form: %q", row.Text())
	}
	other := doc.Find(`tr[data-account="a2"] .target-comment`)
	if other.Find("form").Length() != 0 || !strings.Contains(other.Text(), "Not sent") {
		t.Errorf("a comment under a failed post: %q", other.Text())
	}
	if doc.Find(`form.resolve-comment`).Length() != 0 {
		t.Error("a failed comment offers resolution")
	}
	doc = render(t, pagePost, postPage{Post: p, Names: names}, time.UTC, domain.RoleViewer)
	if doc.Find(`form.retry-comment`).Length() != 0 {
		t.Error("a viewer may retry a comment")
	}
	p.Targets[0] = domain.RestoreComment(p.Targets[0], domain.CommentState{Status: domain.CommentUnknown, Reason: "Interrupted."})
	doc = render(t, pagePost, postPage{Post: p, Names: names}, time.UTC, domain.RoleEditor)
	resolve := doc.Find(`form.resolve-comment[action="/posts/p1/targets/a1/comment/resolve"]`)
	if resolve.Length() != 1 || resolve.Find(`button[value="yes"]`).Length() != 1 || resolve.Find(`button[value="no"]`).Length() != 1 {
		t.Errorf("unknown comment: %q", doc.Find("#post-summary").Text())
	}
}
