package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// asset is one embedded static file, ready to send: its bytes and ETag, and gzipped, which
// returns a gzipped copy and its ETag when that is smaller (text formats only; nil
// otherwise). The copy is made on first use: compressing every file at start-up (the API
// reference's bundle is 1.7 MB) would slow every start for a page few open.
type asset struct {
	typ     string
	body    []byte
	etag    string
	gzipped func() ([]byte, string)
}

// compressible are the extensions worth gzipping; images other than SVG and fonts are
// compressed already.
var compressible = map[string]bool{".css": true, ".js": true, ".svg": true, ".json": true, ".txt": true, ".html": true}

// loadAssets reads every servable file under static once, at start-up. Notes and scripts
// for maintainers (.md, .sh) are not served.
func loadAssets(static fs.FS) (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".sh") {
			return err
		}
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		a := asset{typ: mime.TypeByExtension(ext), body: body, etag: etagOf(body, ""), gzipped: func() ([]byte, string) { return nil, "" }}
		if a.typ == "" {
			a.typ = http.DetectContentType(body)
		}
		if compressible[ext] {
			a.gzipped = sync.OnceValues(func() ([]byte, string) { return gzipOf(body) })
		}
		out[name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	return out, nil
}

// gzipOf returns body gzipped and its ETag, or nil when that is not smaller.
func gzipOf(body []byte) ([]byte, string) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(body); err != nil || zw.Close() != nil || buf.Len() >= len(body) {
		return nil, "" // writing to memory does not fail
	}
	return buf.Bytes(), etagOf(body, "-gz")
}

// etagOf is a strong ETag for body; suffix tells the encodings of one file apart.
func etagOf(body []byte, suffix string) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + suffix + `"`
}

// acceptsGzip reports whether the Accept-Encoding header allows gzip (q above zero).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := 1.0
		if _, v, ok := strings.Cut(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}

// serveStatic serves the embedded assets: vendor files carry their version in the name and
// are cached for a year; Herald's own files are revalidated by ETag. Text formats go out
// gzipped to clients that accept it, with Vary: Accept-Encoding so caches keep both.
func (h *Handler) serveStatic(c echo.Context) error {
	return h.sendAsset(c, path.Clean(strings.TrimPrefix(c.Param("*"), "/")))
}

// favicon serves /favicon.ico, which browsers ask for on pages without the layout's icon
// link (such as River UI), as the SVG icon.
func (h *Handler) favicon(c echo.Context) error { return h.sendAsset(c, "favicon.svg") }

func (h *Handler) sendAsset(c echo.Context, name string) error {
	a, ok := h.assets[name]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	hd := c.Response().Header()
	if strings.HasPrefix(name, "vendor/") {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=300, must-revalidate")
	}
	body, etag := a.body, a.etag
	if gz, gzET := a.gzipped(); gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
			body, etag = gz, gzET
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	hd.Set(echo.HeaderContentType, a.typ)
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		hd.Del("Content-Encoding")
		return c.NoContent(http.StatusNotModified)
	}
	hd.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, a.typ, body)
}
