package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// creatorInfo is the answer of /v2/post/publish/creator_info/query/.
// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
type creatorInfo struct {
	CreatorUsername         string   `json:"creator_username"`
	CreatorNickname         string   `json:"creator_nickname"`
	PrivacyLevelOptions     []string `json:"privacy_level_options"`
	CommentDisabled         bool     `json:"comment_disabled"`
	DuetDisabled            bool     `json:"duet_disabled"`
	StitchDisabled          bool     `json:"stitch_disabled"`
	MaxVideoPostDurationSec int      `json:"max_video_post_duration_sec"`
}

// postInfo and sourceInfo make the body of /v2/post/publish/video/init/.
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
type postInfo struct {
	Title          string `json:"title,omitempty"`
	PrivacyLevel   string `json:"privacy_level"`
	DisableComment bool   `json:"disable_comment"`
	DisableDuet    bool   `json:"disable_duet"`
	DisableStitch  bool   `json:"disable_stitch"`
}

// sourceInfo says where the video comes from: PULL_FROM_URL with video_url, or FILE_UPLOAD
// with video_size, chunk_size and total_chunk_count (the same object for direct posts and
// inbox uploads).
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
type sourceInfo struct {
	Source          string `json:"source"`
	VideoURL        string `json:"video_url,omitempty"`
	VideoSize       int64  `json:"video_size,omitempty"`
	ChunkSize       int64  `json:"chunk_size,omitempty"`
	TotalChunkCount int64  `json:"total_chunk_count,omitempty"`
}

type videoInit struct {
	PostInfo   postInfo   `json:"post_info"`
	SourceInfo sourceInfo `json:"source_info"`
}

// inboxInit is the body of /v2/post/publish/inbox/video/init/: source_info only, the
// creator writes the caption in TikTok.
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
type inboxInit struct {
	SourceInfo sourceInfo `json:"source_info"`
}

// initAnswer is the data of every init: publish_id, and upload_url for FILE_UPLOAD.
type initAnswer struct {
	PublishID string `json:"publish_id"`
	UploadURL string `json:"upload_url"`
}

// photoInit is the body of /v2/post/publish/content/init/ for a photo post: media_type
// PHOTO, post_mode DIRECT_POST or MEDIA_UPLOAD (inbox), and photos pulled from their URLs
// (PULL_FROM_URL is the only source for photos) with photo_cover_index choosing the cover.
// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
type photoInit struct {
	MediaType  string          `json:"media_type"`
	PostMode   string          `json:"post_mode"`
	PostInfo   photoPostInfo   `json:"post_info"`
	SourceInfo photoSourceInfo `json:"source_info"`
}

// photoPostInfo: title up to 90 and description up to 4000 UTF-16 runes; privacy_level is
// required for DIRECT_POST only.
type photoPostInfo struct {
	Title          string `json:"title,omitempty"`
	Description    string `json:"description,omitempty"`
	PrivacyLevel   string `json:"privacy_level,omitempty"`
	DisableComment bool   `json:"disable_comment"`
}

type photoSourceInfo struct {
	Source          string   `json:"source"`
	PhotoCoverIndex int      `json:"photo_cover_index"`
	PhotoImages     []string `json:"photo_images"`
}

// Photo post limits: at most 35 photos, JPEG or WebP only (no PNG), description up to 4000
// UTF-16 runes.
// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (image
// restrictions; the stored excerpts end before them, and
// https://www.ayrshare.com/docs/media-guidelines/tiktok confirms JPEG/WebP, no PNG, and
// https://docs.getlate.dev/resources/media-guidelines/tiktok 35 photos, never mixed with
// a video)
const (
	maxPhotos           = 35
	maxPhotoDescription = 4000
)

var (
	photoExtensions = []string{".jpg", ".jpeg", ".webp"}
	photoTypes      = []string{"image/jpeg", "image/webp"}
)

// isPhotoType reports whether TikTok takes the photo: by its type when Herald knows it (a
// library file, whose signed URL has no extension to trust), else by its address's
// extension.
func isPhotoType(m ports.PublicationMedia) bool {
	if m.MIMEType != "" {
		return contains(photoTypes, m.MIMEType)
	}
	u, err := url.Parse(m.URL)
	return err == nil && contains(photoExtensions, strings.ToLower(path.Ext(u.Path)))
}

// kindOf is the media's kind as Herald knows it; only an item of unknown kind is judged by
// its address's extension.
func kindOf(m ports.PublicationMedia) domain.MediaKind {
	if m.Kind != "" {
		return m.Kind
	}
	return domain.KindOfMedia(m.URL)
}

