// Package media looks at the media files of a post before it is scheduled, the way the
// platforms will fetch them: a HEAD request for the type and size, and the first bytes of
// an image for its size in pixels. Its HTTP client reaches public addresses only, checked
// after DNS resolution at connect time, so a post cannot make Herald probe its own network.
//
// Its Inspector reads uploaded files (ports.MediaInspector): the type from the bytes, the
// pixel size and a video's duration from headers, images' metadata (EXIF with location,
// XMP, IPTC, comments) stripped and their EXIF orientation applied, and JPEG previews.
// Videos' poster frames come from ffmpeg, run as a separate program: without ffmpeg on the
// machine, uploads work the same but videos have no preview.
package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF dimensions
	_ "image/jpeg" // JPEG dimensions
	_ "image/png"  // PNG dimensions
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// headBytes is how much of an image is read to find its size in pixels.
const headBytes = 64 << 10

// Prober implements ports.MediaProbe over HTTP.
type Prober struct {
	client *http.Client
}

var _ ports.MediaProbe = (*Prober)(nil)

// Options configure a Prober.
type Options struct {
	// AllowPrivate lets the prober reach loopback and private addresses (tests, and media
	// served on a private network in development).
	AllowPrivate bool
	// Timeout bounds one probe; zero means 10 s.
	Timeout time.Duration
}

// New returns a Prober.
func New(o Options) *Prober {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	// The one outbound guard: link-local and metadata addresses stay refused even when
	// private ones are allowed, on every redirect hop.
	return &Prober{client: outbound.Client(outbound.Options{AllowPrivate: o.AllowPrivate, Timeout: o.Timeout,
		DialTimeout: 5 * time.Second, ResponseHeaderTimeout: 5 * time.Second})}
}

// Probe implements ports.MediaProbe.
func (p *Prober) Probe(ctx context.Context, raw string) (domain.MediaInfo, error) {
	info := domain.MediaInfo{URL: raw}
	res, err := p.do(ctx, http.MethodHead, raw, "")
	if err == nil && (res.StatusCode == http.StatusMethodNotAllowed || res.StatusCode == http.StatusNotImplemented) {
		res.Body.Close()
		res, err = p.do(ctx, http.MethodGet, raw, "bytes=0-0")
	}
	if err != nil {
		return info, unreachable(raw, err)
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return info, domain.Errorf(domain.CodeInvalid, "%s could not be fetched: the server answered %s.", raw, res.Status)
	}
	info.ContentType = contentType(res.Header.Get("Content-Type"))
	info.Bytes = size(res)
	if info.Kind() == domain.MediaVideo {
		if info.ContentType == "video/mp4" || info.ContentType == "video/quicktime" || info.ContentType == "" {
			info.Duration, _ = p.mp4Duration(ctx, raw, info.Bytes)
		}
		return info, nil
	}
	if info.Kind() != domain.MediaImage {
		return info, nil
	}
	// The first bytes of an image say its size in pixels.
	res, err = p.do(ctx, http.MethodGet, raw, fmt.Sprintf("bytes=0-%d", headBytes-1))
	if err != nil {
		return info, nil // type and size are known; pixels stay unknown
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusPartialContent {
		if cfg, _, err := image.DecodeConfig(io.LimitReader(res.Body, headBytes)); err == nil {
			info.Width, info.Height = cfg.Width, cfg.Height
		}
	}
	return info, nil
}

func (p *Prober) do(ctx context.Context, method, raw, byteRange string) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("not an http(s) address")
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "Herald media check")
	if byteRange != "" {
		req.Header.Set("Range", byteRange)
	}
	return p.client.Do(req)
}

// unreachable turns a failed fetch into a sentence without the URL's internals.
func unreachable(raw string, err error) error {
	why := "it could not be reached"
	switch {
	case outbound.Refused(err):
		why = "it is on a private network the platforms cannot reach"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		why = "it did not answer in time"
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("%s could not be fetched: %s.", raw, why), Err: err}
}

func contentType(h string) string {
	mt, _, err := mime.ParseMediaType(h)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// size is the file's length: Content-Length, or the total of a Content-Range answer.
func size(res *http.Response) int64 {
	if cr := res.Header.Get("Content-Range"); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				return n
			}
		}
	}
	if res.ContentLength > 0 {
		return res.ContentLength
	}
	return 0
}
