package sandbox_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_LibraryMediaIsDigestedAndShown: the sandbox reads each library file's bytes
// as a platform that takes bytes would, records their size and SHA-256 with the name and
// alt text, and shows them on the operator page and the post's page.
func TestPublish_LibraryMediaIsDigestedAndShown(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	c, account := f.connect(t)
	lib := platformtest.NewLibrary(t)
	photo := lib.Add(domain.MediaImage, "image/jpeg", "harbour.jpg", "Boats in a harbour at dawn", []byte("\xff\xd8\xff\xe0 harbour photo"))
	video := lib.AddGenerated(domain.MediaVideo, "video/mp4", "tour.mp4", 1<<20, 3)
	typed := platformtest.URLMedia("https://cdn.example/extra.png")[0]
	p := ports.Publication{Reference: uniqueReference(), Text: "Library " + uniqueReference(), Media: []ports.PublicationMedia{photo.Media, video.Media, typed}}
	pub, err := f.s.Publish(context.Background(), c, account, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	got, err := f.s.Received(context.Background(), pub.ExternalID)
	if err != nil {
		t.Fatalf("Received: %v", err)
	}
	want := []sandbox.ReceivedMedia{
		{URL: photo.Media.URL, Name: "harbour.jpg", Alt: "Boats in a harbour at dawn", Size: photo.Media.Size, SHA256: photo.SHA256},
		{URL: video.Media.URL, Name: "tour.mp4", Size: 1 << 20, SHA256: video.SHA256},
		{URL: typed.URL},
	}
	if len(got) != len(want) {
		t.Fatalf("Received = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("media %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}

	for _, path := range []string{"/sandbox/posts", "/sandbox/posts/" + pub.ExternalID} {
		rec := f.do(t, http.MethodGet, path, nil)
		body := html.UnescapeString(rec.Body.String())
		for _, s := range []string{"harbour.jpg", photo.SHA256[:12], "Boats in a harbour at dawn", "tour.mp4", video.SHA256[:12], "1048576 bytes"} {
			if !strings.Contains(body, s) {
				t.Errorf("GET %s lacks %q", path, s)
			}
		}
	}
}

// TestPublish_UnreadableLibraryFileIsRetried: a file that cannot be read from storage is
// CodeUnavailable and nothing is published.
func TestPublish_UnreadableLibraryFileIsRetried(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	c, account := f.connect(t)
	m := ports.PublicationMedia{Kind: domain.MediaImage, URL: "https://herald.example/media/x?signature=y", Name: "x.jpg",
		Open: func(context.Context) (io.ReadCloser, error) { return nil, errors.New("disk on fire") }}
	p := ports.Publication{Reference: uniqueReference(), Text: "Broken " + uniqueReference(), Media: []ports.PublicationMedia{m}}
	_, err := f.s.Publish(context.Background(), c, account, p)
	if got := domain.CodeOf(err); got != domain.CodeUnavailable || strings.Contains(domain.MessageOf(err), "disk on fire") {
		t.Fatalf("Publish = %v (code %q), want unavailable without the cause in the message", err, got)
	}
	if _, found, err := f.s.Lookup(context.Background(), c, account, p); err != nil || found {
		t.Errorf("Lookup = %v, %v; want no post", found, err)
	}
}
