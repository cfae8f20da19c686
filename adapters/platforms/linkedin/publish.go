package linkedin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// post is the body of POST /rest/posts.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
type post struct {
	Author                    string       `json:"author"`
	Commentary                string       `json:"commentary"`
	Visibility                string       `json:"visibility"`
	Distribution              distribution `json:"distribution"`
	Content                   *content     `json:"content,omitempty"`
	LifecycleState            string       `json:"lifecycleState"`
	IsReshareDisabledByAuthor bool         `json:"isReshareDisabledByAuthor"`
}

type distribution struct {
	FeedDistribution               string   `json:"feedDistribution"`
	TargetEntities                 []string `json:"targetEntities"`
	ThirdPartyDistributionChannels []string `json:"thirdPartyDistributionChannels"`
}

// content holds one media item, or several images.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api
type content struct {
	Media      *mediaRef   `json:"media,omitempty"`
	MultiImage *multiImage `json:"multiImage,omitempty"`
}

// mediaRef names an uploaded image or video, with the alt text screen readers announce
// (altText, omitted when there is none).
type mediaRef struct {
	ID      string `json:"id"`
	AltText string `json:"altText,omitempty"`
}

type multiImage struct {
	Images []mediaRef `json:"images"`
}

// initUpload is the Images API's initializeUpload request and answer.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
type initUploadRequest struct {
	InitializeUploadRequest struct {
		Owner string `json:"owner"`
	} `json:"initializeUploadRequest"`
}

type initUploadResponse struct {
	Value struct {
		UploadURL          string `json:"uploadUrl"`
		UploadURLExpiresAt int64  `json:"uploadUrlExpiresAt"`
		Image              string `json:"image"`
	} `json:"value"`
}

// isMember reports whether the author URN is a member's (not an organization's).
func isMember(urn string) bool { return strings.HasPrefix(urn, "urn:li:person:") }

// thousands writes n with a comma between thousands ("3,012").
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// author checks the account's external id is a member or organization URN.
func author(account domain.Account) (string, error) {
	id := account.ExternalID
	if strings.HasPrefix(id, "urn:li:person:") || strings.HasPrefix(id, "urn:li:organization:") {
		return id, nil
	}
	return "", domain.Errorf(domain.CodeInvalid, "LinkedIn: the account %q is not a LinkedIn member or organization; please reconnect it.", account.DisplayName)
}

// maxCommentaryRunes is the longest commentary LinkedIn takes, counted on the text as sent,
// escapes included.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
const maxCommentaryRunes = 3000

// Publish uploads the media (up to 20 images, or one video), then creates the post. Text
// goes out in LinkedIn's little format, escaped; text longer than 3,000 characters once
// escaped is CodeInvalid, before LinkedIn is called. An error after the create request may
// have reached LinkedIn wraps domain.ErrMaybePublished (see create); every other error
// means LinkedIn has no post.
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	owner, err := author(account)
	if err != nil {
		return ports.Published{}, err
	}
	commentary := escapeLittle(p.Text)
	if n := utf8.RuneCountInString(commentary); n > maxCommentaryRunes {
		// Each reserved character of the little format goes out behind a backslash, which
		// LinkedIn counts.
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
		problem := fmt.Sprintf("is %s characters long as LinkedIn counts it (its %d reserved characters such as # ( ) @ _ * each take an escaping backslash); LinkedIn allows %s",
			thousands(n), n-utf8.RuneCountInString(p.Text), thousands(maxCommentaryRunes))
		return ports.Published{}, &domain.Error{Code: domain.CodeInvalid, Message: "LinkedIn: the text " + problem + ".", Fields: map[string]string{"content": problem}}
	}
	videos := 0
	for i, m := range p.Media {
		switch kindOf(m) {
		case domain.MediaImage:
		case domain.MediaVideo:
			videos++
		default:
			return ports.Published{}, domain.Errorf(domain.CodeInvalid, "LinkedIn: media %d is neither an image nor a video Herald recognises.", i+1)
		}
	}
	if videos > 0 && len(p.Media) > 1 {
		// content.media takes one video; multiImage takes images only.
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "LinkedIn: a post with a video takes that one video alone; this one has %d media items.", len(p.Media))
	}
	if len(p.Media) > 20 {
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "LinkedIn: a post takes at most 20 images; this one has %d.", len(p.Media))
	}
	// Image or video URNs in order, each with its alt text: the Posts API's media content
	// and the MultiImage API's images both take altText beside the URN.
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api
	media := make([]mediaRef, 0, len(p.Media))
	for i, m := range p.Media {
		upload := a.uploadImage
		if videos > 0 {
			upload = a.uploadVideo
		}
		urn, err := upload(ctx, c.AccessToken, owner, m, i+1)
		if err != nil {
			return ports.Published{}, err
		}
		media = append(media, mediaRef{ID: urn, AltText: m.Alt})
	}
	body := post{
		Author:         owner,
		Commentary:     commentary,
		Visibility:     "PUBLIC",
		Distribution:   distribution{FeedDistribution: "MAIN_FEED", TargetEntities: []string{}, ThirdPartyDistributionChannels: []string{}},
		LifecycleState: "PUBLISHED",
	}
	switch len(media) {
	case 0:
	case 1:
		body.Content = &content{Media: &media[0]}
	default:
		body.Content = &content{MultiImage: &multiImage{Images: media}}
	}
	// POST /rest/posts: 201 Created, the new post's URN in the x-restli-id header.
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
	h, err := a.create(ctx, call{method: http.MethodPost, path: "/rest/posts", token: c.AccessToken, body: body, restli: true, what: "publish the post"})
	if err != nil {
		return ports.Published{}, err
	}
	id := h.Get("X-Restli-Id")
	if id == "" {
		// A success without the id: the post exists, but Herald cannot name it.
		return ports.Published{}, domain.MaybePublished("LinkedIn accepted the post without naming it; Herald will look for it.",
			errors.New("linkedin: publish the post: 2xx answer without x-restli-id"))
	}
	return ports.Published{ExternalID: id, URL: permalink(id), At: a.now()}, nil
}

