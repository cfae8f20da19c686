package tiktok

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// chunkRules are TikTok's rules for a FILE_UPLOAD: every chunk between min and max bytes
// except the last, which takes the trailing bytes (up to lastMax); a video under min bytes
// is sent whole as one chunk; a video over max bytes is sent in at least two chunks; at
// most maxCount chunks; total_chunk_count is video_size / chunk_size rounded down.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide ("Chunk
// restrictions")
type chunkRules struct {
	min, max, lastMax int64
	maxCount          int64
}

var tiktokChunkRules = chunkRules{min: 5 << 20, max: 64 << 20, lastMax: 128 << 20, maxCount: 1000}

// plan returns the chunk_size and total_chunk_count for a video of size bytes, using the
// preferred chunk size where the rules allow it.
func (r chunkRules) plan(size, preferred int64) (chunk, count int64, err error) {
	if size <= 0 {
		return 0, 0, errors.New("the video is empty")
	}
	if size < r.min {
		return size, 1, nil // under 5 MB: one chunk, chunk_size = video_size
	}
	chunk = min(max(preferred, r.min), r.max)
	if size <= chunk {
		return size, 1, nil
	}
	if size/chunk > r.maxCount {
		chunk = (size + r.maxCount - 1) / r.maxCount
	}
	count = size / chunk
	if count < 2 && size > r.max {
		// Over 64 MB must be chunked: two halves, each within the rules.
		chunk, count = size/2, 2
	}
	if chunk > r.max || size-(count-1)*chunk > r.lastMax {
		return 0, 0, fmt.Errorf("a video of %d bytes cannot be cut into TikTok's chunks", size)
	}
	return chunk, count, nil
}

// videoTypes are the content types TikTok takes for an uploaded video, by extension.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
var videoTypes = map[string]string{".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}

// videoBytes returns the video's bytes as one stream to read in order, their number and
// their content type; the caller closes the stream. A library file is streamed from
// Herald's storage (never held whole in memory or on disk); a video given by address is
// downloaded to a temporary file first, as its size must be known before the init.
func (a *Adapter) videoBytes(ctx context.Context, m ports.PublicationMedia) (io.ReadCloser, int64, string, error) {
	if m.Open == nil || m.Size <= 0 {
		f, n, ctype, err := a.download(ctx, m.URL)
		if err != nil {
			return nil, 0, "", err
		}
		// The chunks are read from the start of the file just written.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			tempFile{f}.Close()
			return nil, 0, "", fmt.Errorf("tiktok: rewind the downloaded video: %w", err)
		}
		return tempFile{f}, n, ctype, nil
	}
	if m.Size > a.cfg.MaxVideoBytes {
		return nil, 0, "", &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: the video is larger than " + byteSize(a.cfg.MaxVideoBytes) + ", the most Herald sends to TikTok."}
	}
	ctype := ""
	for _, t := range videoTypes {
		if m.MIMEType == t {
			ctype = t
		}
	}
	if ctype == "" {
		ctype = videoTypes[strings.ToLower(path.Ext(m.Name))]
	}
	if ctype == "" {
		return nil, 0, "", &domain.Error{Code: domain.CodeInvalid, Message: "TikTok: the video must be an MP4, MOV or WebM file.", Err: fmt.Errorf("tiktok: library video of type %q", m.MIMEType)}
	}
	rc, err := m.Open(ctx)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return nil, 0, "", err
		}
		return nil, 0, "", &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: the video could not be read from Herald's storage; Herald will try again.", Err: fmt.Errorf("tiktok: open video: %w", err)}
	}
	return rc, m.Size, ctype, nil
}

// tempFile is a downloaded video, removed when closed.
type tempFile struct{ *os.File }

// Close closes and removes the file.
func (t tempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.Name())
	return err
}

