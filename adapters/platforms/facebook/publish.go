package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// linkPattern finds the first web address in a post's text, sent as the feed post's link.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

type idAnswer struct {
	ID     string `json:"id"`
	PostID string `json:"post_id"`
}

// Publish publishes p on the Page (https://developers.facebook.com/documentation/pages-api/posts.md):
//   - text alone: POST /{page-id}/feed with message (and link, the first address in the text);
//   - one image: POST /{page-id}/photos with url and caption;
//   - several images: each POST /{page-id}/photos with url and published=false, then
//     POST /{page-id}/feed with message and attached_media[i]={"media_fbid": id};
//   - one video: POST /{page-id}/videos with file_url and description.
//
// A mix of videos and images, several videos or media of unknown kind are CodeInvalid.
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	page, err := pageOf(account)
	if err != nil {
		return ports.Published{}, err
	}
	if c.AccessToken == "" {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "Facebook: this Page has no access token. Reconnect the Page.")
	}
	var images, videos []string
	for _, m := range p.MediaURLs {
		switch domain.KindOfMedia(m) {
		case domain.MediaImage:
			images = append(images, m)
		case domain.MediaVideo:
			videos = append(videos, m)
		default:
			return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Facebook: Herald cannot tell whether %s is an image or a video; use a .jpg, .png, .gif, .webp, .mp4, .mov, .m4v or .webm address.", m)
		}
	}
	switch {
	case len(videos) > 0 && (len(images) > 0 || len(videos) > 1):
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Facebook: a Page post carries either photos or one video, not several videos or both.")
	case len(videos) == 1:
		return a.publishVideo(ctx, c.AccessToken, page, p.Text, videos[0])
	case len(images) == 1:
		return a.publishPhoto(ctx, c.AccessToken, page, p.Text, images[0])
	case len(images) > 1:
		return a.publishPhotos(ctx, c.AccessToken, page, p.Text, images)
	case strings.TrimSpace(p.Text) == "":
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Facebook: the post is empty; write something or attach media.")
	}
	params := url.Values{}
	params.Set("message", p.Text)
	if link := linkPattern.FindString(p.Text); link != "" {
		params.Set("link", link)
	}
	var ans idAnswer
	if err := a.post(ctx, page+"/feed", c.AccessToken, params, &ans); err != nil {
		return ports.Published{}, unclear(err)
	}
	return a.published(page, ans.ID)
}

func (a *Adapter) publishPhoto(ctx context.Context, token, page, text, image string) (ports.Published, error) {
	params := url.Values{}
	params.Set("url", image)
	if text != "" {
		params.Set("caption", text)
	}
	var ans idAnswer
	// POST /{page-id}/photos answers {id, post_id}
	// (https://developers.facebook.com/documentation/pages-api/posts.md).
	if err := a.post(ctx, page+"/photos", token, params, &ans); err != nil {
		return ports.Published{}, unclear(err)
	}
	if ans.PostID == "" {
		if ans.ID == "" {
			return ports.Published{}, missingID()
		}
		return ports.Published{ExternalID: ans.ID, URL: "https://www.facebook.com/photo.php?fbid=" + url.QueryEscape(ans.ID), At: a.cfg.Now()}, nil
	}
	return a.published(page, ans.PostID)
}

func (a *Adapter) publishPhotos(ctx context.Context, token, page, text string, images []string) (ports.Published, error) {
	params := url.Values{}
	if text != "" {
		params.Set("message", text)
	}
	for i, image := range images {
		up := url.Values{}
		up.Set("url", image)
		up.Set("published", "false")
		var ans idAnswer
		if err := a.post(ctx, page+"/photos", token, up, &ans); err != nil {
			return ports.Published{}, err
		}
		if ans.ID == "" {
			return ports.Published{}, missingID()
		}
		media, _ := json.Marshal(map[string]string{"media_fbid": ans.ID})
		params.Set("attached_media["+strconv.Itoa(i)+"]", string(media))
	}
	var ans idAnswer
	if err := a.post(ctx, page+"/feed", token, params, &ans); err != nil {
		return ports.Published{}, unclear(err)
	}
	return a.published(page, ans.ID)
}

