package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_MediaLibraryUploadsEditsAndDeletes drives Chromium through the media library
// with JavaScript on: a PNG and an MP4 picked in the file input go up through the
// resumable-upload API (tus-js-client, 8 MB parts) with a progress bar each, and their
// thumbnails appear in the grid without a reload; the image's alt text is edited on its
// page; the video is deleted. Screenshots of the library and a file's page at 1440x900 and
// 390x844.
func TestBrowser_MediaLibraryUploadsEditsAndDeletes(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	if !m.App.Media.Enabled() {
		t.Skip("this Herald runs without media storage")
	}
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "harbour.png")
	if err := os.WriteFile(pngPath, testPNG(t, 800, 600), 0o644); err != nil {
		t.Fatal(err)
	}
	mp4Path := testMP4(t)

	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }
	browserRegister(t, ctx, m.URL(), "Hana")

	step("open the library", chromedp.Click(css("#nav-media")), chromedp.WaitVisible(css("#library-upload.enhanced")))
	if hidden := eval(`String(document.querySelector("[data-plain-upload]").hidden)`); hidden != "true" {
		t.Error("with JavaScript the plain Upload button still shows")
	}
	step("upload a PNG and an MP4",
		chromedp.SetUploadFiles(css("#library-upload-files"), []string{pngPath, mp4Path}),
		chromedp.WaitVisible(css(`#media-grid li.media-tile[data-kind="image"] img`)),
		chromedp.WaitVisible(css(`#media-grid li.media-tile[data-kind="video"]`)),
		chromedp.WaitVisible(xpath(`//ul[@data-upload-list][count(li[@data-state="done"]) = 2]`)))
	if got := eval(`[...document.querySelectorAll("[data-upload-list] li progress")].map(p => p.value).join(",")`); got != "100,100" {
		t.Errorf("progress bars at the end: %q", got)
	}
	if got := eval(`document.querySelector('#media-grid li[data-kind="video"] .media-duration').textContent.trim()`); !strings.HasSuffix(got, "0:02") {
		t.Errorf("the video's duration on its tile = %q", got)
	}
	if got := eval(`document.querySelector('#media-grid li[data-kind="image"] .media-facts').textContent`); !strings.Contains(got, "800 × 600") {
		t.Errorf("the image's pixel size on its tile = %q", got)
	}
	// The thumbnails are real images the browser decoded.
	if got := eval(`String(document.querySelector('#media-grid li[data-kind="image"] img').naturalWidth > 0)`); got != "true" {
		t.Error("the image's thumbnail did not load")
	}
	if got := eval(`document.querySelector("#storage-text").textContent`); strings.HasPrefix(got, "0 KB") {
		t.Errorf("storage after two uploads: %q", got)
	}
	// A file that is not an image nor a video is refused at the end of its upload, with
	// Herald's reason beside it; the rest of the page is untouched.
	notes := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notes, []byte("meeting notes, not a picture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload a text file named .png",
		chromedp.SetUploadFiles(css("#library-upload-files"), []string{notes}),
		chromedp.WaitVisible(css(`[data-upload-list] li[data-state="error"] .field-error`)))
	if got := eval(`document.querySelector('[data-upload-list] li[data-state="error"]').textContent`); !strings.Contains(got, "notes.png") || !strings.Contains(got, "not supported") {
		t.Errorf("the refused file's row: %q", got)
	}
	for _, p := range consoleOf(ctx).take() {
		if !strings.Contains(p, "status of 415") { // the refusal the test caused
			t.Errorf("console: %s", p)
		}
	}
	if n := eval(`String(document.querySelectorAll("#media-grid li.media-tile").length)`); n != "2" {
		t.Errorf("%s tiles after a refused upload, want 2", n)
	}
	shot("media-library.png")

	step("open the image",
		chromedp.Click(css(`#media-grid li[data-kind="image"] a`)),
		chromedp.WaitVisible(css("#alt-form")))
	step("write its alt text",
		chromedp.SendKeys(css("#alt"), "A harbour at dawn, boats in a row"),
		chromedp.Click(css("#save-alt")),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"][contains(., "alt text of harbour.png was saved")]`)))
	if got := eval(`document.querySelector("#media-preview img").alt`); got != "A harbour at dawn, boats in a row" {
		t.Errorf("the preview's alt = %q", got)
	}
	shot("media-file.png")

	step("open the video",
		chromedp.Click(css(`a[href="/media"]:not(#nav-media)`)),
		chromedp.WaitVisible(css(`#media-grid li[data-kind="video"] a`)),
		chromedp.Click(css(`#media-grid li[data-kind="video"] a`)),
		chromedp.WaitVisible(css("#media-preview video")))
	eval(`(() => { window.confirm = () => true; return ""; })()`)
	step("delete it",
		chromedp.Click(css("#delete-media")),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"][contains(., "was deleted")]`)))
	if n := eval(`String(document.querySelectorAll("#media-grid li.media-tile").length)`); n != "1" {
		t.Errorf("%s tiles after deleting the video, want 1", n)
	}

	step("the library on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/media"), chromedp.WaitVisible(css("#media-grid li")))
	if out := eval(`(` + layoutJS + `)("#library-upload-files")`); out != "" {
		t.Errorf("library on a phone: %s", out)
	}
	shot("media-library-phone.png")
	step("a file on a phone", chromedp.Click(css("#media-grid li a")), chromedp.WaitVisible(css("#alt-form")))
	if out := eval(`(` + layoutJS + `)("#save-alt")`); out != "" {
		t.Errorf("file page on a phone: %s", out)
	}
	shot("media-file-phone.png")
}

