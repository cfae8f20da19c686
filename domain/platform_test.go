package domain_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
)

func TestHashtags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"#go", []string{"go"}},
		{"Ship it #go #golang!", []string{"go", "golang"}},
		{"C# and F# are not tags", nil},
		{"email me: a#b", nil},
		{"# alone", nil},
		{"##double", []string{"double"}},
		{"(#paren) [#bracket]", []string{"paren", "bracket"}},
		{"#café #東京 #día_1", []string{"café", "東京", "día_1"}},
		{"#a#b", []string{"a"}},
		{"line\n#next", []string{"next"}},
	} {
		if got := domain.Hashtags(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Hashtags(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestCountRunes_CodePointsNotBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want int
	}{{"", 0}, {"abc", 3}, {"é", 1}, {"e\u0301", 2}, {"東京", 2}, {"👍", 1}, {"👍🏽", 2}} {
		if got := domain.CountRunes(tc.text); got != tc.want {
			t.Errorf("CountRunes(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestKindOfMedia(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want domain.MediaKind
	}{
		{"https://cdn/x.jpg", domain.MediaImage}, {"https://cdn/x.JPEG?w=1", domain.MediaImage}, {"https://cdn/x.png", domain.MediaImage},
		{"https://cdn/x.webp", domain.MediaImage}, {"https://cdn/x.gif", domain.MediaImage},
		{"https://cdn/x.mp4", domain.MediaVideo}, {"https://cdn/x.MOV", domain.MediaVideo}, {"https://cdn/x.webm#t=1", domain.MediaVideo}, {"https://cdn/x.m4v", domain.MediaVideo},
		{"https://cdn/x", domain.MediaUnknown}, {"https://cdn/x.pdf", domain.MediaUnknown}, {"https://cdn/x.mp4/", domain.MediaUnknown}, {"%zz", domain.MediaUnknown},
	} {
		if got := domain.KindOfMedia(tc.url); got != tc.want {
			t.Errorf("KindOfMedia(%q) = %s, want %s", tc.url, got, tc.want)
		}
	}
}

// TestCheckRules goes through every platform and every rule, at, below and above each
// limit, so a changed limit or a rule applied to the wrong platform fails here.
func TestCheckRules(t *testing.T) {
	t.Parallel()
	img, vid := "https://cdn/a.jpg", "https://cdn/a.mp4"
	text := func(n int) string { return strings.Repeat("é", n) } // 2 bytes, 1 code point each
	tags := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "#t%d ", i)
		}
		return b.String()
	}
	media := func(n int, u string) []string { return slices.Repeat([]string{u}, n) }
	type tc struct {
		name     string
		platform domain.Platform
		text     string
		media    []string
		want     []string // substrings of the problems, in order; nil: fits
	}
	cases := []tc{
		{"linkedin text alone", domain.LinkedIn, "hi", nil, nil},
		{"linkedin at limit", domain.LinkedIn, text(3000), nil, nil},
		{"linkedin over limit", domain.LinkedIn, text(3001), nil, []string{"is 3,001 characters long; LinkedIn allows 3,000"}},
		{"linkedin many hashtags are fine", domain.LinkedIn, tags(60), nil, nil},
		{"linkedin video", domain.LinkedIn, "v", []string{vid}, nil},
		{"linkedin 20 images", domain.LinkedIn, "x", media(20, img), nil},
		{"linkedin 21 images", domain.LinkedIn, "x", media(21, img), []string{"has 21 media items; LinkedIn allows 20"}},
		{"linkedin video with an image", domain.LinkedIn, "x", []string{vid, img}, []string{"publishes a video on its own"}},
		{"facebook video with photos", domain.Facebook, "x", []string{img, vid}, []string{"publishes a video on its own"}},
		{"facebook two photos", domain.Facebook, "x", media(2, img), nil},
		{"instagram carousel mixing images and videos", domain.Instagram, "x", []string{img, vid, img}, nil},
		{"instagram needs media", domain.Instagram, "hi", nil, []string{"needs at least one image or video"}},
		{"instagram image", domain.Instagram, "hi", []string{img}, nil},
		{"instagram reel", domain.Instagram, "hi", []string{vid}, nil},
		{"instagram at limit", domain.Instagram, text(2200), []string{img}, nil},
		{"instagram over limit", domain.Instagram, text(2201), []string{img}, []string{"is 2,201 characters long; Instagram allows 2,200"}},
		{"instagram 30 hashtags", domain.Instagram, tags(30), []string{img}, nil},
		{"instagram 31 hashtags", domain.Instagram, tags(31), []string{img}, []string{"has 31 hashtags; Instagram allows 30"}},
		{"instagram carousel of 10", domain.Instagram, "x", media(10, img), nil},
		{"instagram carousel of 11", domain.Instagram, "x", media(11, img), []string{"has 11 media items; Instagram allows 10"}},
		{"facebook at limit", domain.Facebook, text(63206), nil, nil},
		{"facebook over limit", domain.Facebook, text(63207), nil, []string{"is 63,207 characters long; Facebook allows 63,206"}},
		{"facebook photo", domain.Facebook, "x", []string{img}, nil},
		{"tiktok needs media", domain.TikTok, "hi", nil, []string{"needs at least one image or video"}},
		{"tiktok video", domain.TikTok, "hi", []string{vid}, nil},
		{"tiktok photo post", domain.TikTok, "hi", []string{img}, nil},
		{"tiktok 35 photos", domain.TikTok, "hi", media(35, img), nil},
		{"tiktok 36 photos", domain.TikTok, "hi", media(36, img), []string{"has 36 media items; TikTok allows 35"}},
		{"tiktok two videos", domain.TikTok, "hi", []string{vid, vid}, []string{"has 2 videos; TikTok takes 1"}},
		{"tiktok video with a photo", domain.TikTok, "hi", []string{vid, img}, []string{"publishes a video on its own"}},
		{"tiktok at limit", domain.TikTok, text(2200), []string{vid}, nil},
		{"tiktok over limit", domain.TikTok, text(2201), []string{vid}, []string{"is 2,201 characters long; TikTok allows 2,200"}},
		{"sandbox text", domain.Sandbox, "hi", nil, nil},
		{"sandbox over limit", domain.Sandbox, text(5001), nil, []string{"Sandbox allows 5,000"}},
		{"empty anywhere", domain.LinkedIn, "  ", nil, []string{"is empty"}},
		{"unknown platform", domain.Platform("myspace"), "hi", nil, []string{"cannot publish"}},
		{"several at once", domain.Instagram, text(2201) + " " + tags(31), nil, []string{"characters long", "hashtags", "needs at least one"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := domain.CheckRules(c.platform, c.text, domain.MediaKinds(c.media))
			if len(got) != len(c.want) {
				t.Fatalf("CheckRules = %q, want problems like %q", got, c.want)
			}
			for i := range got {
				if !strings.Contains(got[i], c.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], c.want[i])
				}
			}
		})
	}
	for _, p := range domain.Platforms {
		if _, ok := domain.PlatformRules[p]; !ok {
			t.Errorf("platform %s has no rules", p)
		}
	}
}

