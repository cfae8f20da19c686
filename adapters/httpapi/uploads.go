package httpapi

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// Resumable uploads, the tus 1.0.0 protocol (https://tus.io/protocols/resumable-upload)
// with its creation, termination and expiration extensions, for files too large to send
// in one request: POST /uploads creates an upload, PATCH sends parts from the offset HEAD
// reports, and the part that completes the file stores it in the media library. The
// protocol's headers are parsed here; app.Media keeps the uploads.

// tusVersion is the one protocol version Herald speaks.
const tusVersion = "1.0.0"

// tusPartType is the content type of every PATCH body.
const tusPartType = "application/offset+octet-stream"

// partIdle is how long a part's body may stall before the connection is closed; a part
// may take as long as it needs while bytes keep arriving (the server's read timeout would
// otherwise end large parts on slow links).
const partIdle = time.Minute

// The protocol's headers.
const (
	hTusResumable  = "Tus-Resumable"
	hTusVersion    = "Tus-Version"
	hTusExtension  = "Tus-Extension"
	hTusMaxSize    = "Tus-Max-Size"
	hUploadOffset  = "Upload-Offset"
	hUploadLength  = "Upload-Length"
	hUploadMeta    = "Upload-Metadata"
	hUploadExpires = "Upload-Expires"
	hUploadDefer   = "Upload-Defer-Length"
	hMediaID       = "Herald-Media-Id"
)

// ResumablePart reports whether r is a part of a resumable upload, whose body the handler
// streams to disk whatever its size, so the server's limit on request bodies must not
// apply to it.
func ResumablePart(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/v1/uploads/")
}

// tus answers every request with the protocol's version and refuses (412) one that
// speaks another, before anything else happens to it. OPTIONS is how a client learns
// the version, so it may come without one.
func tus(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(hTusResumable, tusVersion)
		h.Set(echo.HeaderCacheControl, "no-store")
		if c.Request().Method != http.MethodOptions && c.Request().Header.Get(hTusResumable) != tusVersion {
			h.Set(hTusVersion, tusVersion)
			return &domain.Error{Code: domain.CodeStale, Message: "This server speaks tus " + tusVersion + "; send Tus-Resumable: " + tusVersion + "."}
		}
		return next(c)
	}
}

// uploadOptions handles OPTIONS /uploads: the protocol's version, extensions and the
// largest file the company's plan takes.
func (a *API) uploadOptions(c echo.Context) error {
	h := c.Response().Header()
	h.Set(hTusVersion, tusVersion)
	h.Set(hTusExtension, "creation,termination,expiration")
	u, err := a.media.Usage(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	h.Set(hTusMaxSize, strconv.FormatInt(u.MaxFile, 10))
	return c.NoContent(http.StatusNoContent)
}

// createUpload handles POST /uploads: Upload-Length is the file's size, Upload-Metadata
// may name it (filename) and give its alt text (alt). 413 over the plan's file size or
// storage left.
func (a *API) createUpload(c echo.Context) error {
	r := c.Request()
	if r.Header.Get(hUploadDefer) != "" {
		return domain.Errorf(domain.CodeBadRequest, "Herald needs the file's size at creation: send Upload-Length, not Upload-Defer-Length.")
	}
	length, err := headerInt(r, hUploadLength)
	if err != nil {
		return err
	}
	meta, err := parseMetadata(r.Header.Get(hUploadMeta))
	if err != nil {
		return err
	}
	u, err := a.media.CreateUpload(r.Context(), actor(c), length, meta["filename"], meta["alt"])
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderLocation, strings.TrimSuffix(r.URL.Path, "/")+"/"+string(u.ID))
	h.Set(hUploadExpires, u.ExpiresAt.Format(http.TimeFormat))
	return c.NoContent(http.StatusCreated)
}

// headUpload handles HEAD /uploads/:id: how many bytes arrived, to resume from.
func (a *API) headUpload(c echo.Context) error {
	p, err := a.media.UploadState(c.Request().Context(), actor(c), domain.UploadID(c.Param("id")))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(hUploadOffset, strconv.FormatInt(p.Offset, 10))
	h.Set(hUploadLength, strconv.FormatInt(p.Upload.Length, 10))
	h.Set(hUploadExpires, p.Upload.ExpiresAt.Format(http.TimeFormat))
	return c.NoContent(http.StatusOK)
}

// patchUpload handles PATCH /uploads/:id: the body is the part from Upload-Offset,
// streamed to disk. The part that completes the file answers the library file's id
// (Herald-Media-Id) and address (Location); a file Herald refuses answers its problem
// and the upload is gone.
func (a *API) patchUpload(c echo.Context) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); !strings.EqualFold(strings.TrimSpace(strings.Split(ct, ";")[0]), tusPartType) {
		return domain.Errorf(domain.CodeUnsupported, "Send parts as Content-Type: %s.", tusPartType)
	}
	offset, err := headerInt(r, hUploadOffset)
	if err != nil {
		return err
	}
	body := &idleReader{r: r.Body, rc: http.NewResponseController(c.Response())}
	p, err := a.media.AppendUpload(r.Context(), actor(c), domain.UploadID(c.Param("id")), offset, body)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(hUploadOffset, strconv.FormatInt(p.Offset, 10))
	if p.Media != nil {
		h.Set(hMediaID, string(p.Media.ID))
		h.Set(echo.HeaderLocation, strings.TrimSuffix(r.URL.Path[:strings.LastIndex(r.URL.Path, "/uploads/")], "/")+"/media/"+string(p.Media.ID))
	} else {
		h.Set(hUploadExpires, p.Upload.ExpiresAt.Format(http.TimeFormat))
	}
	return c.NoContent(http.StatusNoContent)
}

// deleteUpload handles DELETE /uploads/:id: the upload ends and its bytes are deleted.
func (a *API) deleteUpload(c echo.Context) error {
	if err := a.media.DeleteUpload(c.Request().Context(), actor(c), domain.UploadID(c.Param("id"))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// headerInt reads a non-negative integer header. Errors: CodeBadRequest naming it.
func headerInt(r *http.Request, name string) (int64, error) {
	v := r.Header.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || v == "" || v[0] == '+' {
		return 0, domain.Errorf(domain.CodeBadRequest, "%s must be a number of bytes (0 or more).", name)
	}
	return n, nil
}

// parseMetadata reads Upload-Metadata: comma-separated pairs of a key and its value in
// base64, or a key alone. Errors: CodeBadRequest for a malformed pair or a repeated key.
func parseMetadata(h string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(h, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, domain.Errorf(domain.CodeBadRequest, "Upload-Metadata must be comma-separated keys, each with its value in base64.")
		}
		if _, dup := out[key]; dup {
			return nil, domain.Errorf(domain.CodeBadRequest, "Upload-Metadata names %q twice.", key)
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil {
			return nil, domain.Errorf(domain.CodeBadRequest, "The value of %q in Upload-Metadata is not base64.", key)
		}
		out[key] = string(b)
	}
	return out, nil
}

// idleReader moves the connection's read deadline forward before each read, so a part
// ends when its bytes stop coming, not when the server's read timeout for whole requests
// passes.
type idleReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func (r *idleReader) Read(p []byte) (int, error) {
	_ = r.rc.SetReadDeadline(time.Now().Add(partIdle)) // not every server supports it; then its timeout holds
	return r.r.Read(p)
}