// publishStatus is the answer of /v2/post/publish/status/fetch/. The post ids are numbers
// in the reference and strings in some answers, so they are read raw. ("publicaly" is
// TikTok's spelling.)
// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
type publishStatus struct {
	Status     string            `json:"status"`
	FailReason string            `json:"fail_reason"`
	PostIDs    []json.RawMessage `json:"publicaly_available_post_id"`
}

// Publish posts the publication on the creator's profile, or sends it to the creator's
// inbox when PostMode is inbox. A publication is one video, or up to 35 JPEG or WebP photos;
// anything else (text alone, a mix, several videos) is CodeInvalid before any call.
//
// A video is pulled by TikTok from its URL (UploadMode pull, and auto first) or downloaded
// by Herald and uploaded in chunks (upload, and auto when TikTok answers
// url_ownership_unverified: the URL is not on a domain verified for the app). A direct post
// reads creator info first and uses the privacy level and interaction settings it allows.
// Then the publish status is polled until TikTok is done.
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	var videos, photos []ports.PublicationMedia
	for _, m := range p.Media {
		switch kindOf(m) {
		case domain.MediaVideo:
			videos = append(videos, m)
		case domain.MediaImage:
			photos = append(photos, m)
		default:
			return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: every media item must be a video (.mp4, .mov, .m4v or .webm) or a photo (.jpg, .jpeg or .webp)."}
		}
	}
	switch {
	case len(videos) == 0 && len(photos) == 0:
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: a post needs a video or photos; TikTok does not publish text alone."}
	case len(videos) > 0 && len(photos) > 0:
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: a post is either one video or photos, not both."}
	case len(videos) > 1:
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: a post takes one video."}
	case len(photos) > 0:
		return a.publishPhotos(ctx, c, p, photos)
	}
	return a.publishVideo(ctx, c, p, videos[0])
}

// publishVideo sends one video the configured way and waits for the outcome.
// A library video's URL is Herald's signed address, which TikTok pulls like any other;
// uploaded, its bytes are streamed from Herald's storage chunk after chunk.
func (a *Adapter) publishVideo(ctx context.Context, c domain.Credentials, p ports.Publication, video ports.PublicationMedia) (ports.Published, error) {
	if a.cfg.UploadMode != UploadFile {
		// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (PULL_FROM_URL)
		init, info, err := a.initVideo(ctx, c.AccessToken, p, sourceInfo{Source: "PULL_FROM_URL", VideoURL: video.URL})
		if err == nil {
			return a.finish(ctx, c.AccessToken, init.PublishID, info, "video")
		}
		// In auto mode an unverified URL is refused at init, before anything is published:
		// upload the file instead.
		if a.cfg.UploadMode == UploadPull || !hasCode(err, "url_ownership_unverified") {
			return ports.Published{}, err
		}
	}

	src, size, ctype, err := a.videoBytes(ctx, video)
	if err != nil {
		return ports.Published{}, err
	}
	defer src.Close()
	chunk, count, err := a.rules.plan(size, a.cfg.ChunkBytes)
	if err != nil {
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: the video's size cannot be sent in TikTok's chunks.", Err: err}
	}
	// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (FILE_UPLOAD)
	init, info, err := a.initVideo(ctx, c.AccessToken, p, sourceInfo{Source: "FILE_UPLOAD", VideoSize: size, ChunkSize: chunk, TotalChunkCount: count})
	if err != nil {
		return ports.Published{}, err
	}
	if init.UploadURL == "" {
		// Nothing can be published without the file.
		return ports.Published{}, &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok did not say where to send the video; Herald will try again.", Err: fmt.Errorf("tiktok: init %s without upload_url", init.PublishID)}
	}
	if err := a.sendChunks(ctx, init.UploadURL, src, size, chunk, count, ctype); err != nil {
		return ports.Published{}, err
	}
	return a.finish(ctx, c.AccessToken, init.PublishID, info, "video")
}

// initVideo initializes a video: a direct post (creator info, then
// /v2/post/publish/video/init/) or an inbox upload (/v2/post/publish/inbox/video/init/).
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
func (a *Adapter) initVideo(ctx context.Context, token string, p ports.Publication, src sourceInfo) (initAnswer, creatorInfo, error) {
	var answer initAnswer
	if a.cfg.PostMode == PostInbox {
		if err := a.initPost(ctx, "/v2/post/publish/inbox/video/init/", token, inboxInit{SourceInfo: src}, src.Source, &answer); err != nil {
			return initAnswer{}, creatorInfo{}, err
		}
		return answer, creatorInfo{}, nil
	}

	// 1. Creator info first, as the direct post guide requires.
	// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
	var info creatorInfo
	if err := a.call(ctx, http.MethodPost, "/v2/post/publish/creator_info/query/", nil, token, nil, &info); err != nil {
		return initAnswer{}, creatorInfo{}, err
	}
	privacy, err := a.choosePrivacy(info.PrivacyLevelOptions)
	if err != nil {
		return initAnswer{}, creatorInfo{}, err
	}
	// 2. Initialize the direct post.
	// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
	body := videoInit{
		PostInfo: postInfo{
			Title:          p.Text,
			PrivacyLevel:   privacy,
			DisableComment: info.CommentDisabled,
			DisableDuet:    info.DuetDisabled,
			DisableStitch:  info.StitchDisabled,
		},
		SourceInfo: src,
	}
	if err := a.initPost(ctx, "/v2/post/publish/video/init/", token, body, src.Source, &answer); err != nil {
		return initAnswer{}, creatorInfo{}, err
	}
	return answer, info, nil
}

