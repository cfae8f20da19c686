package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MediaInfo is what Herald learned about a media URL before publishing it: what the server
// says it is, how big, and an image's size in pixels. Zero values are unknown.
type MediaInfo struct {
	URL         string
	ContentType string // MIME type without parameters, such as "image/jpeg"
	Bytes       int64  // 0: the server did not say
	Width       int    // images only; 0: not read
	Height      int
	Duration    time.Duration // videos only; 0: not read
}

// Kind says whether the media is an image or a video, by its content type, else by the
// URL's extension.
func (m MediaInfo) Kind() MediaKind {
	switch {
	case strings.HasPrefix(m.ContentType, "image/"):
		return MediaImage
	case strings.HasPrefix(m.ContentType, "video/"):
		return MediaVideo
	}
	return KindOfMedia(m.URL)
}

// MediaLimits are what a platform accepts in one media file, from its documentation (each
// value cites its page in PlatformMedia). Empty or zero fields do not limit.
type MediaLimits struct {
	ImageTypes, VideoTypes       []string // MIME types
	MaxImageBytes, MaxVideoBytes int64
	MinAspect, MaxAspect         float64 // an image's width / height
	MinVideo, MaxVideo           time.Duration
}

// PlatformMedia holds the platforms' documented media limits. Platforms absent here (the
// sandbox) fetch nothing, so their media is not checked.
var PlatformMedia = map[Platform]MediaLimits{
	// Instagram Graph API, IG User Media reference, image and Reels specifications: JPEG
	// images of at most 8 MB with an aspect ratio from 4:5 to 1.91:1; MOV or MP4 videos of at
	// most 1 GB. https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
	Instagram: {ImageTypes: []string{"image/jpeg"}, VideoTypes: []string{"video/mp4", "video/quicktime"},
		MaxImageBytes: 8 << 20, MaxVideoBytes: 1 << 30, MinAspect: 4.0 / 5.0, MaxAspect: 1.91,
		MinVideo: 3 * time.Second, MaxVideo: 15 * time.Minute},
	// Images API: JPG, GIF or PNG; Videos API: MP4.
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
	// Video length 3 s to 30 min: LinkedIn's video guidelines as summarised by
	// https://www.ayrshare.com/docs/media-guidelines/linkedin (not in the stored Microsoft pages).
	LinkedIn: {ImageTypes: []string{"image/jpeg", "image/gif", "image/png"}, VideoTypes: []string{"video/mp4"},
		MinVideo: 3 * time.Second, MaxVideo: 30 * time.Minute},
	// Content Posting API: videos MP4 (recommended), WebM or MOV of at most 4 GB; photos JPEG
	// or WebP. https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
	// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
	TikTok: {ImageTypes: []string{"image/jpeg", "image/webp"}, VideoTypes: []string{"video/mp4", "video/webm", "video/quicktime"}, MaxVideoBytes: 4 << 30},
}

// CheckMedia returns, for media published on platform, every documented limit it breaks,
// each a sentence for a person; an empty result means it fits or cannot be judged.
func CheckMedia(platform Platform, m MediaInfo) []string {
	l, ok := PlatformMedia[platform]
	if !ok {
		return nil
	}
	name := platform.Title()
	var problems []string
	kind := m.Kind()
	types, max := l.ImageTypes, l.MaxImageBytes
	if kind == MediaVideo {
		types, max = l.VideoTypes, l.MaxVideoBytes
	}
	if m.ContentType != "" && len(types) > 0 && !slices.Contains(types, m.ContentType) {
		problems = append(problems, fmt.Sprintf("is %s; %s takes %s", m.ContentType, name, strings.Join(types, ", ")))
	}
	if max > 0 && m.Bytes > max {
		problems = append(problems, fmt.Sprintf("is %s; %s takes at most %s", bytesText(m.Bytes), name, bytesText(max)))
	}
	if kind == MediaVideo && m.Duration > 0 {
		if (l.MinVideo > 0 && m.Duration < l.MinVideo) || (l.MaxVideo > 0 && m.Duration > l.MaxVideo) {
			problems = append(problems, fmt.Sprintf("lasts %s; %s takes %s to %s", durationText(m.Duration), name, durationText(l.MinVideo), durationText(l.MaxVideo)))
		}
	}
	if kind == MediaImage && m.Width > 0 && m.Height > 0 {
		ratio := float64(m.Width) / float64(m.Height)
		if (l.MinAspect > 0 && ratio < l.MinAspect-0.005) || (l.MaxAspect > 0 && ratio > l.MaxAspect+0.005) {
			problems = append(problems, fmt.Sprintf("is %d×%d pixels (aspect ratio %.2f); %s takes %.2f to %.2f", m.Width, m.Height, ratio, name, l.MinAspect, l.MaxAspect))
		}
	}
	return problems
}

func durationText(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// CheckMedia checks every media file of the post against the limits of each platform it goes
// to, with what was learned about each URL, and returns CodeInvalid with one field per
// broken file ("media_urls[i]"), or nil.
func (p Post) CheckMedia(infos map[string]MediaInfo) error {
	v := Violations{}
	for i, u := range p.MediaURLs {
		info, ok := infos[u]
		if !ok {
			continue
		}
		var problems []string
		for _, platform := range p.Platforms() {
			problems = append(problems, CheckMedia(platform, info)...)
		}
		if len(problems) > 0 {
			v.Add(fmt.Sprintf("media_urls[%d]", i), strings.Join(problems, "; "))
		}
	}
	return v.Err()
}

// NeedsMediaCheck reports whether any platform the post goes to fetches its media, so the
// media is worth checking before it is scheduled.
func (p Post) NeedsMediaCheck() bool {
	if len(p.MediaURLs) == 0 {
		return false
	}
	for _, platform := range p.Platforms() {
		if _, ok := PlatformMedia[platform]; ok {
			return true
		}
	}
	return false
}
