package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testVideo makes a short H.264 MP4 with ffmpeg (Debian's; .ci/run installs it).
func testVideo(t *testing.T) []byte {
	t.Helper()
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg is not installed: apt-get install ffmpeg (.ci/run does this)")
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command(bin, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAPI_LibraryMediaReachTheSandbox is the media library end to end through the API: an
// image uploaded in one request, a video uploaded in resumable parts (tus), a post that
// takes both by id, and the sandbox receiving exactly the stored bytes with the alt text.
func TestAPI_LibraryMediaReachTheSandbox(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "media-e2e")
	oc := c.with(a.token, a.companyID)
	account := connectSandboxAPI(t, oc, "media-e2e-sandbox")

	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.White)
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		t.Fatal(err)
	}
	body, ctype := uploadBody(t, "pattern.png", pngData.Bytes(), "")
	st, _, photo := oc.do("POST", "/api/v1/media", body, "Content-Type", ctype)
	if st != http.StatusCreated || photo["width"] != 400.0 || photo["mime_type"] != "image/png" {
		t.Fatalf("upload the image = %d %v", st, photo)
	}
	if st, _, p := oc.do("PUT", "/api/v1/media/"+photo["id"].(string), map[string]any{"alt": "A test pattern"}, "If-Match", `"1"`); st != 200 {
		t.Fatalf("set alt = %d %v", st, p)
	}

	// The video in three resumable parts.
	video := testVideo(t)
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("clip.mp4"))
	st, h, out := oc.do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(video)), "Upload-Metadata", meta)
	if st != http.StatusCreated || h.Get("Location") == "" {
		t.Fatalf("create the upload = %d %v", st, out)
	}
	loc := h.Get("Location")
	if u, err := http.NewRequest("HEAD", loc, nil); err == nil && u.URL.IsAbs() {
		loc = u.URL.Path
	}
	var mediaID string
	part := len(video)/3 + 1
	for off := 0; off < len(video); off += part {
		end := min(off+part, len(video))
		st, h, out := oc.do("PATCH", loc, video[off:end], "Tus-Resumable", "1.0.0", "Upload-Offset", strconv.Itoa(off),
			"Content-Type", "application/offset+octet-stream")
		if st != http.StatusNoContent || h.Get("Upload-Offset") != strconv.Itoa(end) {
			t.Fatalf("PATCH at %d = %d %v (offset %q)", off, st, out, h.Get("Upload-Offset"))
		}
		mediaID = h.Get("Herald-Media-Id")
	}
	if mediaID == "" {
		t.Fatal("the last part answered no Herald-Media-Id")
	}
	st, _, clip := oc.do("GET", "/api/v1/media/"+mediaID, nil)
	if st != 200 || clip["mime_type"] != "video/mp4" || clip["duration_ms"] == nil || clip["thumbnail_url"] == nil {
		t.Fatalf("the video = %d %v", st, clip)
	}

	st, _, post := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Pattern and clip", "account_ids": []string{account},
		"media_ids": []string{mediaID, photo["id"].(string)}})
	if st != http.StatusCreated || len(post["media"].([]any)) != 2 {
		t.Fatalf("create the post = %d %v", st, post)
	}
	if st, _, b := oc.do("POST", "/api/v1/posts/"+post["id"].(string)+"/schedule", nil); st != 200 {
		t.Fatalf("schedule = %d %v", st, b)
	}
	var external string
	waitFor(t, "the post to be published", time.Minute, func() bool {
		_, _, p := oc.do("GET", "/api/v1/posts/"+post["id"].(string), nil)
		if p["status"] != "published" {
			return false
		}
		external, _ = p["targets"].([]any)[0].(map[string]any)["external_id"].(string)
		return true
	})
	got, err := m.sandbox.Received(context.Background(), external)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, alt string
		data      []byte
	}{{"clip.mp4", "", video}, {"pattern.png", "A test pattern", nil}}
	if len(got) != 2 {
		t.Fatalf("the sandbox received %+v", got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Alt != w.alt {
			t.Errorf("item %d = %+v, want %s with alt %q", i, got[i], w.name, w.alt)
		}
		if w.data != nil {
			sum := sha256.Sum256(w.data)
			if got[i].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("item %d: the sandbox received other bytes than were uploaded", i)
			}
		}
	}
	// The image was rewritten without metadata; what the sandbox got is what was stored.
	st, _, stored := oc.do("GET", "/api/v1/media/"+photo["id"].(string), nil)
	if st != 200 || got[1].Size != int64(stored["size"].(float64)) {
		t.Errorf("the sandbox received %d bytes of the image, the library holds %v", got[1].Size, stored["size"])
	}
	if fmt.Sprint(got[0].Size) != strconv.Itoa(len(video)) {
		t.Errorf("the sandbox received %d bytes of the video, %d were uploaded", got[0].Size, len(video))
	}
}
