package ui

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// postPreview is the preview panel beside the composer: one card per ticked account, in
// the order the accounts were ticked, rendered from the form as typed (nothing is saved).
type postPreview struct {
	Cards []previewCard
	Blank bool // nothing written and no media chosen yet
	// Prefix starts the ids of the cards' tabs and panels, so that several previews share a
	// page (a review of a period); "" beside the composer.
	Prefix string
}

// previewCard is how one account's post will look on its platform.
type previewCard struct {
	Account  domain.Account
	Initials string // the avatar until accounts have pictures
	When     string // "Now" or the time the post is scheduled for, in the viewer's zone
	Text     previewText
	Media    []previewMedia
	Frame    string   // the aspect-ratio class of the media frame, such as "r-4x5"
	Problems []string // the platform's rules the post breaks on this account
	// Comment is the first comment published under the post (the account's own, or the
	// post's), styled as the platform shows text; nil when there is none or the platform
	// takes none (TikTok).
	Comment []previewPart
}

// Carousel reports whether the platform shows the media as a swipeable set (1/N dots).
func (c previewCard) Carousel() bool { return len(c.Media) > 1 }

// First is the media item the feed shows first.
func (c previewCard) First() previewMedia { return c.Media[0] }

// Hidden is the number of media items behind the first, for the carousel's label.
func (c previewCard) Hidden() int { return len(c.Media) - 1 }

// previewMedia is one media item of a card: a library file shown by its thumbnail, or an
// address typed by hand, shown as a placeholder with its host (the preview never fetches it).
type previewMedia struct {
	Name  string
	Thumb string // signed thumbnail address; "" for addresses and files without one
	Host  string // the host of a typed address; "" for library files
	Video bool
}

// previewPart is one piece of a previewed text: plain text, a line break, or a hashtag,
// mention or link styled as the platform styles it. Templates escape Text.
type previewPart struct {
	Kind  string // "text", "br", "tag", "mention", "link"
	Text  string // what is shown
	Title string // a link's full address, shown on hover
}

// previewText is a text cut as a platform's feed cuts it.
type previewText struct {
	Shown []previewPart // what the feed shows before "see more"
	Full  []previewPart // the whole text; nil when nothing is cut
	More  string        // the platform's words for the cut, such as "…see more"
}

// Cut reports whether the feed hides part of the text.
func (t previewText) Cut() bool { return t.Full != nil }

// feedStyle is how a platform's feed shows a post's text.
type feedStyle struct {
	// MaxChars and MaxLines are where the feed cuts the text, whichever comes first; zero
	// means no cut. Characters are what a reader sees as one (grapheme clusters).
	MaxChars, MaxLines int
	More               string
	Links              bool // addresses are clickable links (shortened for display)
	LinkChars          int  // an address longer than this is shown cut with "…"
	Tags               bool // hashtags and @mentions are styled as links
	// MinRatio and MaxRatio bound the media frame (width / height): the first item's own
	// ratio is kept within them, the picture center-cropped to fit. Equal values fix it.
	MinRatio, MaxRatio float64
}

