package ui_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ui"
)

// filePath is the path of a signed address made by app.Media.URL, whatever the app's
// FileURL puts before it.
func filePath(u string) string {
	if i := strings.Index(u, "/media/files/"); i >= 0 {
		return u[i:]
	}
	return ui.MediaFilePath(u)
}

func TestMediaFilePath_IsTheSignedRoute(t *testing.T) {
	t.Parallel()
	if got, want := ui.MediaFilePath("abc.def/Photo%20one.png"), "/media/files/abc.def/Photo%20one.png"; got != want {
		t.Errorf("MediaFilePath = %q, want %q", got, want)
	}
}

func TestMediaFile_ServesTheBytesToWhoeverHoldsTheAddress(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	h, err := ui.New(a.Services, ui.Config{Log: apptest.Quiet(), Now: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = h.HandleError
	h.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	owner := a.Company(t, domain.RoleOwner)
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for x := range 300 {
		img.Set(x, x%200, color.RGBA{uint8(x), 10, 200, 255})
	}
	var data bytes.Buffer
	if err := png.Encode(&data, img); err != nil {
		t.Fatal(err)
	}
	m, err := a.Media.Upload(a.Ctx, owner, "Photo one.png", "", bytes.NewReader(data.Bytes()))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	fileURL := srv.URL + filePath(a.Media.URL(m))

	get := func(method, u string, headers ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}

	res, body := get("GET", fileURL)
	sum := sha256.Sum256(body)
	if res.StatusCode != http.StatusOK || int64(len(body)) != m.Size || !bytes.Equal(sum[:], m.SHA256) {
		t.Fatalf("GET = %d, %d bytes; want 200 and the %d stored bytes", res.StatusCode, len(body), m.Size)
	}
	etag := `"` + hex.EncodeToString(m.SHA256) + `"`
	for name, want := range map[string]string{
		"Content-Type":            "image/png",
		"ETag":                    etag,
		"Content-Disposition":     `inline; filename="Photo one.png"`,
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "private, max-age=3600",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	if res, _ := get("GET", fileURL, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag = %d, want 304", res.StatusCode)
	}
	res, part := get("GET", fileURL, "Range", "bytes=8-23")
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(part, body[8:24]) || res.Header.Get("Content-Range") != "bytes 8-23/"+strconv.FormatInt(m.Size, 10) {
		t.Errorf("Range = %d, %q, Content-Range %q", res.StatusCode, part, res.Header.Get("Content-Range"))
	}
	res, headBody := get("HEAD", fileURL)
	if res.StatusCode != http.StatusOK || len(headBody) != 0 || res.ContentLength != m.Size {
		t.Errorf("HEAD = %d, %d bytes, Content-Length %d", res.StatusCode, len(headBody), res.ContentLength)
	}
	if thumb := a.Media.ThumbURL(m); thumb != "" {
		res, b := get("GET", srv.URL+filePath(thumb))
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" || len(b) == 0 || res.Header.Get("ETag") == etag {
			t.Errorf("the preview = %d %q, %d bytes, ETag %q", res.StatusCode, res.Header.Get("Content-Type"), len(b), res.Header.Get("ETag"))
		}
	}

	t.Run("TamperedTokenIsNotFound", func(t *testing.T) {
		p := filePath(a.Media.URL(m))
		i := strings.LastIndex(p, ".") // the name's extension; the token's signature follows its own dot
		i = strings.LastIndex(p[:strings.LastIndex(p[:i], "/")], ".") + 1
		swap := byte('A')
		if p[i] == 'A' {
			swap = 'B'
		}
		flipped := p[:i] + string(swap) + p[i+1:]
		if res, _ := get("GET", srv.URL+flipped); res.StatusCode != http.StatusNotFound {
			t.Errorf("a tampered signature = %d, want 404", res.StatusCode)
		}
		if res, _ := get("GET", srv.URL+"/media/files/nonsense/x.png"); res.StatusCode != http.StatusNotFound {
			t.Errorf("a made-up token = %d, want 404", res.StatusCode)
		}
	})

	t.Run("DeletedFileIsNotFound", func(t *testing.T) {
		gone, err := a.Media.Upload(a.Ctx, owner, "gone.png", "", bytes.NewReader(data.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		u := srv.URL + filePath(a.Media.URL(gone))
		if res, _ := get("GET", u); res.StatusCode != http.StatusOK {
			t.Fatalf("before deleting = %d", res.StatusCode)
		}
		if err := a.Media.Delete(a.Ctx, owner, gone.ID); err != nil {
			t.Fatal(err)
		}
		if res, _ := get("GET", u); res.StatusCode != http.StatusNotFound {
			t.Errorf("after deleting = %d, want 404", res.StatusCode)
		}
	})

	// Last: the clock moves past the address's expiry.
	t.Run("ExpiredAddressIsNotFound", func(t *testing.T) {
		a.Clock.Advance(domain.MediaURLTTL + 2*time.Hour)
		if res, _ := get("GET", fileURL); res.StatusCode != http.StatusNotFound {
			t.Errorf("an expired address = %d, want 404", res.StatusCode)
		}
		if res, _ := get("GET", srv.URL+filePath(a.Media.URL(m))); res.StatusCode != http.StatusOK {
			t.Errorf("a new address = %d, want 200", res.StatusCode)
		}
	})
}
