package media

import (
	"bytes"
	"encoding/binary"

	"github.com/heraldhq/herald/domain"
)

// sniffBytes is how much of a file's start sniff looks at: enough for an ftyp box with a
// long list of compatible brands.
const sniffBytes = 256

// mp4Brands are the ISO-BMFF brands of files Herald stores as video/mp4. 3GPP and audio-only
// brands are left out on purpose: the platforms do not take them as videos.
var mp4Brands = map[string]bool{
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true, "iso6": true,
	"mp41": true, "mp42": true, "avc1": true, "M4V ": true, "M4VH": true, "M4VP": true,
	"dash": true, "mmp4": true, "MSNV": true, "XAVC": true, "f4v ": true,
}

// sniff names the type of a file from its first bytes (never from its name), or returns
// CodeUnsupported with a sentence when it is none Herald takes.
func sniff(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return domain.MIMEJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return domain.MIMEPNG, nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return domain.MIMEGIF, nil
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return domain.MIMEWebP, nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		if t := isoType(head); t != "" {
			return t, nil
		}
	}
	return "", domain.Errorf(domain.CodeUnsupported, "This file type is not supported: upload JPEG, PNG, GIF or WebP images, or MP4 or MOV videos.")
}

// isoType reads an ftyp box (ISO/IEC 14496-12 §4.3): the major brand decides; a file with an
// unknown major brand is MP4 when it declares itself compatible with a plain MP4 brand.
func isoType(head []byte) string {
	major := string(head[8:12])
	if major == "qt  " {
		return domain.MIMEQuickTime
	}
	if mp4Brands[major] {
		return domain.MIMEMP4
	}
	end := min(int(binary.BigEndian.Uint32(head[0:4])), len(head))
	for i := 16; i+4 <= end; i += 4 {
		switch string(head[i : i+4]) {
		case "isom", "mp41", "mp42":
			return domain.MIMEMP4
		}
	}
	return ""
}