// permalink is the post's public address.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
func permalink(urn string) string { return "https://www.linkedin.com/feed/update/" + urn + "/" }

// uploadImage uploads one image through the Images API: initializeUpload (owner URN) then
// PUT the bytes to the uploadUrl, streamed from Herald's storage for a library file or
// downloaded from the image's address otherwise.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
func (a *Adapter) uploadImage(ctx context.Context, token, owner string, m ports.PublicationMedia, n int) (string, error) {
	src, err := a.open(ctx, m, n)
	if err != nil {
		return "", err
	}
	defer src.Close()
	var req initUploadRequest
	req.InitializeUploadRequest.Owner = owner
	var init initUploadResponse
	if _, err := a.do(ctx, call{method: http.MethodPost, path: "/rest/images?action=initializeUpload", token: token, body: req, restli: true, what: "prepare an image upload"}, &init); err != nil {
		return "", err
	}
	if init.Value.UploadURL == "" || init.Value.Image == "" {
		return "", fmt.Errorf("linkedin: prepare an image upload: answer without uploadUrl or image")
	}
	if err := a.put(ctx, token, init.Value.UploadURL, io.LimitReader(src, src.size), src.size, src.ctype, "upload image "+strconv.Itoa(n), "an image"); err != nil {
		return "", err
	}
	return init.Value.Image, nil
}

// put PUTs size bytes read from body to an upload URL LinkedIn gave, with the member's
// bearer token; a refusal is classified like any LinkedIn answer.
func (a *Adapter) put(ctx context.Context, token, uploadURL string, body io.Reader, size int64, ctype, what, thing string) error {
	_, err := a.putPart(ctx, token, uploadURL, body, size, ctype, what, thing, false)
	return err
}

// putPart is put, and returns the ETag LinkedIn answers when etag is asked for (a video
// part's id for finalizeUpload).
func (a *Adapter) putPart(ctx context.Context, token, uploadURL string, body io.Reader, size int64, ctype, what, thing string, etag bool) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, body)
	if err != nil {
		return "", fmt.Errorf("linkedin: %s: %w", what, err)
	}
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := a.http.Do(req)
	if err != nil {
		return "", &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached while uploading " + thing + "; Herald will try again.", Err: fmt.Errorf("linkedin: %s: %w", what, err)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", a.classify(resp, raw, what)
	}
	if !etag {
		return "", nil
	}
	tag := resp.Header.Get("ETag")
	if tag == "" {
		return "", fmt.Errorf("linkedin: %s: part answered without an ETag", what)
	}
	return tag, nil
}

// source is the bytes of one media item on their way to LinkedIn, and how many there are.
type source struct {
	io.Reader
	size  int64
	ctype string
	close func() error
}

// Close releases the stream.
func (s source) Close() error { return s.close() }

