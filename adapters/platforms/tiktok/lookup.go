package tiktok

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// lookupPages is how many pages of the creator's latest videos Lookup reads (20 each).
const lookupPages = 3

// video is a Display API video object.
// https://developers.tiktok.com/doc/display-api-overview/
type video struct {
	ID               string `json:"id"`
	Title            string `json:"title"`
	VideoDescription string `json:"video_description"`
	CreateTime       int64  `json:"create_time"`
	ShareURL         string `json:"share_url"`
	LikeCount        int64  `json:"like_count"`
	CommentCount     int64  `json:"comment_count"`
	ShareCount       int64  `json:"share_count"`
	ViewCount        int64  `json:"view_count"`
}

// Lookup looks for the publication among the creator's latest public videos (POST
// /v2/video/list/, newest first, scope video.list), matching the caption. TikTok lists only
// public videos that finished processing and moderation, and gives no way to find a post
// by anything Herald sent, so a video that is not found may still exist (private, or still
// being moderated): Lookup then returns ports.ErrLookupUnsupported, never found false, so
// Herald does not post it twice. It returns ErrLookupUnsupported without a call in inbox
// mode (a draft carries no caption and is not listed) and for a publication without text.
// https://developers.tiktok.com/doc/tiktok-api-v2-video-list/ (cursor: a UTC Unix time in
// milliseconds; max_count at most 20)
// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status (no
// post_id until moderation is done)
func (a *Adapter) Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, bool, error) {
	want := strings.TrimSpace(p.Text)
	if want == "" || a.cfg.PostMode == PostInbox {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	q := url.Values{"fields": {"id,title,video_description,create_time,share_url"}}
	var cursor int64
	for page := 0; page < lookupPages; page++ {
		body := map[string]int64{"max_count": 20}
		if cursor != 0 {
			body["cursor"] = cursor
		}
		var list struct {
			Videos  []video `json:"videos"`
			Cursor  int64   `json:"cursor"`
			HasMore bool    `json:"has_more"`
		}
		if err := a.call(ctx, http.MethodPost, "/v2/video/list/", q, c.AccessToken, body, &list); err != nil {
			return ports.Published{}, false, err
		}
		for _, v := range list.Videos {
			if strings.TrimSpace(v.Title) == want || strings.TrimSpace(v.VideoDescription) == want {
				return ports.Published{ExternalID: v.ID, URL: v.ShareURL, At: time.Unix(v.CreateTime, 0).UTC()}, true, nil
			}
		}
		if !list.HasMore || list.Cursor == 0 {
			break
		}
		cursor = list.Cursor
	}
	return ports.Published{}, false, ports.ErrLookupUnsupported
}

// Metrics reads the video's counts (POST /v2/video/query/ with filters.video_ids, scope
// video.list): likes, comments and shares; views stand for both impressions and reach,
// TikTok giving no separate reach. A video TikTok does not return (deleted, private, or
// not the creator's) is CodeNotFound; an account that did not grant video.list is
// CodeForbidden (TikTok's scope_not_authorized). A post Herald knows only by its publish_id
// (an inbox draft, or a post TikTok gave no public id for) has no numbers TikTok shares:
// ports.ErrMetricsUnsupported, without a call.
// https://developers.tiktok.com/doc/display-api-overview/ and, for filters.video_ids (at
// most 20, the creator's own videos only), https://developers.tiktok.com/doc/tiktok-api-v1-video-query
// which links its v2 version
func (a *Adapter) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	if !isPostID(externalID) {
		return domain.Metrics{}, &domain.Error{Code: domain.CodeNotFound, Err: ports.ErrMetricsUnsupported,
			Message: "TikTok gives apps no public id for this post (it is private, or a draft in the creator's inbox), so Herald cannot read its numbers."}
	}
	q := url.Values{"fields": {"id,like_count,comment_count,share_count,view_count"}}
	body := map[string]any{"filters": map[string][]string{"video_ids": {externalID}}}
	var answer struct {
		Videos []video `json:"videos"`
	}
	if err := a.call(ctx, http.MethodPost, "/v2/video/query/", q, c.AccessToken, body, &answer); err != nil {
		return domain.Metrics{}, err
	}
	for _, v := range answer.Videos {
		if v.ID == externalID {
			// view_count counts views, repeats included: impressions. TikTok gives apps no
			// count of distinct viewers, so reach stays zero rather than claim views as people.
			// https://developers.tiktok.com/doc/tiktok-api-v2-video-object
			return domain.Metrics{Likes: v.LikeCount, Comments: v.CommentCount, Shares: v.ShareCount, Impressions: v.ViewCount}, nil
		}
	}
	return domain.Metrics{}, &domain.Error{Code: domain.CodeNotFound, Message: "TikTok: the video is not public or no longer exists, so it has no numbers to show."}
}

// isPostID reports whether id is a TikTok post id (digits), not a publish_id such as
// "v_inbox_url~v2.123".
func isPostID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