// TestBrowser_ComposeWithMediaPublishesTheRightBytes uploads two images from the compose
// page, reorders them with the keyboard-reachable buttons, adds one more from the library
// picker, gives the account its own subset, publishes to the sandbox, and checks the post
// page shows the files in order and the account's subset, and the sandbox received that
// subset's bytes.
// Screenshots of compose with media at 1440x900 and 390x844.
func TestBrowser_ComposeWithMediaPublishesTheRightBytes(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	if !m.App.Media.Enabled() {
		t.Skip("this Herald runs without media storage")
	}
	dir := t.TempDir()
	first, second, third := filepath.Join(dir, "first.png"), filepath.Join(dir, "second.png"), filepath.Join(dir, "third.png")
	for path, w := range map[string]int{first: 640, second: 480, third: 320} {
		if err := os.WriteFile(path, testPNG(t, w, 400), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }
	browserRegister(t, ctx, m.URL(), "Ines")

	step("put a file in the library first",
		chromedp.Navigate(m.URL()+"/media"),
		chromedp.WaitVisible(css("#library-upload.enhanced")),
		chromedp.SetUploadFiles(css("#library-upload-files"), []string{third}),
		chromedp.WaitVisible(css(`#media-grid li.media-tile img`)))
	step("connect the sandbox",
		chromedp.Navigate(m.URL()+"/accounts"),
		chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
		chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)))
	eval(`(() => { const h = document.querySelector("#handle"); if (h && !h.value) { h.value = "ines-media"; } return ""; })()`)
	step("allow", chromedp.Click(css(`button[name="decision"][value="allow"]`)), chromedp.WaitVisible(css("#accounts")))

	step("compose", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#compose-upload.enhanced")))
	step("tick the account and type",
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.SendKeys(css("#content"), "Two pictures and one from the library"))
	step("upload two images",
		chromedp.SetUploadFiles(css("#compose-upload-files"), []string{first, second}),
		chromedp.WaitVisible(xpath(`//ol[@id="chosen-media"][count(li) = 2]`)))
	order := func() string {
		return eval(`[...document.querySelectorAll("#chosen-media input[name=media_ids]")].map(i => i.closest("li").dataset.name).join(",")`)
	}
	before := order()
	if before != "first.png,second.png" && before != "second.png,first.png" {
		t.Fatalf("chosen after uploading = %q", before)
	}
	// The first file moves right with its own button, and keeps the focus.
	step("move the first file right", chromedp.Focus(css(`#chosen-media li:first-child [data-move="1"]`)),
		chromedp.KeyEvent("\r"))
	after := order()
	if parts := strings.Split(before, ","); after != parts[1]+","+parts[0] {
		t.Errorf("after moving right: %q (before %q)", after, before)
	}
	if got := eval(`document.activeElement.closest("li") === document.querySelector("#chosen-media li:last-child") ? "kept" : "lost"`); got != "kept" {
		t.Error("the focus did not follow the moved file")
	}
	step("choose one from the library",
		chromedp.Click(css("#open-picker")),
		chromedp.WaitVisible(css(`#picker-results [data-pick]`)))
	step("pick third.png",
		chromedp.Click(xpath(`//button[@data-pick][.//span[text()="third.png"]]`)),
		chromedp.WaitVisible(xpath(`//ol[@id="chosen-media"][count(li) = 3]`)))
	if got := eval(`document.querySelector("#chosen-media li:last-child").dataset.name`); got != "third.png" {
		t.Errorf("the picked file is not last: %q", got)
	}
	if got := eval(`document.querySelector("#rule-warnings").textContent`); got != "" {
		t.Errorf("three images for the sandbox warn: %q", got)
	}
	want := order()
	// The account takes its own subset: ticking the box starts with every file; the first
	// is unticked.
	step("give the account its own files",
		chromedp.Click(css(`details[data-variant-for] summary`)),
		chromedp.Click(css(`input[data-own-media]`)))
	if got := eval(`[...document.querySelectorAll("[data-variant-choices] input")].map(c => c.checked).join(",")`); got != "true,true,true" {
		t.Errorf("own media boxes after ticking the account's box: %q", got)
	}
	eval(`(() => { document.querySelector("[data-variant-choices] input").click(); return ""; })()`)
	wantOwn := want[strings.Index(want, ",")+1:]
	shot("compose-media.png")
	step("compose on a phone", chromedp.EmulateViewport(390, 844))
	if out := eval(`(` + layoutJS + `)("#chosen-media [data-remove]")`); out != "" {
		t.Errorf("compose with media on a phone: %s", out)
	}
	shot("compose-media-phone.png")
	step("back to a wide window", chromedp.EmulateViewport(1440, 900))

	step("publish now",
		chromedp.Click(css("#publish-now")),
		chromedp.WaitVisible(css("#post-library-media")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)))
	shown := eval(`[...document.querySelectorAll("#post-library-media li")].map(li => li.querySelector(".visually-hidden").textContent).join(",")`)
	if shown != want {
		t.Errorf("the post page shows %q, want %q", shown, want)
	}
	own := eval(`[...document.querySelectorAll(".target-media li")].map(li => li.querySelector(".visually-hidden").textContent).join(",")`)
	if own != wantOwn {
		t.Errorf("the account's own files on the post page: %q, want %q", own, wantOwn)
	}
	checkSandboxReceived(t, m, eval(`document.querySelector("#post-targets a.external").href`), wantOwn, dir)
}