func TestPost_CheckRulesNamesTheTarget(t *testing.T) {
	t.Parallel()
	p := draft(t, domain.PostInput{Content: strings.Repeat("x", 2500), AccountIDs: []domain.AccountID{"a-li", "a-ig"},
		Variants: map[domain.AccountID]string{"a-li": "short"}})
	err := p.CheckRules(accts, nil)
	fields := domain.FieldsOf(err)
	if len(fields) != 1 || !strings.Contains(fields["targets.a-ig"], "acme.gram (Instagram)") || !strings.Contains(fields["targets.a-ig"], "2,200") {
		t.Errorf("fields = %v", fields)
	}
}

func TestParsePlatformAndStatus(t *testing.T) {
	t.Parallel()
	for _, p := range domain.Platforms {
		if got, err := domain.ParsePlatform(string(p)); err != nil || got != p {
			t.Errorf("ParsePlatform(%s) = %s, %v", p, got, err)
		}
	}
	if _, err := domain.ParsePlatform("LinkedIn"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("ParsePlatform is case-sensitive: %v", err)
	}
	for _, s := range domain.PostStatuses {
		if got, err := domain.ParsePostStatus("status", string(s)); err != nil || got != s {
			t.Errorf("ParsePostStatus(%s) = %s, %v", s, got, err)
		}
	}
	if _, err := domain.ParsePostStatus("status", "done"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("ParsePostStatus(done): %v", err)
	}
}

func TestCheckRules_LinkedInCountsEscapes(t *testing.T) {
	t.Parallel()
	plain := strings.Repeat("a", 2990)
	if p := domain.CheckRules(domain.LinkedIn, plain+"(#tag)", nil); len(p) != 0 {
		t.Errorf("2,996 characters, 3,000 escaped: %v", p)
	}
	text := plain + "(#tags)__" // 2,999 characters, 3,004 once escaped
	if n := domain.PlatformRules[domain.LinkedIn].Length(text); n != 3004 {
		t.Errorf("Length = %d, want 3004", n)
	}
	p := domain.CheckRules(domain.LinkedIn, text, nil)
	if len(p) != 1 || !strings.Contains(p[0], "3,004 characters long once LinkedIn's reserved characters") {
		t.Errorf("problems = %q", p)
	}
	if p := domain.CheckRules(domain.Facebook, text, nil); len(p) != 0 {
		t.Errorf("Facebook does not escape: %v", p)
	}
}
