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

	"github.com/heraldhq/herald/adapters/platforms/graph"
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
//   - one image: POST /{page-id}/photos with the image (see photoParams) and caption;
//   - several images: each POST /{page-id}/photos with the image and published=false, then
//     POST /{page-id}/feed with message and attached_media[i]={"media_fbid": id};
//   - one video: POST /{page-id}/videos with file_url and description.
//
// A photo goes with its alt text as alt_text_custom, the Photo node's "user provided
// accessible alternative description for an image"
// (https://developers.facebook.com/docs/graph-api/reference/photo/).
//
// A mix of videos and images, several videos or media of unknown kind are CodeInvalid. When
// the call that creates the post gets no clear answer, the error wraps
// domain.ErrMaybePublished (see create); every other error means the Page has no such post.
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	page, err := pageOf(account)
	if err != nil {
		return ports.Published{}, err
	}
	if c.AccessToken == "" {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "Facebook: this Page has no access token. Reconnect the Page.")
	}
	var images, videos []ports.PublicationMedia
	for _, m := range p.Media {
		switch kindOf(m) {
		case domain.MediaImage:
			images = append(images, m)
		case domain.MediaVideo:
			videos = append(videos, m)
		default:
			return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Facebook: Herald cannot tell whether %s is an image or a video; use a .jpg, .png, .gif, .webp, .mp4, .mov, .m4v or .webm address.", m.URL)
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
	if err := a.create(ctx, page+"/feed", c.AccessToken, params, &ans); err != nil {
		return ports.Published{}, err
	}
	return a.published(page, ans.ID)
}

// create sends the call that creates the post. A clear refusal (a bad token, a permission,
// a rate limit, invalid input, a duplicate) or a request never sent means Facebook has no
// post; anything else after the request may have reached Facebook (no usable answer, a
// server error, graph.MayHaveCreated) may mean it has one: domain.MaybePublished, so Herald
// looks the post up (Lookup) before it ever sends it again.
func (a *Adapter) create(ctx context.Context, path, token string, params url.Values, out any) error {
	err := a.graph.Post(ctx, path, token, params, out)
	if graph.MayHaveCreated(err) {
		return domain.MaybePublished("Facebook did not answer clearly whether the post was published; Herald will check before sending it again.", err)
	}
	return err
}

// createWith is create for a photo: a multipart upload of its bytes when it has them,
// else a form with its url.
func (a *Adapter) createWith(ctx context.Context, path, token string, params url.Values, image ports.PublicationMedia, out any) error {
	if image.Open == nil {
		return a.create(ctx, path, token, params, out)
	}
	err := a.upload(ctx, path, token, params, image, out)
	if graph.MayHaveCreated(err) {
		return domain.MaybePublished("Facebook did not answer clearly whether the post was published; Herald will check before sending it again.", err)
	}
	return err
}

// photoParams are a photo's parameters besides its bytes: url when Facebook is to fetch it
// (an address a person typed), and alt_text_custom when it has alt text. A library photo
// goes as source instead, its bytes in a multipart/form-data upload (upload), so Facebook
// gets exactly the stored file without fetching anything from Herald.
// https://developers.facebook.com/docs/graph-api/reference/page/photos/ (url or source)
// https://developers.facebook.com/docs/graph-api/reference/photo/ (alt_text_custom)
func photoParams(image ports.PublicationMedia) url.Values {
	params := url.Values{}
	if image.Open == nil {
		params.Set("url", image.URL)
	}
	if image.Alt != "" {
		params.Set("alt_text_custom", image.Alt)
	}
	return params
}

// upload posts params with the photo's bytes as the source field, streamed from Herald's
// storage through the Graph client's pipe (never buffered whole). Failing to open the
// stream sends nothing.
func (a *Adapter) upload(ctx context.Context, path, token string, params url.Values, image ports.PublicationMedia, out any) error {
	rc, err := image.Open(ctx)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return err
		}
		return &domain.Error{Code: domain.CodeUnavailable, Message: "Facebook: a photo could not be read from Herald's storage; Herald will try again.", Err: fmt.Errorf("facebook: open photo: %w", err)}
	}
	defer rc.Close()
	name := image.Name
	if name == "" {
		name = "photo"
	}
	return a.graph.Upload(ctx, path, token, params, graph.File{Field: "source", Name: name, ContentType: image.MIMEType, Body: rc}, out)
}

// kindOf is the media's kind as Herald knows it; only an item of unknown kind is judged by
// its address's extension (a signed library URL has none to trust).
func kindOf(m ports.PublicationMedia) domain.MediaKind {
	if m.Kind != "" {
		return m.Kind
	}
	return domain.KindOfMedia(m.URL)
}

