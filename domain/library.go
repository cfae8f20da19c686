package domain

import (
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// The file types Herald takes into a media library, sniffed from their bytes.
const (
	MIMEJPEG      = "image/jpeg"
	MIMEPNG       = "image/png"
	MIMEGIF       = "image/gif"
	MIMEWebP      = "image/webp"
	MIMEMP4       = "video/mp4"
	MIMEQuickTime = "video/quicktime"
)

// LibraryTypes lists the accepted types with the file extension Herald gives each.
var LibraryTypes = map[string]string{
	MIMEJPEG: ".jpg", MIMEPNG: ".png", MIMEGIF: ".gif", MIMEWebP: ".webp",
	MIMEMP4: ".mp4", MIMEQuickTime: ".mov",
}

// Limits of one library file, whatever the plan.
const (
	// MaxAltRunes bounds alt text: LinkedIn's altText takes up to 4,086 characters,
	// Facebook and Instagram less; 1,500 is enough for a good description.
	MaxAltRunes = 1500
	// MaxMediaNameRunes bounds a file's name as shown in the library.
	MaxMediaNameRunes = 200
	// MaxImagePixels bounds an image's width × height (decoding it for a thumbnail takes
	// memory in proportion): 50 megapixels is above any platform's largest image.
	MaxImagePixels = 50_000_000
	// MaxImageSide bounds an image's longer side in pixels.
	MaxImageSide = 16_384
	// MaxVideoSide bounds a video's longer side in pixels (4K is 3,840; 8K video is
	// taken by no platform Herald publishes to).
	MaxVideoSide = 4_096
	// MaxVideoDuration bounds a video's length: the longest any platform takes (LinkedIn:
	// 30 minutes; TikTok uploads from the API: 10 minutes; Instagram Reels: 15 minutes).
	MaxVideoDuration = 30 * time.Minute
	// MediaURLTTL is how long a signed media URL stays valid: long enough for a platform
	// to fetch a video some minutes after the publish call, short enough not to be a
	// permanent public link.
	MediaURLTTL = 24 * time.Hour
)

// Media is one file of a company's media library. The bytes are in storage under FileKey; a
// downscaled JPEG preview (an image's, or a video's poster frame) under ThumbKey when
// HasThumb. Every key of a company starts with its StoragePrefix.
type Media struct {
	ID        MediaID
	CompanyID CompanyID
	CreatedBy UserID // empty once that person is gone
	Name      string // the uploaded file's name, cleaned
	MIMEType  string // one of LibraryTypes
	Size      int64  // bytes as stored (after metadata was stripped)
	Width     int
	Height    int
	Duration  time.Duration // videos only
	Alt       string
	HasThumb  bool   // a preview was made
	SHA256    []byte // of the stored bytes
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StoragePrefix is the start of every storage key of the company's files.
func StoragePrefix(company CompanyID) string { return string(company) + "/" }

// FileKey is the storage key of the file's bytes.
func (m Media) FileKey() string {
	return StoragePrefix(m.CompanyID) + string(m.ID) + LibraryTypes[m.MIMEType]
}

// ThumbKey is the storage key of the file's preview (a JPEG).
func (m Media) ThumbKey() string { return StoragePrefix(m.CompanyID) + string(m.ID) + ".thumb.jpg" }

// Kind is image or video, by the file's type.
func (m Media) Kind() MediaKind {
	if strings.HasPrefix(m.MIMEType, "video/") {
		return MediaVideo
	}
	return MediaImage
}

// Info is what the schedule-time checks need to know of the file.
func (m Media) Info() MediaInfo {
	return MediaInfo{URL: m.Name, ContentType: m.MIMEType, Bytes: m.Size, Width: m.Width, Height: m.Height, Duration: m.Duration}
}

// MediaFacts are what Herald read from an uploaded file's bytes.
type MediaFacts struct {
	MIMEType string
	Width    int
	Height   int
	Duration time.Duration
}

// Kind is image or video, by the sniffed type.
func (f MediaFacts) Kind() MediaKind {
	if strings.HasPrefix(f.MIMEType, "video/") {
		return MediaVideo
	}
	return MediaImage
}

// Check returns CodeInvalid naming what makes the file unusable whatever the platform:
// pixel sizes and durations outside what Herald takes.
func (f MediaFacts) Check() error {
	if _, ok := LibraryTypes[f.MIMEType]; !ok {
		return Errorf(CodeUnsupported, "This file type is not supported: upload JPEG, PNG, GIF or WebP images, or MP4 or MOV videos.")
	}
	if f.Width <= 0 || f.Height <= 0 {
		return Errorf(CodeInvalid, "Herald could not read the size of this %s.", f.Kind())
	}
	switch f.Kind() {
	case MediaImage:
		if f.Width > MaxImageSide || f.Height > MaxImageSide || int64(f.Width)*int64(f.Height) > MaxImagePixels {
			return Errorf(CodeInvalid, "The image is %d×%d pixels; Herald takes images of up to %d megapixels and %d pixels a side.", f.Width, f.Height, MaxImagePixels/1_000_000, MaxImageSide)
		}
	case MediaVideo:
		if f.Width > MaxVideoSide || f.Height > MaxVideoSide {
			return Errorf(CodeInvalid, "The video is %d×%d pixels; Herald takes videos of up to %d pixels a side (4K).", f.Width, f.Height, MaxVideoSide)
		}
		if f.Duration <= 0 {
			return Errorf(CodeInvalid, "Herald could not read how long this video lasts.")
		}
		if f.Duration > MaxVideoDuration {
			return Errorf(CodeInvalid, "The video lasts %s; Herald takes videos of up to %s.", durationText(f.Duration), durationText(MaxVideoDuration))
		}
	}
	return nil
}

// CleanMediaName turns an uploaded file's name into the library's: the base name without
// control characters, at most MaxMediaNameRunes long, with the extension of its sniffed
// type; "upload" when nothing is left.
func CleanMediaName(name, mimeType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	ext := LibraryTypes[mimeType]
	stem := strings.TrimSuffix(name, path.Ext(name))
	if stem == "" || stem == "." || stem == "/" {
		stem = "upload"
	}
	if r := []rune(stem); len(r) > MaxMediaNameRunes-len(ext) {
		stem = string(r[:MaxMediaNameRunes-len(ext)])
	}
	return stem + ext
}

// CheckAlt returns CodeInvalid when alt text is too long or not text.
func CheckAlt(alt string) (string, error) {
	alt = strings.TrimSpace(alt)
	if !utf8.ValidString(alt) {
		return "", &Error{Code: CodeInvalid, Message: "The alt text is not valid UTF-8.", Fields: map[string]string{"alt": "is not valid UTF-8 text"}}
	}
	if n := utf8.RuneCountInString(alt); n > MaxAltRunes {
		p := fmt.Sprintf("is %s characters long; at most %s", thousands(n), thousands(MaxAltRunes))
		return "", &Error{Code: CodeInvalid, Message: "The alt text " + p + ".", Fields: map[string]string{"alt": p}}
	}
	return alt, nil
}

// MediaFilter narrows the media library; zero fields do not filter.
type MediaFilter struct {
	Query string    // words in the name or alt text
	Kind  MediaKind // image or video
}

// MediaUse is a post that uses a library file.
type MediaUse struct {
	PostID       PostID
	Status       PostStatus
	Excerpt      string
	ScheduledFor time.Time
}

// Blocks reports whether the use forbids deleting the file: the post is yet to go out.
func (u MediaUse) Blocks() bool {
	return u.Status == PostScheduled || u.Status == PostPublishing
}
