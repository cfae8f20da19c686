package domain

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Platform is a social network Herald publishes to.
type Platform string

// The platforms Herald knows. Sandbox is Herald's own simulated network.
const (
	LinkedIn  Platform = "linkedin"
	Instagram Platform = "instagram"
	Facebook  Platform = "facebook"
	TikTok    Platform = "tiktok"
	Sandbox   Platform = "sandbox"
)

// Platforms lists every platform, in the order pages show them.
var Platforms = []Platform{LinkedIn, Instagram, Facebook, TikTok, Sandbox}

// ParsePlatform returns the platform named s, or CodeNotFound: an unknown platform in a
// path is a page that does not exist.
func ParsePlatform(s string) (Platform, error) {
	for _, p := range Platforms {
		if string(p) == s {
			return p, nil
		}
	}
	return "", Errorf(CodeNotFound, "Herald does not know a platform called %q.", s)
}

// Title is the platform's name as people write it.
func (p Platform) Title() string {
	switch p {
	case LinkedIn:
		return "LinkedIn"
	case Instagram:
		return "Instagram"
	case Facebook:
		return "Facebook"
	case TikTok:
		return "TikTok"
	case Sandbox:
		return "Sandbox"
	}
	return string(p)
}

// Rules are what a platform accepts in one post. Counts are in Unicode code points, the
// way the platforms count them; zero means "no limit of this kind".
type Rules struct {
	MaxRunes      int  // text length
	MaxHashtags   int  // hashtags in the text
	MaxMedia      int  // media items in one post
	MediaRequired bool // a post needs at least one media item
	VideoRequired bool // the (first) media item must be a video
	VideoAlone    bool // a video is published on its own, without other media
	MaxVideos     int  // videos in one post
	AllowsVideo   bool
	AllowsImages  bool
	// CommentRunes is the longest first comment (published right after the post, by the
	// same account); zero: the platform takes no first comment from Herald.
	CommentRunes int
	// Escaped are the characters the platform's text format escapes with a backslash:
	// each counts twice toward MaxRunes (see Length).
	Escaped string
}

// Length is text's length as the platform counts it against MaxRunes: code points, with
// each escaped character counted with its backslash.
func (r Rules) Length(text string) int {
	n := 0
	for _, c := range text {
		n++
		if r.Escaped != "" && strings.ContainsRune(r.Escaped, c) {
			n++
		}
	}
	return n
}

// PlatformRules holds every platform's rules, from its documentation (linked from README's
// "Connecting real platforms" and beside each call in adapters/platforms).
var PlatformRules = map[Platform]Rules{
	// Posts API: commentary up to 3,000 characters; multiImage 2 to 20 images; a video is
	// content.media on its own.
	// The commentary is in LinkedIn's "little" text format, whose reserved characters are
	// sent backslash-escaped, and the 3,000 count includes the backslashes:
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
	LinkedIn: {MaxRunes: 3000, MaxMedia: 20, VideoAlone: true, MaxVideos: 1, AllowsImages: true, AllowsVideo: true, Escaped: `\|{}@[]()<>#*_~`,
		CommentRunes: 1250},
	// Content Publishing: caption 2,200 characters and 30 hashtags; a carousel of up to 10
	// images and videos mixed; text alone is not published.
	Instagram: {MaxRunes: 2200, MaxHashtags: 30, MaxMedia: 10, MediaRequired: true, AllowsImages: true, AllowsVideo: true,
		CommentRunes: 2200},
	// Pages API: a post carries photos (attached_media) or one video.
	Facebook: {MaxRunes: 63206, MaxMedia: 10, VideoAlone: true, MaxVideos: 1, AllowsImages: true, AllowsVideo: true,
		CommentRunes: 8000},
	// Content Posting API: one video, or a photo post of up to 35 photos; never mixed.
	TikTok:  {MaxRunes: 2200, MaxMedia: 35, MaxVideos: 1, MediaRequired: true, VideoAlone: true, AllowsImages: true, AllowsVideo: true},
	Sandbox: {MaxRunes: 5000, MaxHashtags: 30, MaxMedia: 10, AllowsImages: true, AllowsVideo: true, CommentRunes: 2000},
}

// TakesFirstComment reports whether Herald can publish a first comment under the
// platform's posts (TikTok's API has no comments).
func (p Platform) TakesFirstComment() bool { return PlatformRules[p].CommentRunes > 0 }

// MediaKind says what a media URL points at, judged from its file extension.
type MediaKind string

// The kinds of media.
const (
	MediaImage   MediaKind = "image"
	MediaVideo   MediaKind = "video"
	MediaUnknown MediaKind = "unknown"
)

