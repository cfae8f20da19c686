package instagram

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// maxCarousel is the most items one carousel takes.
// https://developers.facebook.com/documentation/instagram-platform/content-publishing.md
const maxCarousel = 10

// Container status codes.
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container.md
const (
	statusFinished   = "FINISHED"
	statusInProgress = "IN_PROGRESS"
	statusError      = "ERROR"
	statusExpired    = "EXPIRED"
	statusPublished  = "PUBLISHED"
)

// Publish checks the account's 24-hour publishing quota, creates the media container(s),
// waits until Instagram has processed them, publishes, and reads the permalink.
// https://developers.facebook.com/documentation/instagram-platform/content-publishing.md
func (a *Adapter) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	kinds, err := mediaKinds(p.Media, a.cfg.MediaAllowPrivate)
	if err != nil {
		return ports.Published{}, err
	}
	ig := account.ExternalID
	if err := a.checkQuota(ctx, c.AccessToken, ig); err != nil {
		return ports.Published{}, err
	}

	var creation string
	if len(p.Media) == 1 {
		params := itemParams(p.Media[0].URL, kinds[0], false)
		params.Set("caption", p.Text)
		if creation, err = a.createContainer(ctx, c.AccessToken, ig, params); err != nil {
			return ports.Published{}, err
		}
	} else {
		// Carousel: one item container per media (is_carousel_item=true), each processed,
		// then the carousel container with children and the caption.
		children := make([]string, 0, len(p.Media))
		for i, m := range p.Media {
			id, err := a.createContainer(ctx, c.AccessToken, ig, itemParams(m.URL, kinds[i], true))
			if err != nil {
				return ports.Published{}, err
			}
			children = append(children, id)
		}
		for _, id := range children {
			if err := a.waitFinished(ctx, c.AccessToken, id); err != nil {
				return ports.Published{}, err
			}
		}
		params := url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}, "caption": {p.Text}}
		if creation, err = a.createContainer(ctx, c.AccessToken, ig, params); err != nil {
			return ports.Published{}, err
		}
	}
	if err := a.waitFinished(ctx, c.AccessToken, creation); err != nil {
		return ports.Published{}, err
	}

	// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish.md
	// (POST /{ig-user-id}/media_publish with creation_id -> {"id": media id})
	var published struct {
		ID string `json:"id"`
	}
	if err := a.graph.Post(ctx, ig+"/media_publish", c.AccessToken, url.Values{"creation_id": {creation}}, &published); err != nil {
		return ports.Published{}, publishOutcome(err)
	}
	if published.ID == "" {
		return ports.Published{}, domain.MaybePublished(maybeMessage, errorf("media_publish answered without a media id"))
	}
	out := ports.Published{ExternalID: published.ID, At: a.cfg.Now()}
	// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-media
	// (fields permalink, timestamp). The post exists already: a failure here keeps it.
	var media struct {
		Permalink string `json:"permalink"`
		Timestamp string `json:"timestamp"`
	}
	if err := a.get(ctx, published.ID, url.Values{"fields": {"permalink,timestamp"}}, c.AccessToken, &media); err == nil {
		out.URL = media.Permalink
		if t, ok := parseTime(media.Timestamp); ok {
			out.At = t
		}
	}
	return out, nil
}

// mediaKinds checks the media Instagram can take and returns their kinds. Meta fetches
// each file itself from a public server ("We cURL media used in publishing attempts so the
// media must be hosted on a publicly accessible server",
// https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing),
// so an address a person typed on a loopback or private host is refused unless
// allowPrivate. A library file's URL is Herald's own signed address on its configured
// public base (or the bucket's), trusted as Herald serves it: it is not refused for its
// host, and its kind is the stored one, never its extension (it has none to trust).
//
// Alt text is not sent: the stored IG User Media reference
// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media)
// lists image_url, caption, is_carousel_item, location_id, user_tags and product_tags for
// image containers and documents no alt text parameter; only third-party tools claim an
// alt_text one. Until Meta documents it, Herald does not send it.
func mediaKinds(media []ports.PublicationMedia, allowPrivate bool) ([]domain.MediaKind, error) {
	if len(media) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "Instagram: a post needs an image or a video; Instagram does not publish text alone.")
	}
	if len(media) > maxCarousel {
		return nil, domain.Errorf(domain.CodeInvalid, "Instagram: a post takes at most %d images or videos; this one has %d.", maxCarousel, len(media))
	}
	kinds := make([]domain.MediaKind, len(media))
	for i, m := range media {
		u, err := url.Parse(m.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, domain.Errorf(domain.CodeInvalid, "Instagram: media %d is not a public http(s) address Instagram can fetch.", i+1)
		}
		library := m.Open != nil
		if !allowPrivate && !library && privateHost(u.Hostname()) {
			return nil, domain.Errorf(domain.CodeInvalid, "Instagram: media %d is on a private address Instagram cannot reach; serve it from a public one.", i+1)
		}
		kinds[i] = m.Kind
		if kinds[i] == "" {
			kinds[i] = domain.KindOfMedia(m.URL)
		}
		if kinds[i] != domain.MediaImage && kinds[i] != domain.MediaVideo {
			return nil, domain.Errorf(domain.CodeInvalid, "Instagram: media %d is neither an image nor a video Herald recognises.", i+1)
		}
	}
	return kinds, nil
}

