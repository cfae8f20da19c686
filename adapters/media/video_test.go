package media

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

// ffmpegPath returns the ffmpeg the tests use to make videos, and fails the test without
// one: a CI without ffmpeg would otherwise pass without testing poster frames.
func ffmpegPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg is not installed: apt-get install ffmpeg (.ci/run does this)")
	}
	return p
}

func runFFmpeg(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(ffmpegPath(t), append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// testVideo makes a video with ffmpeg's test pattern and returns its bytes.
func testVideo(t *testing.T, name string, size string, seconds string, extra ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	args := []string{"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=25", "-t", seconds, "-c:v", "libx264", "-pix_fmt", "yuv420p"}
	runFFmpeg(t, append(append(args, extra...), path)...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moovFirst says whether the movie header comes before the media data.
func moovFirst(b []byte) bool {
	return strings.Index(string(b), "moov") < strings.Index(string(b), "mdat")
}

func TestPrepare_VideoFactsAndPoster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := testVideo(t, "plain.mp4", "320x240", "2")
	rotatedPath := filepath.Join(dir, "rotated.mp4")
	if err := os.WriteFile(filepath.Join(dir, "src.mp4"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	// A phone's portrait video: stored landscape, with a display matrix turning it 90°.
	runFFmpeg(t, "-i", filepath.Join(dir, "src.mp4"), "-c", "copy", "-metadata:s:v:0", "rotate=90", rotatedPath)
	rotated, err := os.ReadFile(rotatedPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data      []byte
		mimeType  string
		moovFirst bool
		size      image.Point
		duration  time.Duration
	}{
		"moov last":   {plain, domain.MIMEMP4, false, image.Pt(320, 240), 2 * time.Second},
		"faststart":   {testVideo(t, "fast.mp4", "320x240", "2", "-movflags", "+faststart"), domain.MIMEMP4, true, image.Pt(320, 240), 2 * time.Second},
		"quicktime":   {testVideo(t, "clip.mov", "320x240", "2", "-f", "mov"), domain.MIMEQuickTime, false, image.Pt(320, 240), 2 * time.Second},
		"rotated":     {rotated, domain.MIMEMP4, false, image.Pt(240, 320), 2 * time.Second},
		"half second": {testVideo(t, "short.mp4", "640x360", "0.5"), domain.MIMEMP4, false, image.Pt(640, 360), 500 * time.Millisecond},
		"fragmented":  {testVideo(t, "frag.mp4", "320x240", "2", "-movflags", "frag_keyframe+empty_moov"), domain.MIMEMP4, true, image.Pt(320, 240), 2 * time.Second},
		"frame frags": {testVideo(t, "frames.mp4", "320x240", "1.5", "-movflags", "frag_every_frame+empty_moov+default_base_moof"), domain.MIMEMP4, true, image.Pt(320, 240), 1500 * time.Millisecond},
		"large":       {testVideo(t, "large.mp4", "1280x720", "1.2"), domain.MIMEMP4, false, image.Pt(1280, 720), 1200 * time.Millisecond},
	} {
		if moovFirst(tc.data) != tc.moovFirst {
			t.Fatalf("%s: the test video's moov is not where the case says", name)
		}
		p, out, err := prepare(t, NewInspector(InspectorOptions{}), tc.data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		f := p.Facts
		if f.MIMEType != tc.mimeType || f.Width != tc.size.X || f.Height != tc.size.Y {
			t.Errorf("%s: facts %+v, want %s %v", name, f, tc.mimeType, tc.size)
		}
		if d := f.Duration - tc.duration; d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Errorf("%s: duration %s, want about %s", name, f.Duration, tc.duration)
		}
		if p.Rewritten || len(out) != 0 {
			t.Errorf("%s: a video was rewritten", name)
		}
		want := tc.size
		if want.X > 480 {
			want = image.Pt(480, want.Y*480/want.X)
		}
		if got := thumbSize(t, p.Thumbnail); got != want {
			t.Errorf("%s: poster %v, want %v", name, got, want)
		}
	}
}

func TestPrepare_VideoWithoutFFmpegHasNoPoster(t *testing.T) {
	t.Parallel()
	insp := NewInspector(InspectorOptions{FFmpeg: "-"})
	if insp.Posters() {
		t.Fatal("Posters with FFmpeg -")
	}
	p, _, err := prepare(t, insp, testVideo(t, "v.mp4", "320x240", "1"))
	if err != nil || p.Thumbnail != nil || p.Facts.Width != 320 {
		t.Errorf("got %+v, %v; want the facts, no poster and no error", p, err)
	}
	if !NewInspector(InspectorOptions{}).Posters() {
		t.Error("ffmpeg is on PATH but the inspector did not find it")
	}
}

func TestPrepare_RefusesBrokenVideos(t *testing.T) {
	t.Parallel()
	plain := testVideo(t, "plain.mp4", "320x240", "1")
	fast := testVideo(t, "fast.mp4", "320x240", "1", "-movflags", "+faststart")
	audioPath := filepath.Join(t.TempDir(), "audio.mp4")
	runFFmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audioPath)
	audio, err := os.ReadFile(audioPath)
	if err != nil {
		t.Fatal(err)
	}
	// Break the first frame's data of a faststart file: the header is intact, the frame not.
	mdat := strings.Index(string(fast), "mdat")
	garbled := append([]byte{}, fast...)
	for i := mdat + 4; i < len(garbled); i++ {
		garbled[i] = 0
	}
	for name, tc := range map[string]struct {
		data    []byte
		message string
	}{
		"moov missing":   {plain[:len(plain)/2], "Herald could not read this file as an MP4 video: a box is longer than the file holds"},
		"faststart cut":  {fast[:len(fast)-100], "the upload may be incomplete"},
		"no video track": {audio, "it has no video track"},
		"no moov":        {[]byte("\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom\x00\x00\x00\x08free"), "it has no movie header"},
		"frames garbled": {garbled, "no frame of it could be decoded"},
	} {
		_, _, err := prepare(t, NewInspector(InspectorOptions{}), tc.data)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeInvalid || !strings.Contains(de.Message, tc.message) {
			t.Errorf("%s: got %v, want CodeInvalid with %q", name, err, tc.message)
		}
	}
}

func TestTkhdSize_AppliesRotation(t *testing.T) {
	t.Parallel()
	tkhd := func(version byte, a, b, c, d uint32) []byte {
		body := make([]byte, 4+20+16+36+8)
		if version == 1 {
			body = make([]byte, 4+32+16+36+8)
		}
		body[0] = version
		off := len(body) - 44
		for i, v := range []uint32{a, b, 0, c, d, 0, 0, 0, 0x40000000} {
			body[off+i*4], body[off+i*4+1], body[off+i*4+2], body[off+i*4+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		}
		w, h := uint32(1920<<16), uint32(1080<<16)
		off += 36
		for i, v := range []uint32{w, h} {
			body[off+i*4], body[off+i*4+1], body[off+i*4+2], body[off+i*4+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		}
		return body
	}
	const one, minusOne = 0x00010000, 0xFFFF0000
	for name, tc := range map[string]struct {
		body []byte
		w, h int
	}{
		"identity v0": {tkhd(0, one, 0, 0, one), 1920, 1080},
		"identity v1": {tkhd(1, one, 0, 0, one), 1920, 1080},
		"90°":         {tkhd(0, 0, one, minusOne, 0), 1080, 1920},
		"270° v1":     {tkhd(1, 0, minusOne, one, 0), 1080, 1920},
		"180°":        {tkhd(0, minusOne, 0, 0, minusOne), 1920, 1080},
	} {
		w, h, ok := tkhdSize(tc.body)
		if !ok || w != tc.w || h != tc.h {
			t.Errorf("%s: %d×%d %v, want %d×%d", name, w, h, ok, tc.w, tc.h)
		}
	}
	if _, _, ok := tkhdSize(make([]byte, 40)); ok {
		t.Error("a short tkhd was read")
	}
}

// The poster is grabbed within the caller's context.
func TestPrepare_PosterHonoursTheContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "v.mp4")
	if err := os.WriteFile(name, testVideo(t, "v.mp4", "320x240", "1"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, _ := os.Open(name)
	defer in.Close()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewInspector(InspectorOptions{}).Prepare(ctx, in, out); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the context's error", err)
	}
}