func (a *Adapter) publishPhoto(ctx context.Context, token, page, text string, image ports.PublicationMedia) (ports.Published, error) {
	params := photoParams(image)
	if text != "" {
		params.Set("caption", text)
	}
	var ans idAnswer
	// POST /{page-id}/photos answers {id, post_id}
	// (https://developers.facebook.com/documentation/pages-api/posts.md).
	if err := a.createWith(ctx, page+"/photos", token, params, image, &ans); err != nil {
		return ports.Published{}, err
	}
	if ans.PostID == "" {
		if ans.ID == "" {
			return ports.Published{}, missingID()
		}
		return ports.Published{ExternalID: ans.ID, URL: "https://www.facebook.com/photo.php?fbid=" + url.QueryEscape(ans.ID), At: a.cfg.Now()}, nil
	}
	return a.published(page, ans.PostID)
}

func (a *Adapter) publishPhotos(ctx context.Context, token, page, text string, images []ports.PublicationMedia) (ports.Published, error) {
	params := url.Values{}
	if text != "" {
		params.Set("message", text)
	}
	for i, image := range images {
		up := photoParams(image)
		up.Set("published", "false")
		// An unpublished photo is no post: whatever happens here, the Page has none yet.
		var ans idAnswer
		var err error
		if image.Open != nil {
			err = a.upload(ctx, page+"/photos", token, up, image, &ans)
		} else {
			err = a.graph.Post(ctx, page+"/photos", token, up, &ans)
		}
		if err != nil {
			return ports.Published{}, err
		}
		if ans.ID == "" {
			return ports.Published{}, &domain.Error{Code: domain.CodeUnavailable, Message: "Facebook accepted a photo but did not say its id; Herald will try again.", Err: errors.New("facebook: photo upload answer without id")}
		}
		media, _ := json.Marshal(map[string]string{"media_fbid": ans.ID})
		params.Set("attached_media["+strconv.Itoa(i)+"]", string(media))
	}
	var ans idAnswer
	if err := a.create(ctx, page+"/feed", token, params, &ans); err != nil {
		return ports.Published{}, err
	}
	return a.published(page, ans.ID)
}

// publishVideo sends the video as file_url, its address, for every video: a library
// video's address is Herald's signed URL (valid for domain.MediaURLTTL), which Facebook
// fetches itself, so no byte of it passes through Herald's publishing worker. The
// publishing guide's way to send the bytes instead is the Resumable Upload API (an upload
// session on /<APP_ID>/uploads, the file sent to it, then the handle as
// fbuploader_video_file_chunk on /<PAGE_ID>/videos): several calls per video, each a new
// way to fail between Herald and Facebook, for a file Facebook can fetch in one.
// https://developers.facebook.com/documentation/video-api/guides/publishing.md
// The description is the text; the Page videos edge takes no alt text.
func (a *Adapter) publishVideo(ctx context.Context, token, page, text string, video ports.PublicationMedia) (ports.Published, error) {
	params := url.Values{}
	params.Set("file_url", video.URL)
	if text != "" {
		params.Set("description", text)
	}
	var ans idAnswer
	// POST /{page-id}/videos with file_url answers {id}, the video's id; Facebook fetches and
	// processes the file afterwards, and publishes the post when it is ready
	// (https://developers.facebook.com/documentation/video-api/guides/publishing.md).
	if err := a.create(ctx, page+"/videos", token, params, &ans); err != nil {
		return ports.Published{}, err
	}
	if !graphID.MatchString(ans.ID) { // it goes into the status poll's path
		return ports.Published{}, missingID()
	}
	if err := a.awaitVideo(ctx, token, ans.ID); err != nil && domain.CodeOf(err) == domain.CodeInvalid {
		return ports.Published{}, err // Facebook could not process it: nothing was posted
	}
	// Otherwise the video exists and Facebook publishes it once processed, even when its
	// status could not be read: the post is Herald's, with this id.
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
		if err := a.graph.Get(ctx, videoID, token, params, &v); err != nil {
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

// missingID is a successful answer to the creating call without the post's id: the post
// exists, or may.
func missingID() error {
	return domain.MaybePublished("Facebook accepted the post but did not say its id; Herald will check whether it was published.", errors.New("facebook: answer without id"))
}

// lookupWindow is how far back Lookup searches the Page's posts, and lookupPages how many
// pages of a hundred it reads at most.
const (
	lookupWindow = 72 * time.Hour
	lookupPages  = 5
)

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
	var found ports.Published
	// Posts come newest first, a hundred a page, following the cursors.
	err = graph.Each(ctx, a.graph, page+"/posts", c.AccessToken, params, lookupPages, func(post postAnswer) bool {
		if strings.TrimSpace(post.Message) != want {
			return true
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
		found = ports.Published{ExternalID: post.ID, URL: link, At: at}
		return false
	})
	if err != nil {
		return ports.Published{}, false, err
	}
	return found, found.ExternalID != "", nil
}