// noisePNG returns a w×h PNG of random pixels, which does not compress: its size is about
// w×h×3 bytes, enough to need several 8 MB parts.
func noisePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cutOnce is a reverse proxy to Herald that drops the connection of the first upload part
// sent from a non-zero offset before its answer arrives: Herald has the part's bytes, the
// browser sees a connection closed without an answer, as when a network goes away. It
// records every request to the upload endpoint.
type cutOnce struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	seen  []string
	done  bool
}

func (c *cutOnce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/v1/uploads") {
		c.proxy.ServeHTTP(w, r)
		return
	}
	offset := r.Header.Get("Upload-Offset")
	c.mu.Lock()
	drop := r.Method == http.MethodPatch && offset != "0" && !c.done
	c.done = c.done || drop
	c.seen = append(c.seen, strings.TrimSpace(r.Method+" "+offset+map[bool]string{true: " cut"}[drop]))
	c.mu.Unlock()
	if !drop {
		c.proxy.ServeHTTP(w, r)
		return
	}
	c.proxy.ServeHTTP(httptest.NewRecorder(), r) // Herald stores the part; its answer is lost
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func (c *cutOnce) requests() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.seen, ", ")
}

// TestBrowser_UploadResumesAfterADroppedConnection uploads an image of three 8 MB parts
// through a proxy that drops the connection of the second part before its answer:
// tus-js-client asks Herald how much arrived (HEAD) and sends the rest from there, never
// from the start, and the file is stored whole.
func TestBrowser_UploadResumesAfterADroppedConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := "http://" + ln.Addr().String()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_BASE_URL": front})
	if !m.App.Media.Enabled() {
		t.Skip("this Herald runs without media storage")
	}
	target, _ := url.Parse(m.URL())
	proxy := &cutOnce{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	path := filepath.Join(t.TempDir(), "noise.png")
	data := noisePNG(t, 3000, 2000)
	if len(data) <= 16<<20 || len(data) > 24<<20 {
		t.Fatalf("the test file is %d bytes, want three parts", len(data))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, 1280, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	step("register",
		chromedp.Navigate(front+"/register"),
		chromedp.SendKeys(css("#name"), "Rui"),
		chromedp.SendKeys(css("#email"), strings.ToLower(uniqueEmail("rui"))),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Rui Studio"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	step("open the library", chromedp.Navigate(front+"/media"), chromedp.WaitVisible(css("#library-upload.enhanced")))
	step("upload, losing the connection once",
		chromedp.SetUploadFiles(css("#library-upload-files"), []string{path}),
		chromedp.WaitVisible(css(`#media-grid li.media-tile img`)))
	// After the cut the client asks where to go on (Chromium may first resend the lost
	// part itself, which Herald refuses with 409 as its offset has moved), and goes on
	// from the third part: the second is never sent again after the HEAD, nor the first.
	got := proxy.requests()
	cutAt := strings.Index(got, fmt.Sprintf("PATCH %d cut", 8<<20))
	after := got[max(cutAt, 0):]
	if cutAt < 0 || !strings.Contains(after, "HEAD") || !strings.HasSuffix(got, fmt.Sprintf("HEAD, PATCH %d", 16<<20)) || strings.Count(got, "PATCH 0") != 1 {
		t.Errorf("requests to the upload endpoint: %s", got)
	}
	if facts := evaluator(t, ctx)(`document.querySelector("#media-grid li .media-facts").textContent`); !strings.Contains(facts, "3000 × 2000") {
		t.Errorf("the stored file: %q", facts)
	}
}

// checkSandboxReceived checks that the sandbox post at link received the files named want
// (comma-separated, in order) with the bytes of the files of that name in dir: size and
// SHA-256. Go's PNG encoder writes no metadata, so Herald stores the test's images unchanged.
func checkSandboxReceived(t *testing.T, m *Main, link, want, dir string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("sandbox link %q: %v", link, err)
	}
	got, err := m.sandbox.Received(context.Background(), path.Base(u.Path))
	if err != nil {
		t.Fatalf("what the sandbox received: %v", err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != want {
		t.Fatalf("the sandbox received %v, want %s", names, want)
	}
	for _, r := range got {
		data, err := os.ReadFile(filepath.Join(dir, r.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if r.Size != int64(len(data)) || r.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("the sandbox received %s as %d bytes with SHA-256 %s; the file is %d bytes, %x", r.Name, r.Size, r.SHA256, len(data), sum)
		}
	}
}