// download copies the video at rawURL to a temporary file and returns it, its size and its
// content type; the caller closes and removes the file. Nothing has been sent to TikTok
// yet, so every failure is definite or safe to retry.
func (a *Adapter) download(ctx context.Context, rawURL string) (*os.File, int64, string, error) {
	invalid := func(msg string, cause error) error {
		return &domain.Error{Code: domain.CodeInvalid, Message: msg, Err: cause}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, "", invalid("TikTok: the video's web address is not valid.", err)
	}
	resp, err := a.media.Do(req)
	if err != nil {
		if outbound.Refused(err) {
			return nil, 0, "", invalid("TikTok: the video's web address is not a public internet address, so Herald will not download it.", err)
		}
		return nil, 0, "", &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: the video could not be downloaded to send it; Herald will try again.", Err: fmt.Errorf("tiktok: download video: %w", err)}
	}
	defer resp.Body.Close()
	cause := fmt.Errorf("tiktok: download video: HTTP %d", resp.StatusCode)
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests || s >= 500:
		return nil, 0, "", &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: the video's server is not answering properly; Herald will try again.", Err: cause}
	case s != http.StatusOK:
		return nil, 0, "", invalid(fmt.Sprintf("TikTok: the video could not be downloaded from its web address (HTTP %d).", s), cause)
	}
	limit := a.cfg.MaxVideoBytes
	tooBig := invalid("TikTok: the video is larger than "+byteSize(limit)+", the most Herald sends to TikTok.", fmt.Errorf("tiktok: video over %d bytes", limit))
	if resp.ContentLength > limit {
		return nil, 0, "", tooBig
	}
	f, err := os.CreateTemp(a.cfg.TempDir, "herald-tiktok-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("tiktok: temporary file: %w", err)
	}
	fail := func(err error) (*os.File, int64, string, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, "", err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fail(&domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: the video could not be downloaded to send it; Herald will try again.", Err: fmt.Errorf("tiktok: download video: %w", err)})
	}
	if n > limit {
		return fail(tooBig)
	}
	if n == 0 {
		return fail(invalid("TikTok: the video file is empty.", errors.New("tiktok: empty video")))
	}
	ctype := ""
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		for _, t := range videoTypes {
			if mt == t {
				ctype = mt
			}
		}
	}
	if ctype == "" {
		u, _ := url.Parse(rawURL)
		ctype = videoTypes[strings.ToLower(path.Ext(u.Path))]
	}
	if ctype == "" {
		return fail(invalid("TikTok: the video must be an MP4, MOV or WebM file.", errors.New("tiktok: unknown video type")))
	}
	return f, n, ctype, nil
}

// sendChunks PUTs the video to upload_url in order, each chunk with its Content-Type,
// Content-Length and "Content-Range: bytes first-last/total" (first and last inclusive,
// total the video_size).
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide ("Media
// transfer HTTP schema"). TikTok answers 206 Partial Content until the last chunk and 201
// Created for it; any 2xx is taken as accepted.
//
// Until the last chunk is accepted TikTok has an incomplete file it will never publish, so
// a failure before it is definite (retrying starts over with a new init). The last chunk is
// different: an answer lost after TikTok got it may still end in a post, so only a 4xx
// refusal of it is definite and a lost answer or a server error is domain.MaybePublished.
//
// The chunks are read in order from src, each straight into its request, so no more than
// the transport's buffers of the video is ever in memory.
func (a *Adapter) sendChunks(ctx context.Context, uploadURL string, src io.Reader, size, chunk, count int64, ctype string) error {
	for i := int64(0); i < count; i++ {
		first := i * chunk
		last := first + chunk - 1
		if i == count-1 {
			last = size - 1 // the final chunk takes the trailing bytes
		}
		final := i == count-1
		body := &io.LimitedReader{R: src, N: last - first + 1}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, body)
		if err != nil {
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok gave an upload address Herald cannot use; Herald will try again.", Err: fmt.Errorf("tiktok: upload_url: %w", err)}
		}
		req.ContentLength = last - first + 1
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
		resp, err := a.transfer.Do(req)
		if err != nil {
			if final {
				return domain.MaybePublished(maybePublished, fmt.Errorf("tiktok: last chunk of %d sent, answer lost: %w", count, err))
			}
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: sending the video was interrupted; Herald will try again.", Err: fmt.Errorf("tiktok: chunk %d of %d: %w", i+1, count, err)}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBodyLength))
		resp.Body.Close()
		cause := fmt.Errorf("tiktok: PUT chunk %d of %d (bytes %d-%d/%d): HTTP %d", i+1, count, first, last, size, resp.StatusCode)
		switch s := resp.StatusCode; {
		case s >= 200 && s < 300 && body.N != 0:
			// Accepted before the whole chunk was read: the next chunk would start at the
			// wrong byte, so this upload cannot go on.
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: sending the video was interrupted; Herald will try again.", Err: fmt.Errorf("%w (%d bytes of the chunk unread)", cause, body.N)}
		case s >= 200 && s < 300:
			continue
		case s == http.StatusTooManyRequests:
			// Refused before TikTok took the chunk, the last one too: its file is incomplete.
			return &domain.Error{Code: domain.CodeRateLimited, Message: "TikTok: too many requests for now; Herald will try again shortly.", RetryAfter: retryAfter(resp, time.Minute), Err: cause}
		case s == http.StatusBadRequest || s == http.StatusRequestEntityTooLarge || s == http.StatusUnsupportedMediaType || s == http.StatusRequestedRangeNotSatisfiable:
			return &domain.Error{Code: domain.CodeInvalid, Message: "TikTok refused the video file.", Err: cause}
		case s >= 400 && s < 500:
			// An expired or refused upload_url (it lasts an hour): TikTok has no complete
			// file, so a new init may be tried.
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok did not take the video file; Herald will try again.", Err: cause}
		case final:
			// A server error after the whole file was sent: TikTok may have taken it.
			return domain.MaybePublished(maybePublished, cause)
		default:
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok is not answering properly right now; Herald will try again.", Err: cause}
		}
	}
	return nil
}

// byteSize writes n bytes for a person.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