var mediaKinds = map[string]MediaKind{
	".jpg": MediaImage, ".jpeg": MediaImage, ".png": MediaImage, ".gif": MediaImage, ".webp": MediaImage,
	".mp4": MediaVideo, ".mov": MediaVideo, ".m4v": MediaVideo, ".webm": MediaVideo,
}

// KindOfMedia returns what the URL's path names by its extension.
func KindOfMedia(rawURL string) MediaKind {
	u, err := url.Parse(rawURL)
	if err != nil {
		return MediaUnknown
	}
	if k, ok := mediaKinds[strings.ToLower(path.Ext(u.Path))]; ok {
		return k
	}
	return MediaUnknown
}

// CountRunes counts text the way the platforms do: in Unicode code points.
func CountRunes(text string) int { return utf8.RuneCountInString(text) }

// Hashtags returns the hashtags in text, in order, without the '#': a '#' at the start or
// after a non-word character, followed by letters, digits or underscores.
func Hashtags(text string) []string {
	var tags []string
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		if runes[i] != '#' || (i > 0 && isWordRune(runes[i-1])) {
			continue
		}
		j := i + 1
		for j < len(runes) && isWordRune(runes[j]) {
			j++
		}
		if j > i+1 {
			tags = append(tags, string(runes[i+1:j]))
		}
		i = j - 1
	}
	return tags
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// MediaKinds returns the kind of each media URL, judged from its extension.
func MediaKinds(urls []string) []MediaKind {
	out := make([]MediaKind, len(urls))
	for i, u := range urls {
		out[i] = KindOfMedia(u)
	}
	return out
}

// CheckRules returns, for text and media (their kinds, in order) published on platform, every rule broken, each
// as a sentence for a person ("is 3,012 characters long; LinkedIn allows 3,000"). An
// empty result means the post fits.
func CheckRules(platform Platform, text string, media []MediaKind) []string {
	r, ok := PlatformRules[platform]
	if !ok {
		return []string{fmt.Sprintf("Herald cannot publish to %q", platform)}
	}
	var problems []string
	name := platform.Title()
	if n := r.Length(text); r.MaxRunes > 0 && n > r.MaxRunes {
		if r.Escaped != "" && n != CountRunes(text) {
			problems = append(problems, fmt.Sprintf("is %s characters long once %s's reserved characters (%s) are escaped; %s allows %s",
				thousands(n), name, r.Escaped, name, thousands(r.MaxRunes)))
		} else {
			problems = append(problems, fmt.Sprintf("is %s characters long; %s allows %s", thousands(n), name, thousands(r.MaxRunes)))
		}
	}
	if n := len(Hashtags(text)); r.MaxHashtags > 0 && n > r.MaxHashtags {
		problems = append(problems, fmt.Sprintf("has %d hashtags; %s allows %d", n, name, r.MaxHashtags))
	}
	if strings.TrimSpace(text) == "" && len(media) == 0 {
		problems = append(problems, "is empty: write something or attach media")
	}
	if r.MediaRequired && len(media) == 0 {
		if r.VideoRequired {
			problems = append(problems, fmt.Sprintf("needs a video: %s does not publish text alone", name))
		} else {
			problems = append(problems, fmt.Sprintf("needs at least one image or video: %s does not publish text alone", name))
		}
	}
	if r.MaxMedia > 0 && len(media) > r.MaxMedia {
		problems = append(problems, fmt.Sprintf("has %d media items; %s allows %d", len(media), name, r.MaxMedia))
	}
	videos := 0
	for _, kind := range media {
		if kind == MediaVideo {
			videos++
		}
	}
	if r.MaxVideos > 0 && videos > r.MaxVideos {
		problems = append(problems, fmt.Sprintf("has %d videos; %s takes %d", videos, name, r.MaxVideos))
	} else if r.VideoAlone && videos > 0 && len(media) > 1 {
		problems = append(problems, fmt.Sprintf("has a video with other media; %s publishes a video on its own", name))
	}
	for i, kind := range media {
		switch {
		case r.VideoRequired && i == 0 && kind != MediaVideo:
			problems = append(problems, fmt.Sprintf("needs a video (.mp4, .mov, .m4v or .webm); %s publishes videos only", name))
		case kind == MediaVideo && !r.AllowsVideo:
			problems = append(problems, fmt.Sprintf("media %d is a video; %s takes images only", i+1, name))
		case kind == MediaImage && !r.AllowsImages:
			problems = append(problems, fmt.Sprintf("media %d is an image; %s takes videos only", i+1, name))
		}
	}
	return problems
}

// thousands writes n with comma separators, as the pages do.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