// initPost sends an init. With PULL_FROM_URL the init alone makes TikTok fetch and
// publish the media, so it is the create step: an outcome Herald cannot read, or an
// accepted init without a publish_id (nothing to follow), may have published the post
// (domain.MaybePublished). With FILE_UPLOAD nothing is published before the last chunk
// arrives, so every failure of the init is definite.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
func (a *Adapter) initPost(ctx context.Context, path, token string, body any, source string, answer *initAnswer) error {
	pull := source == "PULL_FROM_URL"
	var err error
	if pull {
		err = a.create(ctx, path, token, body, answer)
	} else {
		err = a.call(ctx, http.MethodPost, path, nil, token, body, answer)
	}
	switch {
	case err != nil:
		return err
	case answer.PublishID == "" && pull:
		return domain.MaybePublished(maybePublished, fmt.Errorf("tiktok: %s accepted the post without a publish_id", path))
	case answer.PublishID == "":
		return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok did not say where to send the video; Herald will try again.", Err: fmt.Errorf("tiktok: %s answered without a publish_id", path)}
	}
	return nil
}

// publishPhotos posts photos (pulled by TikTok from their URLs, the first as cover) with
// the text as description, or sends them to the inbox (post_mode MEDIA_UPLOAD).
// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
// Photos take no alt text (the photo post reference documents none), so Alt is not sent.
func (a *Adapter) publishPhotos(ctx context.Context, c domain.Credentials, p ports.Publication, media []ports.PublicationMedia) (ports.Published, error) {
	if len(media) > maxPhotos {
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("TikTok: a photo post takes at most %d photos.", maxPhotos)}
	}
	photos := make([]string, len(media))
	for i, m := range media {
		if !isPhotoType(m) {
			return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: photos must be JPEG or WebP files; TikTok does not take PNG or GIF."}
		}
		photos[i] = m.URL
	}
	if len(utf16.Encode([]rune(p.Text))) > maxPhotoDescription {
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("TikTok: a photo post's text is at most %d characters.", maxPhotoDescription)}
	}
	body := photoInit{
		MediaType:  "PHOTO",
		PostMode:   "DIRECT_POST",
		PostInfo:   photoPostInfo{Description: p.Text},
		SourceInfo: photoSourceInfo{Source: "PULL_FROM_URL", PhotoCoverIndex: 0, PhotoImages: photos},
	}
	var info creatorInfo
	if a.cfg.PostMode == PostInbox {
		body.PostMode = "MEDIA_UPLOAD"
	} else {
		// Creator info first, as for videos.
		// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
		if err := a.call(ctx, http.MethodPost, "/v2/post/publish/creator_info/query/", nil, c.AccessToken, nil, &info); err != nil {
			return ports.Published{}, err
		}
		privacy, err := a.choosePrivacy(info.PrivacyLevelOptions)
		if err != nil {
			return ports.Published{}, err
		}
		body.PostInfo.PrivacyLevel = privacy
		body.PostInfo.DisableComment = info.CommentDisabled
	}
	var answer initAnswer
	if err := a.initPost(ctx, "/v2/post/publish/content/init/", c.AccessToken, body, body.SourceInfo.Source, &answer); err != nil {
		return ports.Published{}, err
	}
	return a.finish(ctx, c.AccessToken, answer.PublishID, info, "photo")
}

// finish polls the publish status and builds the answer: the public post id and URL when
// TikTok gives them, else the publish_id (an inbox upload, or a post that is not public).
func (a *Adapter) finish(ctx context.Context, token, publishID string, info creatorInfo, kind string) (ports.Published, error) {
	st, err := a.waitPublished(ctx, token, publishID)
	if err != nil {
		return ports.Published{}, err
	}
	out := ports.Published{ExternalID: publishID, At: a.now()}
	if len(st.PostIDs) > 0 {
		if id := rawID(st.PostIDs[0]); id != "" {
			out.ExternalID = id
			if info.CreatorUsername != "" {
				out.URL = "https://www.tiktok.com/@" + url.PathEscape(info.CreatorUsername) + "/" + kind + "/" + id
			}
		}
	}
	return out, nil
}

