package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

// partsString writes parts compactly for comparison: text as is, a line break as "⏎",
// styled pieces as [kind:text].
func partsString(ps []previewPart) string {
	var b strings.Builder
	for _, p := range ps {
		switch p.Kind {
		case "text":
			b.WriteString(p.Text)
		case "br":
			b.WriteString("⏎")
		default:
			b.WriteString("[" + p.Kind + ":" + p.Text + "]")
		}
	}
	return b.String()
}

func TestGraphemes_KeepCharactersWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"ascii", "abc", []string{"a", "b", "c"}},
		{"combining accent", "e\u0301te\u0301", []string{"e\u0301", "t", "e\u0301"}},
		{"stacked marks", "a\u0308\u0301b", []string{"a\u0308\u0301", "b"}},
		{"skin tone", "👍🏽!", []string{"👍🏽", "!"}},
		{"zwj family", "👨\u200d👩\u200d👧x", []string{"👨\u200d👩\u200d👧", "x"}},
		{"variation selector", "❤\ufe0f.", []string{"❤\ufe0f", "."}},
		{"flags pair up", "🇩🇪🇫🇷", []string{"🇩🇪", "🇫🇷"}},
		{"crlf", "a\r\nb", []string{"a", "\r\n", "b"}},
		{"devanagari", "नमस्ते", []string{"न", "म", "स्", "ते"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := graphemes(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("graphemes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCutText_CutsWhereTheFeedDoes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 60) // 300 characters
	tests := []struct {
		name     string
		in       string
		chars    int
		lines    int
		want     string
		wantsCut bool
	}{
		{"short stays whole", "Hello", 10, 3, "Hello", false},
		{"exactly the limit", "abcde", 5, 0, "abcde", false},
		{"no limit", long, 0, 0, long, false},
		{"at a word boundary", "one two three four", 10, 0, "one two", true},
		{"a long word is cut inside", strings.Repeat("x", 40), 10, 0, strings.Repeat("x", 10), true},
		{"by lines", "a\nb\nc\nd", 100, 3, "a\nb\nc", true},
		{"blank lines count", "a\n\n\nd", 100, 2, "a", true},
		{"emoji count once", strings.Repeat("🚀", 12), 10, 0, strings.Repeat("🚀", 10), true},
		{"combining marks stay on their letter", strings.Repeat("e\u0301", 12), 10, 0, strings.Repeat("e\u0301", 10), true},
		{"zwj sequences stay whole", strings.Repeat("👩\u200d💻", 6), 4, 0, strings.Repeat("👩\u200d💻", 4), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, cut := cutText(tt.in, tt.chars, tt.lines)
			if got != tt.want || cut != tt.wantsCut {
				t.Errorf("cutText(%q, %d, %d) = %q, %v; want %q, %v", tt.in, tt.chars, tt.lines, got, cut, tt.want, tt.wantsCut)
			}
		})
	}
}

func TestRenderText_PerPlatform(t *testing.T) {
	t.Parallel()
	text := "Launch at https://www.example.com/blog/2026/our-new-product-page?utm=x. Thanks @ann.lee #Launch\nmail me@example.com"
	tests := []struct {
		platform domain.Platform
		want     string
	}{
		// LinkedIn and Facebook linkify and shorten addresses; the sentence's full stop stays text.
		{domain.LinkedIn, "Launch at [link:example.com/blog/2026/our-new-…]. Thanks [mention:@ann.lee] [tag:#Launch]⏎mail me@example.com"},
		{domain.Facebook, "Launch at [link:example.com/blog/2026/our-new-product-pa…]. Thanks [mention:@ann.lee] [tag:#Launch]⏎mail me@example.com"},
		// Instagram and TikTok captions do not make addresses links.
		{domain.Instagram, "Launch at https://www.example.com/blog/2026/our-new-product-page?utm=x. Thanks [mention:@ann.lee] [tag:#Launch]⏎mail me@example.com"},
		{domain.TikTok, "Launch at https://www.example.com/blog/2026/our-new-product-page?utm=x. Thanks [mention:@ann.lee] [tag:#Launch]⏎mail me@example.com"},
		{domain.Sandbox, "Launch at [link:example.com/blog/2026/our-new-product-page?utm=x]. Thanks [mention:@ann.lee] [tag:#Launch]⏎mail me@example.com"},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			t.Parallel()
			got := renderText(tt.platform, text)
			all := got.Shown
			if got.Cut() {
				all = got.Full
			}
			if s := partsString(all); s != tt.want {
				t.Errorf("renderText(%s):\n got %s\nwant %s", tt.platform, s, tt.want)
			}
			for _, p := range all {
				if p.Kind == "link" && p.Title != "https://www.example.com/blog/2026/our-new-product-page?utm=x" {
					t.Errorf("link title = %q, want the full address", p.Title)
				}
			}
		})
	}
}

