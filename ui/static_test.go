package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// staticServer is Echo with only the web app's static routes.
func staticServer(t *testing.T) *echo.Echo {
	t.Helper()
	h, err := New(nil, Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	h.Register(e)
	return e
}

func getStatic(e *echo.Echo, path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestStatic_TextAssetsGzippedWithVaryAndCaching: CSS, JS and SVG go out gzipped to a
// client that accepts it, identical after decompression, with Vary: Accept-Encoding; a
// client that does not accept gzip gets the plain file; both revalidate by ETag (304).
func TestStatic_TextAssetsGzippedWithVaryAndCaching(t *testing.T) {
	t.Parallel()
	e := staticServer(t)
	for _, c := range []struct{ path, typ, cache string }{
		{"/static/app.css", "text/css", "max-age=300"},
		{"/static/app.js", "javascript", "max-age=300"},
		{"/static/favicon.svg", "image/svg+xml", "max-age=300"},
		{"/static/vendor/htmx-2.0.11.min.js", "javascript", "immutable"},
		{"/static/vendor/pico-2.1.1.min.css", "text/css", "immutable"},
		{"/static/vendor/swagger-ui-bundle-5.35.0.js", "javascript", "immutable"},
		{"/static/vendor/swagger-ui-5.35.0.css", "text/css", "immutable"},
		{"/static/api-docs.js", "javascript", "max-age=300"},
		{"/static/media.js", "javascript", "max-age=300"},
		{"/static/vendor/tus-js-client-4.3.1.min.js", "javascript", "immutable"},
	} {
		plain := getStatic(e, c.path)
		if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" || plain.Body.Len() == 0 {
			t.Fatalf("%s without gzip: %d, encoding %q, %d bytes", c.path, plain.Code, plain.Header().Get("Content-Encoding"), plain.Body.Len())
		}
		zipped := getStatic(e, c.path, "Accept-Encoding", "br;q=1.0, gzip;q=0.8")
		if zipped.Code != http.StatusOK || zipped.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s with gzip: %d, encoding %q", c.path, zipped.Code, zipped.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: not gzip: %v", c.path, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
			t.Errorf("%s: the gzipped body differs from the file (%v)", c.path, err)
		}
		if zipped.Body.Len() >= plain.Body.Len() {
			t.Errorf("%s: gzip is %d bytes, the file %d", c.path, zipped.Body.Len(), plain.Body.Len())
		}
		for name, rec := range map[string]*httptest.ResponseRecorder{"plain": plain, "gzip": zipped} {
			h := rec.Header()
			if !strings.Contains(h.Get("Content-Type"), c.typ) || !strings.Contains(h.Get("Cache-Control"), c.cache) ||
				!strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding") || h.Get("ETag") == "" {
				t.Errorf("%s %s: Content-Type %q, Cache-Control %q, Vary %q, ETag %q", c.path, name, h.Get("Content-Type"), h.Get("Cache-Control"), h.Values("Vary"), h.Get("ETag"))
			}
			if rec.Header().Get("Content-Length") != "" && rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("%s %s: Content-Length %s for %d bytes", c.path, name, rec.Header().Get("Content-Length"), rec.Body.Len())
			}
		}
		if plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
			t.Errorf("%s: the plain and gzipped bodies share an ETag", c.path)
		}
		again := getStatic(e, c.path, "Accept-Encoding", "gzip", "If-None-Match", zipped.Header().Get("ETag"))
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s revalidated: %d with %d bytes, want 304", c.path, again.Code, again.Body.Len())
		}
	}
	if rec := getStatic(e, "/static/app.css", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	if rec := getStatic(e, "/favicon.ico"); rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "image/svg+xml") {
		t.Errorf("/favicon.ico = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, p := range []string{"/static/VERSIONS.md", "/static/vendor.sh", "/static/../ui.go", "/static/nothing.js", "/static/vendor"} {
		if rec := getStatic(e, p, "Accept-Encoding", "gzip"); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}
