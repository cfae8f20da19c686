package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// mediaJSON is a file of the media library (openapi.json, Media). url and thumbnail_url
// are signed and expire (domain.MediaURLTTL): every answer renews them.
type mediaJSON struct {
	ID           domain.MediaID `json:"id"`
	Name         string         `json:"name"`
	MIMEType     string         `json:"mime_type"`
	Size         int64          `json:"size"`
	Width        int            `json:"width"`
	Height       int            `json:"height"`
	DurationMS   *int64         `json:"duration_ms"` // null for images
	Alt          string         `json:"alt"`
	URL          string         `json:"url"`
	ThumbnailURL *string        `json:"thumbnail_url"`
	Version      int            `json:"version"`
	CreatedBy    *domain.UserID `json:"created_by"`
	CreatedAt    string         `json:"created_at"`
}

func (a *API) toMedia(m domain.Media) mediaJSON {
	out := mediaJSON{ID: m.ID, Name: m.Name, MIMEType: m.MIMEType, Size: m.Size, Width: m.Width, Height: m.Height, Alt: m.Alt,
		URL: a.media.URL(m), ThumbnailURL: optional(a.media.ThumbURL(m)), Version: m.Version, CreatedAt: rfc3339(m.CreatedAt)}
	if m.Kind() == domain.MediaVideo {
		ms := m.Duration.Milliseconds()
		out.DurationMS = &ms
	}
	if m.CreatedBy != "" {
		id := m.CreatedBy
		out.CreatedBy = &id
	}
	return out
}

// withMedia answers 503 on the media routes when Herald runs without media storage.
func (a *API) withMedia(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !a.media.Enabled() {
			return app.ErrNoMediaLibrary
		}
		return next(c)
	}
}

// uploadPath is the address of POST /media, the one API route that reads its body as a
// stream with a limit of its own (the plan's file size).
const uploadPath = "/api/v1/media"

// StreamsBody reports whether r is a request whose body the API reads as a stream under
// a limit of its own (an upload to the media library, up to the plan's file size), so
// the server's limit on request bodies must not apply to it.
func StreamsBody(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == uploadPath
}

// uploadMedia handles POST /media: a multipart/form-data body with the file in a part
// named file and, optionally, alt text in a part named alt (before or after the file).
//
// The file is streamed to a spool file while its SHA-256 is computed, never held in
// memory. An Idempotency-Key is then checked against the request's fingerprint: method,
// path, company, the file's name, the alt text and the file's SHA-256, so a client that
// retries the same upload gets the first answer and the library keeps one copy; the same
// key with another file is a 422. This route is not under the idempotent middleware,
// which reads whole JSON bodies.
func (a *API) uploadMedia(c echo.Context) error {
	req := c.Request()
	ctx, who := req.Context(), actor(c)
	// Those who may not upload (a role, a suspended company) are refused first, before a
	// byte of the file is read.
	if err := a.media.CheckUpload(ctx, who, 0); err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" {
		return domain.Errorf(domain.CodeUnsupported, "Send the upload as multipart/form-data: the file in a part named file, and alt text, if any, in a part named alt.")
	}
	usage, err := a.media.Usage(ctx, who)
	if err != nil {
		return err
	}
	// A body far larger than the plan's file size is refused before it is read: besides the
	// file it holds only the alt text and the parts' headers.
	if req.ContentLength > usage.MaxFile+uploadOverhead {
		return tooLarge(usage.MaxFile)
	}
	form, err := readUpload(req, usage.MaxFile, a.media.SpoolFile)
	if form.file != nil {
		defer removeSpool(form.file)
	}
	if err != nil {
		return err
	}
	if form.size > usage.MaxFile {
		return tooLarge(usage.MaxFile)
	}
	run := func() error {
		// UploadFile takes the spool file over (and removes it); ours is closed first.
		if err := form.file.Close(); err != nil {
			return fmt.Errorf("httpapi: spool: %w", err)
		}
		m, err := a.media.UploadFile(ctx, who, form.name, form.alt, form.file.Name())
		if err != nil {
			return err
		}
		setETag(c, m.Version)
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/media/"+string(m.ID))
		return c.JSON(http.StatusCreated, a.toMedia(m))
	}
	if key := req.Header.Get("Idempotency-Key"); key != "" {
		return a.runOnce(c, key, fingerprint(c, form.digest()), run)
	}
	return run()
}

// uploadOverhead is the most an upload's body holds besides the file: the alt text, the
// parts' headers and boundaries, with ample room.
const uploadOverhead = 1 << 20

// tooLarge is the answer to a file past the plan's size.
func tooLarge(limit int64) error {
	return domain.Errorf(domain.CodeTooLarge, "The file is larger than %s, the largest file your plan takes.", sizeText(limit))
}

