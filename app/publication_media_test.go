package app

import (
	"testing"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestURLMedia_DescribesAddressesForThePlatforms(t *testing.T) {
	t.Parallel()
	got := urlMedia([]string{"https://cdn.example/a/photo.JPG?v=2", "https://cdn.example/clip.mp4", "https://cdn.example/", "https://cdn.example/file"})
	want := []ports.PublicationMedia{
		{Kind: domain.MediaImage, URL: "https://cdn.example/a/photo.JPG?v=2", Name: "photo.JPG"},
		{Kind: domain.MediaVideo, URL: "https://cdn.example/clip.mp4", Name: "clip.mp4"},
		{Kind: domain.MediaUnknown, URL: "https://cdn.example/", Name: ""},
		{Kind: domain.MediaUnknown, URL: "https://cdn.example/file", Name: "file"},
	}
	if len(got) != len(want) {
		t.Fatalf("urlMedia gave %d items, want %d", len(got), len(want))
	}
	for i, m := range got {
		if m.Open != nil {
			t.Errorf("media %d has Open; media given by address have no stored bytes", i+1)
		}
		w := want[i]
		if m.Kind != w.Kind || m.URL != w.URL || m.Name != w.Name || m.MIMEType != "" || m.Size != 0 || m.Alt != "" {
			t.Errorf("media %d = %+v, want %+v", i+1, m, want[i])
		}
	}
	if urlMedia(nil) != nil {
		t.Error("urlMedia(nil) is not nil")
	}
}