// choosePrivacy returns the configured level when the creator offers it, else the first
// level offered.
func (a *Adapter) choosePrivacy(options []string) (string, error) {
	if contains(options, a.cfg.PrivacyLevel) {
		return a.cfg.PrivacyLevel, nil
	}
	if len(options) > 0 {
		return options[0], nil
	}
	return "", &domain.Error{Code: domain.CodeForbidden, Message: "TikTok offers this account no privacy level to post with; it cannot post through Herald now."}
}

// statusUnknown is the message of a publish TikTok accepted whose end Herald could not read.
const statusUnknown = "TikTok accepted the post, but Herald could not learn how it ended; Herald will check before sending it again."

// waitPublished polls the publish status every PollInterval until TikTok finishes or
// PollTimeout passes. Once TikTok has the whole video (pulled, or every chunk uploaded) it
// goes on publishing whatever Herald does, so only a FAILED status is a definite answer: a
// status that cannot be read, a cancelled wait, or a post still processing at the deadline
// is domain.MaybePublished (the attempt stays open and is reconciled, never blindly sent
// again). TikTok documents no time limit for processing and moderation.
// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
func (a *Adapter) waitPublished(ctx context.Context, token, publishID string) (publishStatus, error) {
	deadline := time.NewTimer(a.cfg.PollTimeout)
	defer deadline.Stop()
	for {
		var st publishStatus
		err := a.call(ctx, http.MethodPost, "/v2/post/publish/status/fetch/", nil, token, map[string]string{"publish_id": publishID}, &st)
		if err != nil {
			return publishStatus{}, domain.MaybePublished(statusUnknown, fmt.Errorf("tiktok: publish %s accepted, status unknown: %w", publishID, err))
		}
		switch st.Status {
		case "PUBLISH_COMPLETE":
			return st, nil
		case "FAILED":
			return publishStatus{}, failure(st.FailReason, publishID)
		case "SEND_TO_USER_INBOX":
			// Inbox uploads end here: the draft waits in the creator's inbox, with no public
			// post yet. A direct post should not.
			// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
			if a.cfg.PostMode == PostInbox {
				return st, nil
			}
			return publishStatus{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok sent the video to the creator's inbox instead of posting it; the creator must finish the post in the TikTok app.", Err: fmt.Errorf("tiktok: publish %s: SEND_TO_USER_INBOX", publishID)}
		}
		wait := time.NewTimer(a.cfg.PollInterval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return publishStatus{}, domain.MaybePublished(statusUnknown, fmt.Errorf("tiktok: waiting for publish %s: %w", publishID, ctx.Err()))
		case <-deadline.C:
			wait.Stop()
			return publishStatus{}, domain.MaybePublished("TikTok is still processing the post; Herald will check on it before sending it again.", fmt.Errorf("tiktok: publish %s accepted, still %s at the deadline", publishID, st.Status))
		case <-wait.C:
		}
	}
}

// failure classifies a FAILED publish by its fail_reason.
// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
func failure(reason, publishID string) error {
	cause := fmt.Errorf("tiktok: publish %s failed: %s", publishID, reason)
	e := func(c domain.Code, msg string) error { return &domain.Error{Code: c, Message: msg, Err: cause} }
	switch reason {
	case "file_format_check_failed":
		return e(domain.CodeInvalid, "TikTok: the video's file format is not supported.")
	case "duration_check_failed":
		return e(domain.CodeInvalid, "TikTok: the video is too long or too short for this account.")
	case "frame_rate_check_failed":
		return e(domain.CodeInvalid, "TikTok: the video's frame rate is not supported.")
	case "picture_size_check_failed":
		return e(domain.CodeInvalid, "TikTok: the video's resolution is not supported.")
	case "video_pull_failed":
		return e(domain.CodeInvalid, "TikTok could not download the video from its web address; check that it is public.")
	case "internal":
		return e(domain.CodeUnavailable, "TikTok had an internal error while publishing; Herald will try again.")
	case "auth_removed":
		return e(domain.CodeUnauthenticated, "TikTok: the account removed Herald's access while publishing; please reconnect it.")
	}
	// The remaining reasons are the error codes of the init call (url_ownership_unverified,
	// spam_risk_*, ...); an unknown one is a permanent refusal.
	return classify(reason, &http.Response{StatusCode: http.StatusBadRequest, Header: http.Header{}}, cause)
}

// rawID reads a post id written as a JSON number or string.
func rawID(raw json.RawMessage) string {
	return strings.Trim(strings.TrimSpace(string(raw)), `"`)
}