// privateHost reports a host Meta's servers cannot reach: localhost, or an address that is
// loopback, private, link-local or unspecified. Names are not resolved here (Herald's media
// check resolves them before a post is scheduled).
func privateHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
}

// itemParams are a container's media parameters: image_url for an image; a video alone is
// a reel (media_type=REELS, "all single feed videos ... shared as reels"), a video in a
// carousel media_type=VIDEO.
// https://developers.facebook.com/documentation/instagram-platform/content-publishing.md
func itemParams(m string, kind domain.MediaKind, carouselItem bool) url.Values {
	v := url.Values{}
	switch {
	case kind == domain.MediaImage:
		v.Set("image_url", m)
	case carouselItem:
		v.Set("media_type", "VIDEO")
		v.Set("video_url", m)
	default:
		v.Set("media_type", "REELS")
		v.Set("video_url", m)
	}
	if carouselItem {
		v.Set("is_carousel_item", "true")
	}
	return v
}

// checkQuota refuses to publish when the account used its rolling 24-hour quota.
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit.md
// (GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config ->
// {"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]})
func (a *Adapter) checkQuota(ctx context.Context, token, ig string) error {
	var answer struct {
		Data []struct {
			QuotaUsage int `json:"quota_usage"`
			Config     struct {
				QuotaTotal    int `json:"quota_total"`
				QuotaDuration int `json:"quota_duration"`
			} `json:"config"`
		} `json:"data"`
	}
	if err := a.get(ctx, ig+"/content_publishing_limit", url.Values{"fields": {"quota_usage,config"}}, token, &answer); err != nil {
		return err
	}
	if len(answer.Data) == 0 {
		return nil
	}
	d := answer.Data[0]
	if d.Config.QuotaTotal > 0 && d.QuotaUsage >= d.Config.QuotaTotal {
		// The window is rolling: a slot frees when the oldest post leaves it, which the API
		// does not say; try again in an hour.
		return &domain.Error{Code: domain.CodeRateLimited, Message: "Instagram: this account reached its 24-hour publishing limit.", RetryAfter: time.Hour,
			Err: errorf("quota_usage %d of %d", d.QuotaUsage, d.Config.QuotaTotal)}
	}
	return nil
}

// createContainer creates a media container and returns its id.
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
// (POST /{ig-user-id}/media -> {"id": container id})
func (a *Adapter) createContainer(ctx context.Context, token, ig string, params url.Values) (string, error) {
	var answer struct {
		ID string `json:"id"`
	}
	if err := a.post(ctx, ig+"/media", params, token, &answer); err != nil {
		return "", err
	}
	if answer.ID == "" {
		return "", errorf("media answered without a container id")
	}
	return answer.ID, nil
}

// waitFinished polls the container's status_code until FINISHED. ERROR and EXPIRED are
// permanent; still IN_PROGRESS at the deadline is CodeUnavailable so Herald retries.
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container.md
// (GET /{container-id}?fields=status_code,status)
func (a *Adapter) waitFinished(ctx context.Context, token, container string) error {
	deadline := time.NewTimer(a.cfg.PollTimeout)
	defer deadline.Stop()
	for {
		var answer struct {
			StatusCode string `json:"status_code"`
			Status     string `json:"status"`
		}
		if err := a.get(ctx, container, url.Values{"fields": {"status_code,status"}}, token, &answer); err != nil {
			return err
		}
		switch answer.StatusCode {
		case statusFinished:
			return nil
		case statusPublished:
			return domain.Errorf(domain.CodeConflict, "Instagram: this media was already published.")
		case statusError:
			return &domain.Error{Code: domain.CodeInvalid, Message: "Instagram could not process the media: " + containerReason(answer.Status) + ".",
				Err: errorf("container %s: ERROR", container)}
		case statusExpired:
			return &domain.Error{Code: domain.CodeInvalid, Message: "Instagram: the media container expired before it was published (containers last 24 hours).",
				Err: errorf("container %s: EXPIRED", container)}
		}
		wait := time.NewTimer(a.cfg.PollInterval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-deadline.C:
			wait.Stop()
			return &domain.Error{Code: domain.CodeUnavailable, Message: "Instagram is still processing the media; Herald will try again.",
				Err: errorf("container %s still %s after %s", container, answer.StatusCode, a.cfg.PollTimeout)}
		case <-wait.C:
		}
	}
}

