package tiktok

import (
	"context"
	"runtime"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_LibraryVideoUploadStreamsInBoundedMemory sends a 64 MB library video with
// FILE_UPLOAD under TikTok's real chunk rules: TikTok gets exactly its bytes in chunks read
// straight from the stream (never a temporary file, never the signed URL), and publishing
// allocates far less than the video. It does not run in parallel, so the allocation count
// is this test's alone.
func TestPublish_LibraryVideoUploadStreamsInBoundedMemory(t *testing.T) {
	f := newFake(t)
	f.rules = tiktokChunkRules
	tok := f.token("open-1")
	lib := platformtest.NewLibrary(t)
	video := lib.AddGenerated(domain.MediaVideo, "video/mp4", "launch.mp4", 64<<20, 9)
	a := f.adapter(func(c *Config) { c.UploadMode = UploadFile })
	a.rules = tiktokChunkRules

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := a.Publish(context.Background(), domain.Credentials{AccessToken: tok}, account(), ports.Publication{Text: "Launch", Media: []ports.PublicationMedia{video.Media}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	up := f.uploadOf(t)
	if !up.done || up.size != 64<<20 || up.digest() != video.SHA256 {
		t.Fatalf("TikTok has %d of %d bytes (done %v) with SHA-256 %.12s, want the video's %.12s", up.next, up.size, up.done, up.digest(), video.SHA256)
	}
	// The default 10 MB chunks: six, the last taking the trailing 14 MB.
	if up.chunk != 10<<20 || up.count != 6 {
		t.Errorf("chunk_size %d, total_chunk_count %d; want 10 MB chunks, 6 of them", up.chunk, up.count)
	}
	if lib.Fetches(video.Media) != 0 || lib.Opens(video.Media) != 1 {
		t.Errorf("signed URL fetched %d times, stream opened %d; want the stream once", lib.Fetches(video.Media), lib.Opens(video.Media))
	}
	// The fake server digests the chunks in the same process, so this bounds both sides.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("publishing a 64 MB video allocated %d MB; it must stream, not hold the video", alloc>>20)
	}
}

// TestPublish_LibraryMediaPull gives TikTok the signed URL of a library video and library
// photos to pull: their kind and type come from what Herald stored, not from the URL,
// which has no extension.
func TestPublish_LibraryMediaPull(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	lib := platformtest.NewLibrary(t)
	f.verified = append(f.verified, "http://127.0.0.1:") // Herald's domain, verified for the app
	tok := f.token("open-1")
	video := lib.Add(domain.MediaVideo, "video/mp4", "clip.mp4", "", clip(6<<10))
	a := f.adapter(func(c *Config) { c.UploadMode = UploadPull })
	if _, err := a.Publish(context.Background(), domain.Credentials{AccessToken: tok}, account(), ports.Publication{Text: "Pulled", Media: []ports.PublicationMedia{video.Media}}); err != nil {
		t.Fatalf("Publish(video): %v", err)
	}
	if si := f.lastInit.SourceInfo; si["source"] != "PULL_FROM_URL" || si["video_url"] != video.Media.URL {
		t.Errorf("source_info = %v, want PULL_FROM_URL of the signed URL", si)
	}
	if lib.Opens(video.Media) != 0 {
		t.Error("a pulled video was read from storage")
	}

	png := lib.Add(domain.MediaImage, "image/png", "logo.png", "", []byte("\x89PNG"))
	_, err := a.Publish(context.Background(), domain.Credentials{AccessToken: tok}, account(), ports.Publication{Text: "PNG", Media: []ports.PublicationMedia{png.Media}})
	if got := domain.CodeOf(err); got != domain.CodeInvalid {
		t.Errorf("Publish(library PNG) = %v (code %q), want invalid: TikTok takes JPEG and WebP photos", err, got)
	}
	webp := lib.Add(domain.MediaImage, "image/webp", "pic.webp", "", []byte("RIFF....WEBP"))
	if _, err := a.Publish(context.Background(), domain.Credentials{AccessToken: tok}, account(), ports.Publication{Text: "WebP", Media: []ports.PublicationMedia{webp.Media}}); err != nil {
		t.Fatalf("Publish(library WebP): %v", err)
	}
	if imgs, _ := f.lastPhoto["source_info"].(map[string]any)["photo_images"].([]any); len(imgs) != 1 || imgs[0] != webp.Media.URL {
		t.Errorf("photo_images = %v, want the signed URL", imgs)
	}
}
