package instagram

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_LibraryMediaPullsSignedURLs: Instagram is given each library file's signed
// URL (no extension: the kind is the stored one) even where Herald runs on a loopback
// address in tests, since that URL is Herald's own; it fetches exactly the stored bytes,
// and no alt text is sent (Meta documents none for the Graph API).
func TestPublish_LibraryMediaPullsSignedURLs(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	if a.cfg.MediaAllowPrivate {
		t.Fatal("the test needs private media refused")
	}
	lib := platformtest.NewLibrary(t)
	image := lib.Add(domain.MediaImage, "image/jpeg", "beach.jpg", "Waves on a beach at dusk", []byte("\xff\xd8\xff\xe0 beach"))
	video := lib.Add(domain.MediaVideo, "video/mp4", "surf.mp4", "", []byte("....ftypmp42 surf"))
	got, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Summer", Media: []ports.PublicationMedia{image.Media, video.Media}})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	f.mu.Lock()
	kids := f.container[f.media[got.ExternalID].creation].children
	first, second := *f.container[kids[0]], *f.container[kids[1]]
	f.mu.Unlock()
	if first.mediaType != "IMAGE" || first.url != image.Media.URL || first.alt != "" {
		t.Errorf("first item = %+v, want an IMAGE of the signed URL without alt_text", first)
	}
	if second.mediaType != "VIDEO" || second.url != video.Media.URL {
		t.Errorf("second item = %+v, want a VIDEO of the signed URL", second)
	}
	for _, file := range []platformtest.File{image, video} {
		sum, err := platformtest.DigestOf(file.Media.URL)
		if err != nil || sum != file.SHA256 {
			t.Errorf("the signed URL serves SHA-256 %.12s (%v), want %.12s", sum, err, file.SHA256)
		}
		if lib.Opens(file.Media) != 0 {
			t.Errorf("%s was read from storage; Instagram pulls it", file.Media.Name)
		}
	}
}
