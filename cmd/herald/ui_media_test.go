package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// testPNG returns a w×h PNG with a gradient, so every test file's bytes differ by size.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testMP4 makes a two-second 320×240 H.264 video with ffmpeg and returns its path.
func testMP4(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-movflags", "+faststart", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, msg)
	}
	return out
}

// uploadForm posts files (name → bytes) with the library page's plain form, as a browser
// without JavaScript does.
func (b *browser) uploadForm(files map[string][]byte) (*http.Response, *goquery.Document) {
	b.t.Helper()
	at, doc := b.page("/media")
	f := doc.Find(`form[enctype="multipart/form-data"]`)
	if f.Length() != 1 {
		b.t.Fatalf("no upload form on the library page: %s", text(doc.Find("main")))
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", f.Find(`input[name="_csrf"]`).AttrOr("value", ""))
	for name, data := range files {
		w, _ := mw.CreateFormFile("files", name)
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	action, _ := url.Parse(f.AttrOr("action", ""))
	req, _ := http.NewRequest("POST", at.ResolveReference(action).String(), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

// mediaID returns the id of the library tile named name on doc, failing the test without one.
func mediaID(t *testing.T, doc *goquery.Document, name string) string {
	t.Helper()
	var id string
	doc.Find("#media-grid li.media-tile").Each(func(_ int, s *goquery.Selection) {
		if text(s.Find(".media-name")) == name {
			id = s.AttrOr("data-media-id", "")
		}
	})
	if id == "" {
		t.Fatalf("no tile %q in %q", name, text(doc.Find("#media-grid")))
	}
	return id
}

// TestUI_MediaLibraryWithoutJavaScript uploads through the library page's plain form (an
// image stored, a text file refused beside its name), searches and filters, edits the alt
// text (a stale save keeps the typed text), refuses to delete a file a scheduled post uses,
// deletes it once the post is a draft again, and hides the file from another company.
func TestUI_MediaLibraryWithoutJavaScript(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Mila")
	if !m.App.Media.Enabled() {
		t.Skip("this Herald runs without media storage")
	}
	_, doc := b.page("/media")
	if doc.Find(`nav a[href="/media"][aria-current="page"]`).Length() != 1 || doc.Find("#no-media").Length() != 1 {
		t.Fatalf("library page: %q", text(doc.Find("main")))
	}

	res, doc := b.uploadForm(map[string][]byte{"roof party.png": testPNG(t, 640, 480), "notes.txt": []byte("just words, not a picture")})
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text file among the uploads: %d, want 415", res.StatusCode)
	}
	if got := text(doc.Find("#upload-error")); !strings.Contains(got, "notes.txt:") || !strings.Contains(got, "not supported") || !strings.Contains(got, "Uploaded: roof party.png.") {
		t.Errorf("upload problems: %q", got)
	}
	id := mediaID(t, doc, "roof party.png")
	// The plain form posts the files whole, under the server's body limit: over it, the
	// page says how to upload large files.
	res, big := b.uploadForm(map[string][]byte{"big.png": noisePNG(t, 2400, 1600)})
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(text(big.Find("main")), "Turn JavaScript on to upload large files") {
		t.Errorf("a large file without JavaScript: %d %q", res.StatusCode, text(big.Find("main")))
	}
	tile := doc.Find(`#media-grid li[data-media-id="` + id + `"]`)
	if !strings.Contains(text(tile), "640 × 480") || tile.Find("img").AttrOr("src", "") == "" {
		t.Errorf("tile: %q", text(tile))
	}
	// The preview's signed address answers an image.
	src, err := url.Parse(tile.Find("img").AttrOr("src", ""))
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := b.http.Get(res.Request.URL.ResolveReference(src).String())
	if err != nil {
		t.Fatal(err)
	}
	thumb.Body.Close()
	if thumb.StatusCode != http.StatusOK || !strings.HasPrefix(thumb.Header.Get("Content-Type"), "image/") {
		t.Errorf("thumbnail: %d %s", thumb.StatusCode, thumb.Header.Get("Content-Type"))
	}
	if !strings.Contains(text(doc.Find("#storage-text")), "of 2.0 GB used") {
		t.Errorf("storage: %q", text(doc.Find("#storage-usage")))
	}

	_, doc = b.page("/media?q=roof")
	if doc.Find("#media-grid li").Length() != 1 {
		t.Errorf("search roof: %q", text(doc.Find("#media-grid")))
	}
	_, doc = b.page("/media?q=nothing-like-it")
	if doc.Find("#media-grid li").Length() != 0 || doc.Find("#no-media").Length() != 1 {
		t.Errorf("search for nothing: %q", text(doc.Find("main")))
	}
	_, doc = b.page("/media?type=video")
	if doc.Find("#media-grid li").Length() != 0 {
		t.Error("the image shows among videos")
	}

	// Alt text, with the version the form was opened at; a second save from the same old
	// form is stale and keeps its text.
	at, doc := b.page("/media/" + id)
	res, doc2 := b.postForm(at, doc, "#alt-form", url.Values{"alt": {"Six people on a roof at dusk"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(text(doc2.Find("#alerts")), "alt text of roof party.png was saved") ||
		doc2.Find("textarea#alt").Text() != "Six people on a roof at dusk" {
		t.Errorf("alt saved: %d %q", res.StatusCode, text(doc2.Find("main")))
	}
	res, doc2 = b.postForm(at, doc, "#alt-form", url.Values{"alt": {"Typed in an old tab"}})
	if res.StatusCode != http.StatusPreconditionFailed || doc2.Find("textarea#alt").Text() != "Typed in an old tab" ||
		!strings.Contains(text(doc2.Find("#alt-error")), "Six people on a roof at dusk") {
		t.Errorf("stale alt: %d %q", res.StatusCode, text(doc2.Find("#media-alt")))
	}

	// A scheduled post uses the file: deleting it is refused with the reason.
	b.connectSandboxAs("mila-sandbox")
	account := b.accountIDs("mila-sandbox")["mila-sandbox"]
	page, doc := b.page("/posts/new")
	in3Days := time.Now().UTC().AddDate(0, 0, 3).Truncate(time.Hour)
	res, doc = b.postForm(page, doc, "#compose", url.Values{"content": {"With the roof photo"}, "account_ids": {account}, "media_ids": {id},
		"scheduled_for": {in3Days.Format("2006-01-02T15:04")}, "action": {"schedule"}})
	post := postID(t, res, doc)
	if img := doc.Find(`#post-library-media li[data-media-id="` + id + `"] img`); img.AttrOr("alt", "") != "Six people on a roof at dusk" {
		t.Errorf("the post page does not show the file with its alt text: %q", text(doc.Find(".post-body")))
	}
	at, doc = b.page("/media/" + id)
	if doc.Find(`#media-use-list a[href="/posts/`+post+`"]`).Length() != 1 {
		t.Errorf("used by: %q", text(doc.Find("#media-uses")))
	}
	res, doc = b.postForm(at, doc, "#delete-media-form", nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(text(doc.Find("#delete-error")), "yet to go out") {
		t.Errorf("delete while scheduled: %d %q", res.StatusCode, text(doc.Find("#media-delete")))
	}

	// Another company's member gets 404 for the file and its tiles.
	other := newBrowser(t, m)
	other.registerUI("Otto")
	if res, _ := other.get("/media/" + id); res.StatusCode != http.StatusNotFound {
		t.Errorf("another company's file page: %d, want 404", res.StatusCode)
	}
	if _, doc := other.get("/media/tiles?id=" + id); doc.Find("li").Length() != 0 {
		t.Error("another company's tile was answered")
	}

	// Unscheduled, the post is a draft: the file can go, and the draft loses it.
	at, doc = b.page("/posts/" + post)
	b.postForm(at, doc, `form[action="/posts/`+post+`/unschedule"]`, nil)
	at, doc = b.page("/media/" + id)
	res, doc = b.postForm(at, doc, "#delete-media-form", nil)
	if res.Request.URL.Path != "/media" || !strings.Contains(text(doc.Find("#alerts")), "roof party.png was deleted") || doc.Find("#media-grid li").Length() != 0 {
		t.Errorf("delete: at %s, %q", res.Request.URL.Path, text(doc.Find("main")))
	}
	if res, _ := b.get("/media/" + id); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted file's page: %d", res.StatusCode)
	}
}