// parseTime reads the Graph API's ISO-8601 timestamps ("2019-04-05T07:56:32+0000").
// https://developers.facebook.com/docs/instagram-platform/insights
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02T15:04:05-0700", s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Lookup looks for p's caption among the account's most recent media (one page of 50),
// after an attempt whose result was lost. Without a caption there is nothing to match.
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
// (GET /{ig-user-id}/media?fields=id,caption,timestamp,permalink)
func (a *Adapter) Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, bool, error) {
	want := strings.TrimSpace(p.Text)
	if want == "" {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	var answer struct {
		Data []struct {
			ID        string `json:"id"`
			Caption   string `json:"caption"`
			Timestamp string `json:"timestamp"`
			Permalink string `json:"permalink"`
		} `json:"data"`
	}
	params := url.Values{"fields": {"id,caption,timestamp,permalink"}, "limit": {"50"}}
	if err := a.get(ctx, account.ExternalID+"/media", params, c.AccessToken, &answer); err != nil {
		return ports.Published{}, false, err
	}
	for _, m := range answer.Data {
		if strings.TrimSpace(m.Caption) != want {
			continue
		}
		out := ports.Published{ExternalID: m.ID, URL: m.Permalink}
		if t, ok := parseTime(m.Timestamp); ok {
			out.At = t
		}
		return out, true, nil
	}
	return ports.Published{}, false, nil
}

// insightMetrics are the current media insights Herald reads (impressions was replaced by
// views in v22.0 and removed for all versions on 2025-04-21).
// https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights
const insightMetrics = "reach,views,shares,saved"

// Metrics reads like_count and comments_count on the media, then its insights (reach,
// views as impressions, shares). Insights Instagram does not have yet (too few viewers:
// error code 10, or an empty data set) count as zero.
func (a *Adapter) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-media
	var media struct {
		Likes    int64 `json:"like_count"`
		Comments int64 `json:"comments_count"`
	}
	if err := a.get(ctx, externalID, url.Values{"fields": {"like_count,comments_count"}}, c.AccessToken, &media); err != nil {
		return domain.Metrics{}, err
	}
	m := domain.Metrics{Likes: media.Likes, Comments: media.Comments}
	var insights struct {
		Data []struct {
			Name   string `json:"name"`
			Values []struct {
				Value int64 `json:"value"`
			} `json:"values"`
		} `json:"data"`
	}
	// GET /{ig-media-id}/insights?metric=reach,views,shares,saved
	err := a.get(ctx, externalID+"/insights", url.Values{"metric": {insightMetrics}}, c.AccessToken, &insights)
	if err != nil {
		if code, sub := graph.CodeOf(err); code == graph.CodePermission && sub == 0 {
			return m, nil // "(#10) Not enough viewers for the media to show insights"
		}
		return domain.Metrics{}, err
	}
	for _, d := range insights.Data {
		if len(d.Values) == 0 {
			continue
		}
		switch v := d.Values[0].Value; d.Name {
		case "reach":
			m.Reach = v
		case "views":
			m.Impressions = v
		case "shares":
			m.Shares = v
		}
	}
	return m, nil
}

const maybeMessage = "Instagram did not say whether the post was published; Herald looks for it before sending it again."

// publishOutcome keeps media_publish's definite refusals (token, permission, limits,
// invalid media, a container not ready, a request never sent: nothing was published) and
// turns the rest (no usable answer: a broken connection, an answer lost or unreadable; a
// server-side error, which does not say the call was refused) into domain.MaybePublished:
// Instagram may have published before failing to answer, so Herald must look for the post
// (Lookup) before sending it again.
func publishOutcome(err error) error {
	if graph.MayHaveCreated(err) {
		return domain.MaybePublished(maybeMessage, err)
	}
	return igError(err)
}
