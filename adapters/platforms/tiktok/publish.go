package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

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

type sourceInfo struct {
	Source   string `json:"source"`
	VideoURL string `json:"video_url"`
}

type videoInit struct {
	PostInfo   postInfo   `json:"post_info"`
	SourceInfo sourceInfo `json:"source_info"`
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

// Publish posts the publication's video to the creator's profile: it reads creator info,
// chooses the privacy level and interaction settings it allows, asks TikTok to pull the
// video from its URL, and polls the publish status until TikTok is done. TikTok posts
// videos only: a publication without one is CodeInvalid.
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	video := ""
	for _, m := range p.MediaURLs {
		if domain.KindOfMedia(m) == domain.MediaVideo {
			video = m
			break
		}
	}
	if video == "" {
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: a post needs a video (.mp4, .mov, .m4v or .webm); TikTok does not publish text or images alone here."}
	}

	// 1. Creator info first, as the direct post guide requires.
	// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
	var info creatorInfo
	if err := a.call(ctx, http.MethodPost, "/v2/post/publish/creator_info/query/", nil, c.AccessToken, nil, &info); err != nil {
		return ports.Published{}, err
	}
	privacy, err := a.choosePrivacy(info.PrivacyLevelOptions)
	if err != nil {
		return ports.Published{}, err
	}

	// 2. Initialize the direct post with PULL_FROM_URL.
	// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
	// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
	body := videoInit{
		PostInfo: postInfo{
			Title:          p.Text,
			PrivacyLevel:   privacy,
			DisableComment: info.CommentDisabled,
			DisableDuet:    info.DuetDisabled,
			DisableStitch:  info.StitchDisabled,
		},
		SourceInfo: sourceInfo{Source: "PULL_FROM_URL", VideoURL: video},
	}
	var initAnswer struct {
		PublishID string `json:"publish_id"`
	}
	if err := a.call(ctx, http.MethodPost, "/v2/post/publish/video/init/", nil, c.AccessToken, body, &initAnswer); err != nil {
		return ports.Published{}, err
	}
	if initAnswer.PublishID == "" {
		// Accepted but untraceable: the video may appear, so this is not "surely failed".
		return ports.Published{}, errors.New("tiktok: init accepted the video without a publish_id")
	}

	// 3. Poll until PUBLISH_COMPLETE or FAILED.
	st, err := a.waitPublished(ctx, c.AccessToken, initAnswer.PublishID)
	if err != nil {
		return ports.Published{}, err
	}
	out := ports.Published{ExternalID: initAnswer.PublishID, At: a.now()}
	if len(st.PostIDs) > 0 {
		if id := rawID(st.PostIDs[0]); id != "" {
			out.ExternalID = id
			if info.CreatorUsername != "" {
				out.URL = "https://www.tiktok.com/@" + url.PathEscape(info.CreatorUsername) + "/video/" + id
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

// waitPublished polls the publish status every PollInterval until TikTok finishes or
// PollTimeout passes. Once init accepted the video TikTok goes on publishing it whatever
// Herald does, so only a FAILED status is a definite answer: a status that cannot be read,
// or a video still processing at the deadline, comes back as an unclassified error, which
// Herald treats as "may have been published" (the attempt stays open and is reconciled,
// never blindly sent again).
// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
func (a *Adapter) waitPublished(ctx context.Context, token, publishID string) (publishStatus, error) {
	deadline := time.NewTimer(a.cfg.PollTimeout)
	defer deadline.Stop()
	for {
		var st publishStatus
		err := a.call(ctx, http.MethodPost, "/v2/post/publish/status/fetch/", nil, token, map[string]string{"publish_id": publishID}, &st)
		if err != nil {
			// %v, not %w: the status call's class must not make the publish look undelivered.
			return publishStatus{}, fmt.Errorf("tiktok: publish %s accepted, status unknown: %v", publishID, err)
		}
		switch st.Status {
		case "PUBLISH_COMPLETE":
			return st, nil
		case "FAILED":
			return publishStatus{}, failure(st.FailReason, publishID)
		case "SEND_TO_USER_INBOX":
			// Only inbox uploads end here; a direct post should not.
			return publishStatus{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok sent the video to the creator's inbox instead of posting it; the creator must finish the post in the TikTok app.", Err: fmt.Errorf("tiktok: publish %s: SEND_TO_USER_INBOX", publishID)}
		}
		wait := time.NewTimer(a.cfg.PollInterval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return publishStatus{}, fmt.Errorf("tiktok: waiting for publish %s: %w", publishID, ctx.Err())
		case <-deadline.C:
			wait.Stop()
			return publishStatus{}, fmt.Errorf("tiktok: publish %s accepted, still %s at the deadline", publishID, st.Status)
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
