package facebook

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestPublish_LibraryMedia: library photos go to Facebook as source, their bytes in a
// multipart upload (the signed URL is never given or fetched), with their alt text as
// alt_text_custom; a photo given by address keeps url; a library video goes as file_url,
// the signed URL Facebook fetches.
func TestPublish_LibraryMedia(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OnePhotoAsSourceWithAltText", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		lib := platformtest.NewLibrary(t)
		photo := lib.Add(domain.MediaImage, "image/jpeg", "croissant.jpg", "Three croissants on a tray", []byte("\xff\xd8\xff\xe0 croissant bytes"))
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Croissants", Media: []ports.PublicationMedia{photo.Media}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || len(posts[0].media) != 1 {
			t.Fatalf("page posts = %+v", posts)
		}
		f.mu.Lock()
		ph := f.photos[posts[0].media[0]]
		f.mu.Unlock()
		if ph.url != "" || ph.sha256 != photo.SHA256 || ph.alt != photo.Media.Alt || !ph.published {
			t.Errorf("photo = %+v; want source with SHA-256 %.12s and alt %q, no url", ph, photo.SHA256, photo.Media.Alt)
		}
		if lib.Fetches(photo.Media) != 0 {
			t.Errorf("the signed URL was fetched %d times", lib.Fetches(photo.Media))
		}
	})

	t.Run("LibraryAndAddressPhotos", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		lib := platformtest.NewLibrary(t)
		photo := lib.Add(domain.MediaImage, "image/png", "menu.png", "Today's menu", []byte("\x89PNG menu bytes"))
		typed := platformtest.URLMedia("https://cdn.example/2.jpg")[0]
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Our week", Media: []ports.PublicationMedia{photo.Media, typed}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || len(posts[0].media) != 2 {
			t.Fatalf("page posts = %+v", posts)
		}
		f.mu.Lock()
		first, second := *f.photos[posts[0].media[0]], *f.photos[posts[0].media[1]]
		f.mu.Unlock()
		if first.sha256 != photo.SHA256 || first.url != "" || first.alt != "Today's menu" || !first.attached {
			t.Errorf("library photo = %+v", first)
		}
		if second.url != typed.URL || second.sha256 != "" || second.alt != "" || !second.attached {
			t.Errorf("photo by address = %+v", second)
		}
	})

	t.Run("VideoAsSignedFileURL", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		lib := platformtest.NewLibrary(t)
		video := lib.Add(domain.MediaVideo, "video/mp4", "bake.mp4", "", []byte("....ftypmp42 video bytes"))
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "How we bake", Media: []ports.PublicationMedia{video.Media}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || len(posts[0].media) != 1 || posts[0].media[0] != video.Media.URL {
			t.Fatalf("page posts = %+v, want the video's file_url to be the signed URL", posts)
		}
		if lib.Opens(video.Media) != 0 {
			t.Error("the video was read from storage; Facebook fetches it")
		}
	})
}
