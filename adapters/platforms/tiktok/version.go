package tiktok

import "github.com/heraldhq/herald/ports"

var _ ports.Versioned = (*Adapter)(nil)

// APIVersion returns v2, the version of TikTok's API (open.tiktokapis.com/v2) that every
// endpoint the adapter calls belongs to. TikTok has announced no retirement of it, so
// Retires is zero. https://developers.tiktok.com/doc/tiktok-api-v2-introduction/
func (a *Adapter) APIVersion() ports.APIVersion {
	return ports.APIVersion{Version: "v2", Doc: "https://developers.tiktok.com/doc/tiktok-api-v2-introduction/"}
}
