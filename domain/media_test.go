package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestCheckMedia(t *testing.T) {
	t.Parallel()
	jpg := func(w, h int, bytes int64) domain.MediaInfo {
		return domain.MediaInfo{URL: "https://cdn/a.jpg", ContentType: "image/jpeg", Bytes: bytes, Width: w, Height: h}
	}
	for _, tc := range []struct {
		name     string
		platform domain.Platform
		info     domain.MediaInfo
		want     []string
	}{
		{"instagram portrait 4:5", domain.Instagram, jpg(1080, 1350, 1<<20), nil},
		{"instagram landscape 1.91", domain.Instagram, jpg(1080, 566, 1<<20), nil},
		{"instagram too tall", domain.Instagram, jpg(1080, 1920, 1<<20), []string{"(aspect ratio 0.56); Instagram takes 0.80 to 1.91"}},
		{"instagram too wide", domain.Instagram, jpg(2000, 1000, 1<<20), []string{"aspect ratio 2.00"}},
		{"instagram png", domain.Instagram, domain.MediaInfo{URL: "https://cdn/a.png", ContentType: "image/png", Width: 100, Height: 100}, []string{"is image/png; Instagram takes image/jpeg"}},
		{"instagram 9 MB", domain.Instagram, jpg(1080, 1080, 9<<20), []string{"is 9.0 MB; Instagram takes at most 8.0 MB"}},
		{"instagram pixels unknown", domain.Instagram, jpg(0, 0, 0), nil},
		{"instagram mp4 reel", domain.Instagram, domain.MediaInfo{URL: "https://cdn/v", ContentType: "video/mp4", Bytes: 100 << 20}, nil},
		{"instagram webm reel", domain.Instagram, domain.MediaInfo{URL: "https://cdn/v", ContentType: "video/webm"}, []string{"is video/webm"}},
		{"tiktok 5 GB", domain.TikTok, domain.MediaInfo{URL: "https://cdn/v.mp4", ContentType: "video/mp4", Bytes: 5 << 30}, []string{"is 5.0 GB; TikTok takes at most 4.0 GB"}},
		{"tiktok png photo", domain.TikTok, domain.MediaInfo{URL: "https://cdn/p.png", ContentType: "image/png"}, []string{"TikTok takes image/jpeg, image/webp"}},
		{"linkedin png", domain.LinkedIn, domain.MediaInfo{URL: "https://cdn/p.png", ContentType: "image/png"}, nil},
		{"linkedin webp", domain.LinkedIn, domain.MediaInfo{URL: "https://cdn/p.webp", ContentType: "image/webp"}, []string{"is image/webp"}},
		{"type unknown is judged by the extension only elsewhere", domain.Instagram, domain.MediaInfo{URL: "https://cdn/x"}, nil},
		{"instagram reel of 2 s", domain.Instagram, domain.MediaInfo{URL: "https://cdn/v.mp4", ContentType: "video/mp4", Duration: 2 * time.Second}, []string{"lasts 2 seconds; Instagram takes 3 seconds to 15 minutes"}},
		{"instagram reel of 16 min", domain.Instagram, domain.MediaInfo{URL: "https://cdn/v.mp4", ContentType: "video/mp4", Duration: 16*time.Minute + 30*time.Second}, []string{"lasts 16 min 30 s"}},
		{"linkedin video of 20 min", domain.LinkedIn, domain.MediaInfo{URL: "https://cdn/v.mp4", ContentType: "video/mp4", Duration: 20 * time.Minute}, nil},
		{"sandbox fetches nothing", domain.Sandbox, domain.MediaInfo{URL: "https://cdn/x.bmp", ContentType: "image/bmp"}, nil},
	} {
		got := domain.CheckMedia(tc.platform, tc.info)
		if len(got) != len(tc.want) {
			t.Errorf("%s: CheckMedia = %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s: problem %q, want it to contain %q", tc.name, got[i], tc.want[i])
			}
		}
	}
}

func TestPost_CheckMediaNamesTheFile(t *testing.T) {
	t.Parallel()
	p := draft(t, domain.PostInput{Content: "x", MediaURLs: []string{"https://cdn/ok.jpg", "https://cdn/tall.jpg"}, AccountIDs: []domain.AccountID{"a-li", "a-ig"}})
	if !p.NeedsMediaCheck() {
		t.Fatal("a post to Instagram with media needs a media check")
	}
	err := p.CheckMedia(map[string]domain.MediaInfo{
		"https://cdn/ok.jpg":   {URL: "https://cdn/ok.jpg", ContentType: "image/jpeg", Width: 1080, Height: 1080},
		"https://cdn/tall.jpg": {URL: "https://cdn/tall.jpg", ContentType: "image/jpeg", Width: 1080, Height: 1920},
	})
	f := domain.FieldsOf(err)
	if len(f) != 1 || !strings.Contains(f["media_urls[1]"], "Instagram takes 0.80 to 1.91") {
		t.Errorf("fields = %v", f)
	}
	text := draft(t, domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a-ig"}})
	if text.NeedsMediaCheck() {
		t.Error("a post without media needs no media check")
	}
}