// sizeText writes a number of bytes for a person.
func sizeText(n int64) string {
	if n >= 1<<30 {
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', -1, 64) + " GB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MB"
}

// upload is a multipart upload read: the file spooled, its name, size and SHA-256, and
// the alt text.
type upload struct {
	file *os.File
	name string
	size int64
	sum  []byte
	alt  string
}

// digest is what identifies the upload for Idempotency-Key.
func (u upload) digest() []byte {
	return []byte(u.name + "\x00" + u.alt + "\x00" + strconv.FormatInt(u.size, 10) + "\x00" + hex.EncodeToString(u.sum))
}

// maxAltPartBytes bounds the alt part as read: the longest alt text Herald keeps, in
// four-byte characters, with room for surrounding spaces.
const maxAltPartBytes = domain.MaxAltRunes*4 + 1024

// readUpload reads the multipart body of r: the file part is copied to a spool file (from
// spool) up to limit+1 bytes, where reading stops (the caller answers 413 when size is past
// limit). The returned upload's file, when not nil, is the caller's to remove, also on
// error. Errors: CodeBadRequest (not a readable multipart body), CodeInvalid (no file, two
// files, an empty file, an unknown part, alt text that is too long or not text).
func readUpload(r *http.Request, limit int64, spool func() (*os.File, error)) (upload, error) {
	var u upload
	mr, err := r.MultipartReader()
	if err != nil {
		return u, domain.Errorf(domain.CodeBadRequest, "The multipart body could not be read: it has no boundary.")
	}
	haveAlt := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return u, domain.Errorf(domain.CodeBadRequest, "The multipart body could not be read: it is malformed or ended early.")
		}
		switch name := part.FormName(); name {
		case "file":
			if u.file != nil {
				return u, domain.InvalidField("file", "holds more than one file: upload one file a request")
			}
			if u.file, err = spool(); err != nil {
				return u, err
			}
			u.name = part.FileName()
			h := sha256.New()
			u.size, err = io.Copy(spoolWriter{f: u.file, h: h}, io.LimitReader(part, limit+1))
			if err != nil {
				return u, uploadReadError(err)
			}
			if u.size > limit {
				return u, nil // the rest is never read
			}
			u.sum = h.Sum(nil)
		case "alt":
			if haveAlt {
				return u, domain.InvalidField("alt", "is given twice")
			}
			haveAlt = true
			b, err := io.ReadAll(io.LimitReader(part, maxAltPartBytes+1))
			if err != nil {
				return u, uploadReadError(err)
			}
			if len(b) > maxAltPartBytes {
				return u, domain.InvalidField("alt", fmt.Sprintf("is too long: at most %d characters", domain.MaxAltRunes))
			}
			if problem := domain.TextProblem(string(b)); problem != "" {
				return u, domain.InvalidField("alt", problem)
			}
			if u.alt, err = domain.CheckAlt(string(b)); err != nil {
				return u, err
			}
		case "_csrf":
			// The web app's forms carry their CSRF token as a field too; the header is the
			// one checked for an upload (cmd/herald), so this part is read past.
			if _, err := io.Copy(io.Discard, io.LimitReader(part, 4<<10)); err != nil {
				return u, uploadReadError(err)
			}
		default:
			field := strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "")
			return u, domain.InvalidField(field, "is not a part of this request: send file and, optionally, alt")
		}
	}
	switch {
	case u.file == nil:
		return u, domain.InvalidField("file", "is required: send the image or video in a part named file")
	case u.size == 0:
		return u, domain.InvalidField("file", "is empty")
	}
	return u, nil
}

// spoolWriter writes to the spool file and its digest; an error writing the file (the
// server's disk) is told apart from one reading the request by uploadReadError.
type spoolWriter struct {
	f *os.File
	h hash.Hash
}

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	if err != nil {
		return n, fmt.Errorf("httpapi: spool: %w", err)
	}
	return n, nil
}

// uploadReadError turns a failure while copying the upload into the person's problem when
// the request ended (400), or keeps it for the log when the server's disk failed.
func uploadReadError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &domain.Error{Code: domain.CodeBadRequest, Message: "The upload ended before the whole file arrived; try again.", Err: err}
}

func removeSpool(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// listMedia handles GET /media: the library, newest first, filtered by q (words of the
// name or alt text) and type (image or video).
func (a *API) listMedia(c echo.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	f := domain.MediaFilter{Query: strings.TrimSpace(c.QueryParam("q"))}
	switch t := c.QueryParam("type"); t {
	case "":
	case string(domain.MediaImage), string(domain.MediaVideo):
		f.Kind = domain.MediaKind(t)
	default:
		return domain.InvalidField("type", "must be image or video")
	}
	ms, next, err := a.media.List(c.Request().Context(), actor(c), f, page)
	if err != nil {
		return err
	}
	out := make([]mediaJSON, len(ms))
	for i, m := range ms {
		out[i] = a.toMedia(m)
	}
	return c.JSON(http.StatusOK, newList(out, next))
}

// getMedia handles GET /media/:id.
func (a *API) getMedia(c echo.Context) error {
	m, err := a.media.Get(c.Request().Context(), actor(c), domain.MediaID(c.Param("id")))
	if err != nil {
		return err
	}
	return a.mediaAnswer(c, m)
}

// updateMedia handles PUT /media/:id: {"alt"} with If-Match ("" removes the alt text).
func (a *API) updateMedia(c echo.Context) error {
	var in struct {
		Alt *string `json:"alt"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Alt == nil {
		return domain.InvalidField("alt", `is required: the file's new alt text ("" removes it)`)
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	m, err := a.media.SetAlt(c.Request().Context(), actor(c), domain.MediaID(c.Param("id")), *in.Alt, want)
	if err != nil {
		return err
	}
	return a.mediaAnswer(c, m)
}

// deleteMedia handles DELETE /media/:id: 204, or 409 while a post yet to go out uses it.
func (a *API) deleteMedia(c echo.Context) error {
	if err := a.media.Delete(c.Request().Context(), actor(c), domain.MediaID(c.Param("id"))); err != nil {
		return err
	}
	return noContent(c)
}

func (a *API) mediaAnswer(c echo.Context, m domain.Media) error {
	setETag(c, m.Version)
	return c.JSON(http.StatusOK, a.toMedia(m))
}

// mediaOf returns the library files of the posts (their own and their targets'), for
// their answers; none when no post has any.
func (a *API) mediaOf(c echo.Context, posts ...domain.Post) (map[domain.MediaID]domain.Media, error) {
	var ids []domain.MediaID
	seen := map[domain.MediaID]bool{}
	for _, p := range posts {
		for _, id := range p.AllMediaIDs() {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return a.media.Files(c.Request().Context(), actor(c), ids)
}
