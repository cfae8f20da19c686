package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BrandVoice is how a company wants its captions to sound, used in every AI prompt.
type BrandVoice struct {
	Description     string   // "warm, plain-spoken, no jargon"
	AvoidWords      []string // words captions must not use
	DefaultHashtags []string // hashtags the company likes to use, without '#'
}

// Brand voice limits.
const (
	MaxVoiceRunes = 1000
	MaxVoiceWords = 50
)

// NewBrandVoice returns the cleaned voice (trimmed, hashtags without '#', lists without
// duplicates), or CodeInvalid naming every bad field.
func NewBrandVoice(description string, avoid, hashtags []string) (BrandVoice, error) {
	v := Violations{}
	b := BrandVoice{Description: strings.TrimSpace(description), AvoidWords: uniqueWords(avoid, false), DefaultHashtags: CleanHashtags(hashtags)}
	if n := utf8.RuneCountInString(b.Description); n > MaxVoiceRunes {
		v.Add("voice", fmt.Sprintf("is %s characters long; at most %s", thousands(n), thousands(MaxVoiceRunes)))
	}
	if len(b.AvoidWords) > MaxVoiceWords {
		v.Add("avoid_words", fmt.Sprintf("lists %d words; at most %d", len(b.AvoidWords), MaxVoiceWords))
	}
	if len(b.DefaultHashtags) > MaxVoiceWords {
		v.Add("default_hashtags", fmt.Sprintf("lists %d hashtags; at most %d", len(b.DefaultHashtags), MaxVoiceWords))
	}
	return b, v.Err()
}

func uniqueWords(words []string, tags bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if tags {
			w = strings.TrimLeft(w, "#")
			w = strings.TrimRightFunc(w, func(r rune) bool { return !isWordRune(r) })
			if w == "" || strings.IndexFunc(w, func(r rune) bool { return !isWordRune(r) }) >= 0 {
				continue // not a hashtag
			}
		}
		key := strings.ToLower(w)
		if w == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, w)
	}
	return out
}

// CleanHashtags returns the hashtags without '#', invalid ones dropped, each once (case
// does not make a new hashtag), in order.
func CleanHashtags(tags []string) []string { return uniqueWords(tags, true) }

// CaptionText is what a caption with its hashtags is published as.
func CaptionText(caption string, hashtags []string) string {
	caption = strings.TrimSpace(caption)
	if len(hashtags) == 0 {
		return caption
	}
	tags := "#" + strings.Join(hashtags, " #")
	if caption == "" {
		return tags
	}
	return caption + "\n\n" + tags
}

// CaptionProblems returns what a caption with its hashtags breaks of the platform's text
// rules (length and hashtag count; media is the post's business), as sentences.
func CaptionProblems(platform Platform, caption string, hashtags []string) []string {
	var out []string
	for _, p := range CheckRules(platform, CaptionText(caption, hashtags), []MediaKind{MediaImage}) {
		if strings.Contains(p, "characters long") || strings.Contains(p, "hashtags") {
			out = append(out, p)
		}
	}
	return out
}

// FitCaption makes a caption fit the platform's text rules as a last resort: hashtags
// beyond the platform's count are dropped (also those in the caption's own text count),
// then the caption is cut at a word boundary and ended with "…" until the whole fits.
func FitCaption(platform Platform, caption string, hashtags []string) (string, []string) {
	r := PlatformRules[platform]
	caption = strings.TrimSpace(caption)
	if r.MaxHashtags > 0 {
		room := max(0, r.MaxHashtags-len(Hashtags(caption)))
		if len(hashtags) > room {
			hashtags = hashtags[:room]
		}
	}
	if r.MaxRunes <= 0 || r.Length(CaptionText(caption, hashtags)) <= r.MaxRunes {
		return caption, hashtags
	}
	for len(hashtags) > 0 && r.Length(CaptionText("", hashtags)) > r.MaxRunes/3 {
		hashtags = hashtags[:len(hashtags)-1] // hashtags may take a third of the room at most
	}
	overhead := r.Length(CaptionText("x", hashtags)) - 1 // the hashtags and their separator
	budget := max(0, r.MaxRunes-overhead-1)              // room for the caption, leaving room for "…"
	runes := []rune(caption)
	keep, used := 0, 0 // caption runes kept, and their length as the platform counts it
	for keep < len(runes) {
		w := r.Length(string(runes[keep]))
		if used+w > budget {
			break
		}
		used += w
		keep++
	}
	if keep < len(runes) {
		cut := keep
		for cut > 0 && !unicode.IsSpace(runes[cut]) {
			cut--
		}
		if cut == 0 {
			cut = keep // one long word: cut inside it
		}
		caption = strings.TrimRightFunc(string(runes[:cut]), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
	}
	return caption, hashtags
}