// open returns the media's bytes: streamed from Herald's storage when the item is a
// library file of known size (never held in memory whole), else downloaded from its
// address as for any address a person typed.
func (a *Adapter) open(ctx context.Context, m ports.PublicationMedia, n int) (source, error) {
	if m.Open != nil && m.Size > 0 {
		rc, err := m.Open(ctx)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				return source{}, err
			}
			return source{}, &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("LinkedIn: media %d could not be read from Herald's storage; Herald will try again.", n), Err: fmt.Errorf("linkedin: open media %d: %w", n, err)}
		}
		return source{Reader: rc, size: m.Size, ctype: m.MIMEType, close: rc.Close}, nil
	}
	data, ctype, err := a.download(ctx, m.URL, n)
	if err != nil {
		return source{}, err
	}
	return source{Reader: bytes.NewReader(data), size: int64(len(data)), ctype: ctype, close: func() error { return nil }}, nil
}

// kindOf is the media's kind as Herald knows it; only an item of unknown kind is judged by
// its address's extension (a signed library URL has none to trust).
func kindOf(m ports.PublicationMedia) domain.MediaKind {
	if m.Kind != "" {
		return m.Kind
	}
	return domain.KindOfMedia(m.URL)
}

// download fetches one media file, at most MaxMediaBytes.
func (a *Adapter) download(ctx context.Context, mediaURL string, n int) ([]byte, string, error) {
	u, err := url.Parse(mediaURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, "", domain.Errorf(domain.CodeInvalid, "LinkedIn: media %d is not a public http(s) address.", n)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("linkedin: download media %d: %w", n, err)
	}
	resp, err := a.media.Do(req)
	if outbound.Refused(err) {
		return nil, "", &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("LinkedIn: media %d is not at a public address Herald may download from.", n), Err: fmt.Errorf("linkedin: download media %d: %w", n, err)}
	}
	if err != nil {
		return nil, "", &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("LinkedIn: media %d could not be downloaded; Herald will try again.", n), Err: fmt.Errorf("linkedin: download media %d: %w", n, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, "", &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("LinkedIn: media %d could not be downloaded (its server answered %d); Herald will try again.", n, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, "", domain.Errorf(domain.CodeInvalid, "LinkedIn: media %d could not be downloaded (its server answered %d).", n, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, a.cfg.MaxMediaBytes+1))
	if err != nil {
		return nil, "", &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("LinkedIn: media %d could not be downloaded; Herald will try again.", n), Err: fmt.Errorf("linkedin: download media %d: %w", n, err)}
	}
	if int64(len(data)) > a.cfg.MaxMediaBytes {
		return nil, "", domain.Errorf(domain.CodeInvalid, "LinkedIn: media %d is larger than the %d MiB Herald uploads.", n, a.cfg.MaxMediaBytes>>20)
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// postsPage is one page of the posts finder by author.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
type postsPage struct {
	Elements []struct {
		ID          string `json:"id"`
		Author      string `json:"author"`
		Commentary  string `json:"commentary"`
		PublishedAt int64  `json:"publishedAt"`
		CreatedAt   int64  `json:"createdAt"`
	} `json:"elements"`
}

const lookupCount = 50

// Lookup looks for p among the author's latest posts (posts finder by author), matching the
// commentary. An organization's posts are listed with r_organization_social; a member's
// only with r_member_social, which LinkedIn grants to select partners: without it, and for
// a post without text (which cannot be told apart), it returns ports.ErrLookupUnsupported
// without calling LinkedIn.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions (the scopes)
func (a *Adapter) Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, bool, error) {
	owner, err := author(account)
	if err != nil {
		return ports.Published{}, false, err
	}
	if strings.TrimSpace(p.Text) == "" || isMember(owner) && !a.granted(c, scopeMemberSocial) {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	// Rest.li 2.0: the URN is URL-encoded inside the query.
	path := "/rest/posts?author=" + url.QueryEscape(owner) + "&q=author&count=" + fmt.Sprint(lookupCount) + "&sortBy=LAST_MODIFIED"
	var page postsPage
	if _, err := a.do(ctx, call{method: http.MethodGet, path: path, token: c.AccessToken, restli: true, what: "list the account's recent posts"}, &page); err != nil {
		return ports.Published{}, false, err
	}
	want := escapeLittle(p.Text)
	for _, e := range page.Elements {
		if e.Commentary != want && e.Commentary != p.Text {
			continue
		}
		out := ports.Published{ExternalID: e.ID, URL: permalink(e.ID)}
		switch {
		case e.PublishedAt > 0:
			out.At = msTime(e.PublishedAt)
		case e.CreatedAt > 0:
			out.At = msTime(e.CreatedAt)
		}
		return out, true, nil
	}
	return ports.Published{}, false, nil
}