// feedStyles are where each platform's feed cuts a post and how it shows links and media.
// The platforms publish none of the cut points; these are the figures of the sources
// below, measured on desktop feeds (phones cut earlier, by width):
//   - LinkedIn: organic posts show a 3-line preview before "…more" (John Espirian,
//     "See more breakpoints on LinkedIn posts", September 2024), about 210 characters
//     (https://web-3-apps.com/char-counter/articles/linkedin-post-length/). URLs are
//     linkified and long ones shortened. Images keep their ratio from 3:1 to 4:5, centred
//     and cropped beyond (LinkedIn's photo-sharing guidance as quoted by
//     https://trustypost.ai/blog/linkedin-post-image-size-2026-dimensions-for-crisp-uploads/).
//   - Instagram: "only the first three lines of a caption will be displayed … we recommend
//     a caption of 125 characters or fewer" (https://help.instagram.com/1643471055915254).
//     Links in captions are not clickable. Feed images are cropped between 4:5 and 1.91:1
//     (domain.PlatformMedia cites the Graph API's limits); a carousel takes the first
//     item's frame.
//   - Facebook: "See more" after about 477 to 480 characters on desktop
//     (https://bulkpublish.com/blog/facebook-character-limit/,
//     https://www.posthell.com/tools/facebook-character-counter), about 5 lines. URLs are
//     linkified. Feed pictures show between 4:5 and 1.91:1.
//   - TikTok: the description is cut at about 100 characters with "…more"
//     (https://posttruncate.com/en/ad-previews/tiktok-ads/), 1 to 2 lines over the video
//     (https://mojicnt.click/en/blog/tiktok-caption-character-limit.html). URLs are not
//     links. The video fills a 9:16 frame.
//   - Sandbox: Herald's own network shows the whole text, media at its own ratio.
var feedStyles = map[domain.Platform]feedStyle{
	domain.LinkedIn:  {MaxChars: 210, MaxLines: 3, More: "…see more", Links: true, LinkChars: 30, Tags: true, MinRatio: 4.0 / 5.0, MaxRatio: 3},
	domain.Instagram: {MaxChars: 125, MaxLines: 3, More: "… more", Tags: true, MinRatio: 4.0 / 5.0, MaxRatio: 1.91},
	domain.Facebook:  {MaxChars: 480, MaxLines: 5, More: "… See more", Links: true, LinkChars: 40, Tags: true, MinRatio: 4.0 / 5.0, MaxRatio: 1.91},
	domain.TikTok:    {MaxChars: 100, MaxLines: 2, More: "… more", Tags: true, MinRatio: 9.0 / 16.0, MaxRatio: 9.0 / 16.0},
	domain.Sandbox:   {Links: true, LinkChars: 60, Tags: true, MinRatio: 9.0 / 16.0, MaxRatio: 3},
}

// frames are the aspect ratios the stylesheet has a class for (preview.css: .r-WxH); a
// frame takes the nearest one (the CSP forbids inline styles, so no exact ratio).
var frames = []struct {
	class string
	ratio float64
}{
	{"r-9x16", 9.0 / 16.0}, {"r-2x3", 2.0 / 3.0}, {"r-3x4", 3.0 / 4.0}, {"r-4x5", 4.0 / 5.0}, {"r-1x1", 1},
	{"r-5x4", 5.0 / 4.0}, {"r-4x3", 4.0 / 3.0}, {"r-3x2", 3.0 / 2.0}, {"r-16x9", 16.0 / 9.0}, {"r-191x100", 1.91},
	{"r-2x1", 2}, {"r-3x1", 3},
}

// frameFor returns the class of the frame the platform shows media of ratio (width /
// height; 0 when unknown, then square) in.
func frameFor(p domain.Platform, ratio float64) string {
	s, ok := feedStyles[p]
	if !ok {
		s = feedStyles[domain.Sandbox]
	}
	if ratio <= 0 || math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		ratio = 1
	}
	ratio = min(max(ratio, s.MinRatio), s.MaxRatio)
	best, dist := frames[0].class, math.Inf(1)
	for _, f := range frames {
		// Ratios compare on a log scale: 1:2 is as far from 1:1 as 2:1 is.
		if d := math.Abs(math.Log(f.ratio / ratio)); d < dist {
			best, dist = f.class, d
		}
	}
	return best
}

// graphemes splits s into what a reader sees as characters: a base with its combining
// marks, variation selectors and skin tones, emoji joined by zero-width joiners, flag
// pairs and tag sequences stay one. It is the subset of Unicode's extended grapheme
// clusters (UAX #29) that social posts use, so a cut never splits a character.
func graphemes(s string) []string {
	var out []string
	runes := []rune(s)
	for i := 0; i < len(runes); {
		j := i + 1
		if runes[i] == '\r' && j < len(runes) && runes[j] == '\n' {
			out = append(out, "\r\n")
			i = j + 1
			continue
		}
		flags := 0
		if isRegional(runes[i]) {
			flags = 1
		}
		for j < len(runes) {
			r := runes[j]
			switch {
			case extends(r):
				j++
				continue
			case runes[j-1] == '\u200d' && !unicode.IsSpace(r):
				j++ // the emoji a zero-width joiner joins
				continue
			case flags == 1 && isRegional(r):
				flags = 2
				j++
				continue
			}
			break
		}
		out = append(out, string(runes[i:j]))
		i = j
	}
	return out
}

// extends reports whether r belongs to the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200d' || r == '\u200c' ||
		(r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x1f3fb && r <= 0x1f3ff) || (r >= 0xe0020 && r <= 0xe007f) || (r >= 0xe0100 && r <= 0xe01ef)
}

