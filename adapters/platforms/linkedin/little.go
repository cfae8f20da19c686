package linkedin

import (
	"strings"

	"github.com/heraldhq/herald/domain"
)

// littleReserved are the characters LinkedIn's "little" text format reserves for its
// elements (mentions, hashtags and templates); in a post's commentary each must be
// backslash-escaped to stay plain text, or LinkedIn misreads or cuts the text.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
// The one list is domain's, which counts them when checking a post's length.
var littleReserved = domain.PlatformRules[domain.LinkedIn].Escaped

// escapeLittle escapes every reserved character of text. Herald escapes '#' too: a
// hashtag then reads "#word" in the post but is not a clickable hashtag element, the
// documented safe choice (a HashtagTemplate would be needed to keep it clickable).
func escapeLittle(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		if strings.ContainsRune(littleReserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