func (a *Adapter) publishVideo(ctx context.Context, token, page, text, video string) (ports.Published, error) {
	params := url.Values{}
	params.Set("file_url", video)
	if text != "" {
		params.Set("description", text)
	}
	var ans idAnswer
	// POST /{page-id}/videos with file_url answers {id}, the video's id; Facebook fetches and
	// processes the file afterwards (https://developers.facebook.com/documentation/pages-api/posts.md).
	if err := a.post(ctx, page+"/videos", token, params, &ans); err != nil {
		return ports.Published{}, unclear(err)
	}
	if ans.ID == "" {
		return ports.Published{}, missingID()
	}
	if err := a.awaitVideo(ctx, token, ans.ID); err != nil {
		if domain.CodeOf(err) == domain.CodeInvalid {
			return ports.Published{}, err // Facebook could not process it: nothing was posted
		}
		// The video exists; only its status could not be read.
		return ports.Published{}, fmt.Errorf("facebook: video %s uploaded, status unknown: %v", ans.ID, err)
	}
	// The video's Page post is {page-id}_{video-id}, the id /{page-id}/posts lists it under.
	return ports.Published{
		ExternalID: page + "_" + ans.ID,
		URL:        "https://www.facebook.com/" + url.PathEscape(page) + "/videos/" + url.PathEscape(ans.ID),
		At:         a.cfg.Now(),
	}, nil
}

// awaitVideo checks the uploaded video's processing (GET /{video-id}?fields=status, whose
// video_status is ready, processing, expired or error,
// https://developers.facebook.com/docs/graph-api/reference/video-status) every
// VideoPollInterval for up to VideoPollBudget. A video Facebook could not process is
// CodeInvalid; one still processing when the budget ends is left to finish on Facebook's
// side, which publishes the post when it is ready.
func (a *Adapter) awaitVideo(ctx context.Context, token, videoID string) error {
	if a.cfg.VideoPollBudget < 0 {
		return nil
	}
	attempts := int(a.cfg.VideoPollBudget/a.cfg.VideoPollInterval) + 1
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("facebook: wait for video processing: %w", ctx.Err())
		case <-timer.C:
		}
		params := url.Values{}
		params.Set("fields", "status")
		var v struct {
			Status struct {
				VideoStatus string `json:"video_status"`
			} `json:"status"`
		}
		if err := a.get(ctx, videoID, token, params, &v); err != nil {
			return err
		}
		switch v.Status.VideoStatus {
		case "ready":
			return nil
		case "error", "expired":
			return &domain.Error{Code: domain.CodeInvalid, Message: "Facebook could not process this video. Check that the file is a valid video at a public address.", Err: fmt.Errorf("facebook: video %s status %q", videoID, v.Status.VideoStatus)}
		}
		if attempts--; attempts <= 0 {
			return nil
		}
		timer.Reset(a.cfg.VideoPollInterval)
	}
}

// published builds the answer for a Page post id, "{page-id}_{post-id}".
func (a *Adapter) published(page, id string) (ports.Published, error) {
	if id == "" {
		return ports.Published{}, missingID()
	}
	return ports.Published{ExternalID: id, URL: permalink(page, id), At: a.cfg.Now()}, nil
}

func permalink(page, id string) string {
	post := id
	if p, rest, ok := strings.Cut(id, "_"); ok && p == page {
		post = rest
	}
	return "https://www.facebook.com/" + url.PathEscape(page) + "/posts/" + url.PathEscape(post)
}

func missingID() error {
	return &domain.Error{Code: domain.CodeUnavailable, Message: "Facebook accepted the post but did not say its id; Herald will check whether it was published.", Err: errors.New("facebook: answer without id")}
}

// lookupWindow is how far back Lookup searches the Page's posts.
const lookupWindow = 72 * time.Hour

type postAnswer struct {
	ID           string `json:"id"`
	Message      string `json:"message"`
	CreatedTime  string `json:"created_time"`
	PermalinkURL string `json:"permalink_url"`
}

