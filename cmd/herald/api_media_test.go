package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app"
)

// uploadBody is a multipart body holding data as the part file, and the form field _csrf
// when csrf is not "".
func uploadBody(t *testing.T, name string, data []byte, csrf string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if csrf != "" {
		if err := w.WriteField("_csrf", csrf); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// TestAPI_UploadPastTheJSONBodyLimitAndFetchItsAddress: a file larger than the 10 MiB of
// JSON bodies uploads through the whole server, and its signed url answers its bytes
// without credentials, with the file route's own headers.
func TestAPI_UploadPastTheJSONBodyLimitAndFetchItsAddress(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "bigfile")
	// Noise stored without compression: 1,800 × 1,800 × 4 bytes, about 13 MB.
	img := image.NewNRGBA(image.Rect(0, 0, 1800, 1800))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var data bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&data, img); err != nil {
		t.Fatal(err)
	}
	if data.Len() <= 10<<20 {
		t.Fatalf("the test file is only %d bytes", data.Len())
	}
	body, ctype := uploadBody(t, "noise.png", data.Bytes(), "")
	st, _, out := c.with(a.token, a.companyID).do("POST", "/api/v1/media", body, "Content-Type", ctype)
	if st != http.StatusCreated {
		t.Fatalf("uploading %d bytes = %d %v", data.Len(), st, out)
	}
	u, err := url.Parse(fmt.Sprint(out["url"]))
	if err != nil || !u.IsAbs() || !strings.HasPrefix(u.Path, "/media/files/") {
		t.Fatalf("url = %q, want an absolute address of the file route", out["url"])
	}
	// Fetched from this Herald, whatever HERALD_BASE_URL the test runs with.
	res, err := http.Get(m.URL() + u.EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	if err != nil || res.StatusCode != http.StatusOK || n != int64(out["size"].(float64)) {
		t.Fatalf("GET url = %d, %d bytes (%v); want the %v stored", res.StatusCode, n, err, out["size"])
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; sandbox" {
		t.Errorf("the file's CSP = %q", csp)
	}
}

// TestAPI_CookieUploadNeedsTheCSRFHeader: a browser session's upload must carry its CSRF
// token in the header; one in the form is not looked for, as finding it would mean parsing
// the whole upload before the handler streams it.
func TestAPI_CookieUploadNeedsTheCSRFHeader(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "cookieupload")
	res, err := c.http.Get(m.URL() + "/login") // sets the _csrf cookie
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	base, _ := url.Parse(m.URL())
	csrf := ""
	for _, ck := range c.http.Jar.Cookies(base) {
		if ck.Name == "_csrf" {
			csrf = ck.Value
		}
	}
	if csrf == "" {
		t.Fatal("no _csrf cookie after GET /login")
	}
	c.http.Jar.SetCookies(base, []*http.Cookie{{Name: app.SessionCookie, Value: a.token}})
	var data bytes.Buffer
	if err := png.Encode(&data, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	body, ctype := uploadBody(t, "small.png", data.Bytes(), csrf)
	send := func(headers ...string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", m.URL()+"/api/v1/media", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if st, out := send(); st != http.StatusForbidden {
		t.Errorf("a cookie upload with the token only in the form = %d %v, want 403", st, out)
	}
	if st, out := send("X-CSRF-Token", csrf); st != http.StatusCreated {
		t.Errorf("a cookie upload with the CSRF header = %d %v, want 201", st, out)
	}
}