func TestRenderText_SeeMoreCutPerPlatform(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("abcd ", 200) // 1,000 characters on one line
	tests := []struct {
		platform  domain.Platform
		text      string
		wantChars int // characters shown, at most
		wantMore  string
	}{
		{domain.LinkedIn, words, 210, "…see more"},
		{domain.Instagram, words, 125, "… more"},
		{domain.Facebook, words, 480, "… See more"},
		{domain.TikTok, words, 100, "… more"},
		{domain.Sandbox, words, 1000, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			t.Parallel()
			got := renderText(tt.platform, tt.text)
			shown := partsString(got.Shown)
			n := len(graphemes(shown))
			if n > tt.wantChars || n < tt.wantChars-10 {
				t.Errorf("%s shows %d characters, want about %d", tt.platform, n, tt.wantChars)
			}
			if got.More != tt.wantMore || got.Cut() != (tt.wantMore != "") {
				t.Errorf("%s: more %q cut %v, want %q", tt.platform, got.More, got.Cut(), tt.wantMore)
			}
			if got.Cut() && partsString(got.Full) != strings.TrimSpace(tt.text)+" " && partsString(got.Full) != tt.text {
				t.Errorf("%s: the whole text is not kept", tt.platform)
			}
		})
	}
	// Lines: TikTok shows 2, LinkedIn and Instagram 3, Facebook 5.
	lines := "1\n2\n3\n4\n5\n6"
	for p, want := range map[domain.Platform]string{domain.TikTok: "1⏎2", domain.LinkedIn: "1⏎2⏎3", domain.Instagram: "1⏎2⏎3", domain.Facebook: "1⏎2⏎3⏎4⏎5", domain.Sandbox: "1⏎2⏎3⏎4⏎5⏎6"} {
		if got := partsString(renderText(p, lines).Shown); got != want {
			t.Errorf("%s shows %q of six lines, want %q", p, got, want)
		}
	}
}

