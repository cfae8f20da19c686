package app

import (
	"net/url"
	"path"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// urlMedia describes media typed by a person as addresses (a post's media_urls) for the
// platforms: the kind judged from the address's extension, the address itself to fetch,
// and the last element of its path as the file's name. Nothing else is known about such
// media, and there are no stored bytes to stream (Open is nil), so the platforms that
// take bytes download the address.
func urlMedia(urls []string) []ports.PublicationMedia {
	if len(urls) == 0 {
		return nil
	}
	out := make([]ports.PublicationMedia, len(urls))
	for i, u := range urls {
		out[i] = ports.PublicationMedia{Kind: domain.KindOfMedia(u), URL: u, Name: nameOf(u)}
	}
	return out
}

// nameOf returns the last element of the address's path, or "" when it has none.
func nameOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" {
		return ""
	}
	return name
}