// Lookup lists the Page's posts of the last three days (GET /{page-id}/posts with fields
// id,message,created_time,permalink_url, https://developers.facebook.com/documentation/pages-api/posts.md)
// and returns the newest whose message is p's text. A post without text cannot be told apart:
// ErrLookupUnsupported.
func (a *Adapter) Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, bool, error) {
	page, err := pageOf(account)
	if err != nil {
		return ports.Published{}, false, err
	}
	want := strings.TrimSpace(p.Text)
	if want == "" {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	params := url.Values{}
	params.Set("fields", "id,message,created_time,permalink_url")
	params.Set("limit", "100")
	params.Set("since", strconv.FormatInt(a.cfg.Now().Add(-lookupWindow).Unix(), 10))
	var list struct {
		Data []postAnswer `json:"data"`
	}
	if err := a.get(ctx, page+"/posts", c.AccessToken, params, &list); err != nil {
		return ports.Published{}, false, err
	}
	// Posts come newest first.
	for _, post := range list.Data {
		if strings.TrimSpace(post.Message) != want {
			continue
		}
		at, err := time.Parse("2006-01-02T15:04:05-0700", post.CreatedTime)
		if err != nil {
			at = time.Time{}
		} else {
			at = at.UTC()
		}
		link := post.PermalinkURL
		if link == "" {
			link = permalink(page, post.ID)
		}
		return ports.Published{ExternalID: post.ID, URL: link, At: at}, true, nil
	}
	return ports.Published{}, false, nil
}

// The post insights asked for. Meta replaced the impressions metrics with views on
// November 15, 2025: post_media_view counts views, post_total_media_view_unique the people
// reached (https://developers.facebook.com/documentation/pages-api/platforminsights/page/deprecated-metrics,
// https://developers.facebook.com/blog/post/2025/08/15/page-insights-api-updates/).
const (
	metricViews = "post_media_view"
	metricReach = "post_total_media_view_unique"
)

// Metrics reads the post's reactions, comments and shares (GET /{post-id} with
// reactions.summary(true), comments.summary(true) and shares,
// https://developers.facebook.com/documentation/pages-api/posts.md) and its views and reach
// (GET /{post-id}/insights, https://developers.facebook.com/docs/graph-api/reference/insights).
// Insights Facebook will not give (a metric it does not offer for this post, a Page under
// 100 likes, read_insights not granted) leave Reach and Impressions at zero.
func (a *Adapter) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	if externalID == "" {
		return domain.Metrics{}, domain.Errorf(domain.CodeInvalid, "Facebook: the post has no id to read numbers for.")
	}
	params := url.Values{}
	params.Set("fields", "reactions.summary(true).limit(0),comments.summary(true).limit(0),shares")
	var post struct {
		Reactions struct {
			Summary struct {
				TotalCount int64 `json:"total_count"`
			} `json:"summary"`
		} `json:"reactions"`
		Comments struct {
			Summary struct {
				TotalCount int64 `json:"total_count"`
			} `json:"summary"`
		} `json:"comments"`
		Shares struct {
			Count int64 `json:"count"`
		} `json:"shares"`
	}
	if err := a.get(ctx, externalID, c.AccessToken, params, &post); err != nil {
		return domain.Metrics{}, err
	}
	m := domain.Metrics{
		Likes:    post.Reactions.Summary.TotalCount,
		Comments: post.Comments.Summary.TotalCount,
		Shares:   post.Shares.Count,
	}

	params = url.Values{}
	params.Set("metric", metricViews+","+metricReach)
	var insights struct {
		Data []struct {
			Name   string `json:"name"`
			Values []struct {
				Value json.RawMessage `json:"value"`
			} `json:"values"`
		} `json:"data"`
	}
	if err := a.get(ctx, externalID+"/insights", c.AccessToken, params, &insights); err != nil {
		var e *domain.Error
		if errors.As(err, &e) && (e.Code == domain.CodeInvalid || e.Code == domain.CodeForbidden) {
			return m, nil
		}
		return domain.Metrics{}, fmt.Errorf("facebook: insights: %w", err)
	}
	for _, d := range insights.Data {
		if len(d.Values) == 0 {
			continue
		}
		var n int64
		if json.Unmarshal(d.Values[len(d.Values)-1].Value, &n) != nil {
			continue
		}
		switch d.Name {
		case metricViews:
			m.Impressions = n
		case metricReach:
			m.Reach = n
		}
	}
	return m, nil
}

// unclear passes on a definite refusal of a call that creates a post (Facebook read the
// request and answered 4xx: nothing was posted) and turns anything else (5xx, an answer
// that cannot be read, the network) into an unclassified error: the post may exist, so
// Herald looks for it (Lookup) before sending it again.
func unclear(err error) error {
	var g *graphError
	if errors.As(err, &g) && g.status >= 400 && g.status < 500 {
		return err
	}
	switch domain.CodeOf(err) {
	case domain.CodeUnavailable:
		status := 0
		if g != nil {
			status = g.status
		}
		return fmt.Errorf("facebook: the post may or may not exist (HTTP %d): %s", status, domain.MessageOf(err))
	case domain.CodeInternal:
		return fmt.Errorf("facebook: the post may or may not exist: %w", err) // transport errors are already redacted
	}
	return err
}