func isRegional(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// cutText returns the part of text the feed shows before its "see more" and whether it
// cut: at most maxChars characters and maxLines lines, ending at a word boundary when
// one is near, without trailing blank space.
func cutText(text string, maxChars, maxLines int) (string, bool) {
	if maxChars <= 0 && maxLines <= 0 {
		return text, false
	}
	gs := graphemes(text)
	lines, end := 1, len(gs)
	for i, g := range gs {
		if maxChars > 0 && i >= maxChars {
			end = i
			break
		}
		if g == "\n" {
			if maxLines > 0 && lines >= maxLines {
				end = i
				break
			}
			lines++
		}
	}
	if end == len(gs) {
		return text, false
	}
	cut := end
	if strings.TrimSpace(gs[end]) != "" {
		// Mid-word: back off to the last space within a few words, as the feeds do.
		for k := end - 1; k > 0 && end-k < 20; k-- {
			if strings.TrimSpace(gs[k]) == "" {
				cut = k
				break
			}
		}
	}
	return strings.TrimRightFunc(strings.Join(gs[:cut], ""), unicode.IsSpace), true
}

// renderText cuts text as the platform's feed does and splits both parts into styled
// pieces.
func renderText(p domain.Platform, text string) previewText {
	s, ok := feedStyles[p]
	if !ok {
		s = feedStyles[domain.Sandbox]
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	shown, cut := cutText(text, s.MaxChars, s.MaxLines)
	out := previewText{Shown: textParts(shown, s)}
	if cut {
		out.Full, out.More = textParts(text, s), s.More
	}
	return out
}

// textParts splits text into line breaks, hashtags, @mentions and addresses (styled as
// the platform shows them) and plain text between them.
func textParts(text string, s feedStyle) []previewPart {
	var parts []previewPart
	var plain strings.Builder
	flush := func() {
		if plain.Len() > 0 {
			parts = append(parts, previewPart{Kind: "text", Text: plain.String()})
			plain.Reset()
		}
	}
	runes := []rune(text)
	for i := 0; i < len(runes); {
		r := runes[i]
		prevWord := i > 0 && (isWordRune(runes[i-1]) || runes[i-1] == '.' || runes[i-1] == '/')
		switch {
		case r == '\n':
			flush()
			parts = append(parts, previewPart{Kind: "br"})
			i++
			continue
		case (r == 'h' || r == 'H') && !prevWord:
			if n := urlLength(runes[i:]); n > 0 {
				flush()
				addr := string(runes[i : i+n])
				if s.Links {
					parts = append(parts, previewPart{Kind: "link", Text: shortURL(addr, s.LinkChars), Title: addr})
				} else {
					plain.WriteString(addr)
				}
				i += n
				continue
			}
		case (r == '#' || r == '@') && !prevWord:
			j := i + 1
			for j < len(runes) && (isWordRune(runes[j]) || (r == '@' && runes[j] == '.' && j+1 < len(runes) && isWordRune(runes[j+1]))) {
				j++
			}
			if j > i+1 && s.Tags {
				flush()
				kind := "tag"
				if r == '@' {
					kind = "mention"
				}
				parts = append(parts, previewPart{Kind: kind, Text: string(runes[i:j])})
				i = j
				continue
			}
		}
		plain.WriteRune(r)
		i++
	}
	flush()
	return parts
}

// isWordRune is what a hashtag is made of, as domain.Hashtags reads it.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// urlLength returns how many runes at the start of rs are an http or https address, or 0.
// Punctuation closing a sentence is not part of it.
func urlLength(rs []rune) int {
	s := string(rs[:min(len(rs), 8)])
	lower := strings.ToLower(s)
	var start int
	switch {
	case strings.HasPrefix(lower, "https://"):
		start = 8
	case strings.HasPrefix(lower, "http://"):
		start = 7
	default:
		return 0
	}
	j := start
	for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '<' && rs[j] != '>' && rs[j] != '"' {
		j++
	}
	for j > start && strings.ContainsRune(".,;:!?)]}'…", rs[j-1]) {
		j--
	}
	if j == start {
		return 0
	}
	u, err := url.Parse(string(rs[:j]))
	if err != nil || u.Host == "" {
		return 0
	}
	return j
}

// shortURL writes an address as the feeds show one: without its scheme and "www.", cut
// with "…" after n characters.
func shortURL(addr string, n int) string {
	s := addr
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimPrefix(s, "www.")
	s = strings.TrimSuffix(s, "/")
	if gs := graphemes(s); n > 0 && len(gs) > n {
		s = strings.Join(gs[:n], "") + "…"
	}
	return s
}

// buildPreview makes the cards of the ticked accounts (those of accounts, which are the
// viewer's company's: another company's account ticked in a forged form has no card),
// with the library files of files (the company's too) and the typed addresses.
func buildPreview(f composeForm, accounts []domain.Account, files map[domain.MediaID]mediaTile, when string) postPreview {
	byID := make(map[domain.AccountID]domain.Account, len(accounts))
	for _, a := range accounts {
		byID[a.ID] = a
	}
	content := strings.TrimSpace(strings.ReplaceAll(f.Content, "\r\n", "\n"))
	urls := f.mediaURLs()
	pv := postPreview{Blank: f.Blank()}
	for _, id := range f.Order {
		a, ok := byID[id]
		if !ok {
			continue
		}
		text := content
		if v := strings.TrimSpace(strings.ReplaceAll(f.Variants[id], "\r\n", "\n")); v != "" {
			text = v
		}
		card := previewCard{Account: a, Initials: initials(a.DisplayName), When: when, Text: renderText(a.Platform, text)}
		var kinds []domain.MediaKind
		ratio := 0.0
		for _, mid := range f.MediaFor(id) {
			t, ok := files[mid]
			if !ok {
				continue
			}
			if len(card.Media) == 0 && t.Width > 0 && t.Height > 0 {
				ratio = float64(t.Width) / float64(t.Height)
			}
			card.Media = append(card.Media, previewMedia{Name: t.Name, Thumb: t.Thumb, Video: t.IsVideo()})
			kinds = append(kinds, t.Kind())
		}
		for _, u := range urls {
			host := "an address"
			if pu, err := url.Parse(u); err == nil && pu.Hostname() != "" {
				host = pu.Hostname()
			}
			kind := domain.KindOfMedia(u)
			card.Media = append(card.Media, previewMedia{Name: host, Host: host, Video: kind == domain.MediaVideo})
			kinds = append(kinds, kind)
		}
		card.Frame = frameFor(a.Platform, ratio)
		if a.Platform.TakesFirstComment() {
			comment := strings.TrimSpace(strings.ReplaceAll(f.Comments[id], "\r\n", "\n"))
			if comment == "" {
				comment = strings.TrimSpace(strings.ReplaceAll(f.FirstComment, "\r\n", "\n"))
			}
			if comment != "" {
				style, ok := feedStyles[a.Platform]
				if !ok {
					style = feedStyles[domain.Sandbox]
				}
				card.Comment = textParts(comment, style)
			}
		}
		if !pv.Blank {
			card.Problems = domain.CheckRules(a.Platform, text, kinds)
		}
		pv.Cards = append(pv.Cards, card)
	}
	return pv
}

// previewWhen says when the form would publish: the typed time in loc, or "Now" when none
// (or none that reads as a time: the form reports that itself).
func previewWhen(f composeForm, loc *time.Location) string {
	if f.When == "" {
		return "Now"
	}
	t, err := parseLocal(f.When, loc)
	if err != nil {
		return "Now"
	}
	return (view{Zone: loc}).Time(t)
}

// previewPost handles POST /posts/preview, sent by the compose form: htmx, as the person
// types, gets the preview panel alone; without JavaScript the "Preview" button gets the
// compose page back as it was sent, with the panel filled in. Nothing is saved.
func (h *Handler) previewPost(c echo.Context) error {
	if !(view{Allows: h.allows(c)}).CanWritePosts() {
		return domain.Errorf(domain.CodeForbidden, "Your role does not allow you to write posts in this company.")
	}
	f, err := parseCompose(c)
	if err != nil {
		return err
	}
	if isPartialRequest(c.Request()) {
		as, err := h.Accounts.List(c.Request().Context(), actorOf(c))
		if err != nil {
			return err
		}
		var files map[domain.MediaID]mediaTile
		if h.Media.Enabled() {
			if files, err = h.libraryFiles(c, f.MediaIDs); err != nil {
				return err
			}
		}
		return h.fragment(c, http.StatusOK, partPreview, buildPreview(f, as, files, previewWhen(f, zoneOf(c))))
	}
	var p *domain.Post
	if id := c.FormValue("post_id"); id != "" {
		post, err := h.Posts.Get(c.Request().Context(), actorOf(c), domain.PostID(id))
		if err != nil {
			return err
		}
		p = &post
	}
	f.Sent = false // previewing is not sending: the rules speak as while typing
	return h.renderCompose(c, http.StatusOK, p, f)
}
