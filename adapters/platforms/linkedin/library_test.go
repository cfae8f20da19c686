package linkedin

import (
	"context"
	"runtime"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_LibraryImagesStreamWithAltText publishes two library images: their bytes
// come from Open (the signed URL is never fetched), and each image's alt text goes with it
// in multiImage.
func TestPublish_LibraryImagesStreamWithAltText(t *testing.T) {
	t.Parallel()
	x := setup(t)
	lib := platformtest.NewLibrary(t)
	one := lib.Add(domain.MediaImage, "image/png", "chart.png", "Sales by month, rising", []byte("\x89PNG first image bytes"))
	two := lib.Add(domain.MediaImage, "image/jpeg", "team.jpg", "", []byte("\xff\xd8\xff\xe0 second image bytes"))
	_, err := x.a.Publish(context.Background(), x.creds, x.org, ports.Publication{Text: "Library", Media: []ports.PublicationMedia{one.Media, two.Media}})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	posts := x.f.postsOf("urn:li:organization:555")
	if len(posts) != 1 || len(posts[0].media) != 2 {
		t.Fatalf("LinkedIn has %d posts, want 1 with 2 images", len(posts))
	}
	p := posts[0]
	for i, file := range []platformtest.File{one, two} {
		img := x.f.images[p.media[i]]
		if got := hexSHA256(string(img.uploaded)); got != file.SHA256 {
			t.Errorf("image %d: LinkedIn has SHA-256 %.12s, want %.12s", i+1, got, file.SHA256)
		}
		if img.ctype != file.Media.MIMEType {
			t.Errorf("image %d uploaded as %q, want %q", i+1, img.ctype, file.Media.MIMEType)
		}
		if p.alts[i] != file.Media.Alt {
			t.Errorf("image %d altText = %q, want %q", i+1, p.alts[i], file.Media.Alt)
		}
		if lib.Fetches(file.Media) != 0 || lib.Opens(file.Media) != 1 {
			t.Errorf("image %d: fetched %d times and opened %d; want streamed once from storage", i+1, lib.Fetches(file.Media), lib.Opens(file.Media))
		}
	}
}

// TestPublish_LibraryVideoStreamsInBoundedMemory uploads a 64 MB library video: LinkedIn
// gets exactly its bytes in 4 MB parts, and publishing allocates far less than the video.
// It does not run in parallel, so the allocation count is this test's alone.
func TestPublish_LibraryVideoStreamsInBoundedMemory(t *testing.T) {
	x := setup(t)
	x.f.videoPartSize = 4 << 20 // LinkedIn's part size
	lib := platformtest.NewLibrary(t)
	video := lib.AddGenerated(domain.MediaVideo, "video/mp4", "launch.mp4", 64<<20, 42)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "Big launch video", Media: []ports.PublicationMedia{video.Media}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	posts := x.f.postsOf("urn:li:person:p1")
	if len(posts) != 1 || len(posts[0].media) != 1 {
		t.Fatalf("LinkedIn has %d posts, want 1 with the video", len(posts))
	}
	v := x.f.videos[posts[0].media[0]]
	if v == nil || v.size != 64<<20 || v.sha256 != video.SHA256 {
		t.Fatalf("LinkedIn has video %+v, want %d bytes with SHA-256 %.12s", v, 64<<20, video.SHA256)
	}
	if lib.Fetches(video.Media) != 0 {
		t.Errorf("the signed URL was fetched %d times; the bytes must come from storage", lib.Fetches(video.Media))
	}
	// The fake server reads the parts in the same process, so this bounds both sides.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("publishing a 64 MB video allocated %d MB; it must stream, not hold the video", alloc>>20)
	}
}