func TestTextParts_EdgeCases(t *testing.T) {
	t.Parallel()
	s := feedStyles[domain.LinkedIn]
	tests := []struct{ in, want string }{
		{"#", "#"},
		{"a#b c", "a#b c"}, // a '#' inside a word is no hashtag
		{"#café #日本 #one_two", "[tag:#café] [tag:#日本] [tag:#one_two]"},
		{"(#tag)", "([tag:#tag])"},
		{"@ alone", "@ alone"},
		{"https:// nothing", "https:// nothing"},
		{"see (https://ex.com/a)", "see ([link:ex.com/a])"},
		{"HTTPS://EX.COM", "[link:EX.COM]"},
		{"<b>bold</b> & \"q\"", "<b>bold</b> & \"q\""}, // kept as text: the template escapes it
		{"x\u0301#tag", "x\u0301#tag"},                 // a combining mark is part of the word before
		{"javascript:alert(1)", "javascript:alert(1)"},
	}
	for _, tt := range tests {
		if got := partsString(textParts(tt.in, s)); got != tt.want {
			t.Errorf("textParts(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFrameFor_PlatformCrops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform domain.Platform
		w, h     int
		want     string
	}{
		{domain.Instagram, 1080, 1920, "r-4x5"},     // too tall: cropped to 4:5
		{domain.Instagram, 4000, 1000, "r-191x100"}, // too wide: cropped to 1.91:1
		{domain.Instagram, 1080, 1080, "r-1x1"},
		{domain.Instagram, 1600, 900, "r-16x9"},
		{domain.TikTok, 1920, 1080, "r-9x16"}, // always 9:16
		{domain.TikTok, 0, 0, "r-9x16"},
		{domain.LinkedIn, 3000, 1000, "r-3x1"},
		{domain.LinkedIn, 1000, 3000, "r-4x5"},
		{domain.LinkedIn, 1200, 800, "r-3x2"},
		{domain.Facebook, 3000, 1000, "r-191x100"},
		{domain.Facebook, 1200, 900, "r-4x3"},
		{domain.Sandbox, 1080, 1920, "r-9x16"},
		{domain.Instagram, 0, 0, "r-1x1"}, // unknown size: square
	}
	for _, tt := range tests {
		ratio := 0.0
		if tt.h > 0 {
			ratio = float64(tt.w) / float64(tt.h)
		}
		if got := frameFor(tt.platform, ratio); got != tt.want {
			t.Errorf("frameFor(%s, %dx%d) = %s, want %s", tt.platform, tt.w, tt.h, got, tt.want)
		}
	}
}

func TestBuildPreview_CardsFollowTheForm(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{
		{ID: "li", Platform: domain.LinkedIn, DisplayName: "Acme Corp"},
		{ID: "ig", Platform: domain.Instagram, DisplayName: "acme.gram"},
		{ID: "tt", Platform: domain.TikTok, DisplayName: "acme"},
	}
	files := map[domain.MediaID]mediaTile{
		"m1": {Media: domain.Media{ID: "m1", Name: "tall.jpg", MIMEType: "image/jpeg", Width: 1080, Height: 1920}, Thumb: "/t/m1"},
		"m2": {Media: domain.Media{ID: "m2", Name: "clip.mp4", MIMEType: "video/mp4", Width: 1920, Height: 1080}, Thumb: "/t/m2"},
	}
	f := composeForm{Content: "Post text", Media: "https://cdn.example.org/a.jpg\n", Order: []domain.AccountID{"ig", "li", "tt", "other-company"},
		Selected: map[domain.AccountID]bool{"ig": true, "li": true, "tt": true, "other-company": true},
		Variants: map[domain.AccountID]string{"li": "  LinkedIn's own  "}, MediaIDs: []domain.MediaID{"m1", "m2", "foreign"},
		OwnMedia: map[domain.AccountID]bool{"tt": true}, VariantMedia: map[domain.AccountID][]domain.MediaID{"tt": {"m2"}},
		FirstComment: " More at https://ex.com #more ", Comments: map[domain.AccountID]string{"li": "LinkedIn's comment"}}
	pv := buildPreview(f, accounts, files, "Now")
	var ids []domain.AccountID
	for _, c := range pv.Cards {
		ids = append(ids, c.Account.ID)
	}
	if want := []domain.AccountID{"ig", "li", "tt"}; !slices.Equal(ids, want) {
		t.Fatalf("cards %v, want %v", ids, want)
	}
	ig, li, tt := pv.Cards[0], pv.Cards[1], pv.Cards[2]
	if partsString(ig.Text.Shown) != "Post text" || partsString(li.Text.Shown) != "LinkedIn's own" {
		t.Errorf("texts: ig %q, li %q", partsString(ig.Text.Shown), partsString(li.Text.Shown))
	}
	if len(ig.Media) != 3 || !ig.Carousel() || ig.Frame != "r-4x5" || ig.Media[0].Thumb != "/t/m1" || !ig.Media[1].Video || ig.Media[2].Host != "cdn.example.org" || ig.Media[2].Thumb != "" {
		t.Errorf("instagram media = %+v, frame %s", ig.Media, ig.Frame)
	}
	if len(tt.Media) != 2 || !tt.Media[0].Video || tt.Frame != "r-9x16" {
		t.Errorf("tiktok takes its own media: %+v, frame %s", tt.Media, tt.Frame)
	}
	// The first comment: the account's own, else the post's; TikTok takes none.
	if got := partsString(ig.Comment); got != "More at https://ex.com [tag:#more]" {
		t.Errorf("instagram comment = %q", got)
	}
	if got := partsString(li.Comment); got != "LinkedIn's comment" || tt.Comment != nil {
		t.Errorf("linkedin comment = %q, tiktok comment = %v", got, tt.Comment)
	}
	// LinkedIn publishes a video on its own: the rules say so under the preview.
	if !strings.Contains(strings.Join(li.Problems, "|"), "has a video with other media") {
		t.Errorf("linkedin problems = %q", li.Problems)
	}
	if ig.Initials != "AG" || li.Initials != "AC" || ig.When != "Now" {
		t.Errorf("initials %q %q, when %q", ig.Initials, li.Initials, ig.When)
	}
	// Nothing written yet: no problems, only the cards.
	blank := buildPreview(composeForm{Order: []domain.AccountID{"ig"}}, accounts, nil, "Now")
	if !blank.Blank || len(blank.Cards) != 1 || blank.Cards[0].Problems != nil {
		t.Errorf("blank preview = %+v", blank)
	}
}

func TestPreviewWhen(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for when, want := range map[string]string{"": "Now", "garbage": "Now", "2026-11-23T09:30": "Mon 23 Nov 2026, 09:30"} {
		if got := previewWhen(composeForm{When: when}, berlin); got != want {
			t.Errorf("previewWhen(%q) = %q, want %q", when, got, want)
		}
	}
}

func TestPreviewTemplate_EscapesAndMarksTabs(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{
		{ID: "li", Platform: domain.LinkedIn, DisplayName: `<img src=x onerror=alert(1)>`},
		{ID: "ig", Platform: domain.Instagram, DisplayName: "gram"},
	}
	f := composeForm{Content: "<script>alert(1)</script> #tag\n\"quoted\" & https://ex.com/<b>", Media: "javascript:alert(1)\nhttps://evil.example/<x>.mp4",
		Order: []domain.AccountID{"li", "ig"}, Selected: map[domain.AccountID]bool{"li": true, "ig": true}}
	pv := buildPreview(f, accounts, nil, "Now")
	doc := renderView(t, partPreview, signedIn(pv, time.UTC, domain.RoleEditor))
	html, err := doc.Html()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Find("script").Length() != 0 || doc.Find("img[onerror]").Length() != 0 || doc.Find("b").Length() != 0 || strings.Contains(html, "<script>alert") {
		t.Errorf("typed HTML became markup:\n%s", html)
	}
	if got := text(doc.Find("#pv-panel-li .pv-text").First()); !strings.Contains(got, "<script>alert(1)</script> #tag") {
		t.Errorf("the typed text is not shown as text: %q", got)
	}
	tabs := doc.Find(`[role="tablist"] [role="tab"]`)
	if tabs.Length() != 2 || tabs.First().AttrOr("aria-selected", "") != "true" || tabs.Last().AttrOr("aria-selected", "") != "false" ||
		tabs.Last().AttrOr("tabindex", "") != "-1" || tabs.First().AttrOr("aria-controls", "") != "pv-panel-li" {
		t.Errorf("tabs are not marked up as ARIA tabs: %s", html)
	}
	if _, hidden := doc.Find("#pv-panel-ig").Attr("hidden"); !hidden || doc.Find("#pv-panel-ig").AttrOr("role", "") != "tabpanel" {
		t.Error("the second account's panel is not a hidden tabpanel")
	}
	if got := doc.Find("#pv-panel-li .pv-host").First().Text(); got != "an address" {
		t.Errorf("an address that is no http address shows host %q", got)
	}
	if got := doc.Find("#pv-panel-li .pv-count").Text(); got != "1/2" {
		t.Errorf("carousel count = %q", got)
	}
	if doc.Find("#pv-panel-li .pv-link").Length() != 1 || doc.Find("#pv-panel-ig .pv-link").Length() != 0 {
		t.Error("LinkedIn should linkify the address and Instagram should not")
	}
}
