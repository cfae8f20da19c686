package media

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/heraldhq/herald/domain"
)

// imageFacts reads an image's pixel size from its header, without decoding it, and for a
// JPEG its EXIF orientation (the size is then the upright picture's) and ICC profile.
func imageFacts(r io.ReaderAt, size int64, mimeType string) (inspection, error) {
	f := inspection{facts: domain.MediaFacts{MIMEType: mimeType}, orientation: 1}
	var cfg image.Config
	var err error
	sr := io.NewSectionReader(r, 0, size)
	switch mimeType {
	case domain.MIMEJPEG:
		if f.orientation, f.icc, err = jpegMeta(bufio.NewReader(sr)); err != nil {
			return f, err
		}
		cfg, err = jpeg.DecodeConfig(io.NewSectionReader(r, 0, size))
	case domain.MIMEPNG:
		cfg, err = png.DecodeConfig(sr)
	case domain.MIMEGIF:
		cfg, err = gif.DecodeConfig(sr)
	case domain.MIMEWebP:
		var head [21]byte
		if n, _ := r.ReadAt(head[:], 0); n == len(head) && string(head[12:16]) == "VP8X" {
			f.animated = head[20]&webpAnimation != 0
		}
		cfg, err = webp.DecodeConfig(sr)
	}
	if err != nil {
		return f, err
	}
	f.facts.Width, f.facts.Height = cfg.Width, cfg.Height
	if f.orientation >= 5 { // the four orientations that turn the picture a quarter
		f.facts.Width, f.facts.Height = cfg.Height, cfg.Width
	}
	return f, nil
}

// decodeImage decodes the image (an animated GIF's first frame).
func decodeImage(r io.Reader, mimeType string) (image.Image, error) {
	switch mimeType {
	case domain.MIMEJPEG:
		return jpeg.Decode(r)
	case domain.MIMEPNG:
		return png.Decode(r)
	case domain.MIMEGIF:
		return gif.Decode(r)
	case domain.MIMEWebP:
		return webp.Decode(r)
	}
	return nil, errors.New("not an image")
}

// JPEG markers Herald looks at (ITU T.81 table B.1).
const (
	markerSOS   = 0xDA
	markerEOI   = 0xD9
	markerAPP1  = 0xE1 // Exif, XMP
	markerAPP2  = 0xE2 // ICC profile
	markerAPP13 = 0xED // IPTC, Photoshop
	markerCOM   = 0xFE
)

// maxICCBytes bounds the ICC profile kept in memory to carry into a re-encoded JPEG.
const maxICCBytes = 1 << 20

// jpegMeta walks a JPEG's segments up to the first scan and returns its EXIF orientation (1
// when absent or unreadable: the image is still shown, only unturned) and its ICC profile
// segments, each whole (marker and length included).
func jpegMeta(r *bufio.Reader) (orientation int, icc [][]byte, err error) {
	orientation = 1
	if _, err := r.Discard(2); err != nil {
		return 0, nil, noEOF(err)
	}
	seenExif, iccBytes := false, 0
	for {
		marker, err := nextMarker(r)
		if err != nil {
			return 0, nil, err
		}
		if standalone(marker) {
			continue
		}
		if marker == markerEOI {
			return 0, nil, errors.New("it holds no picture")
		}
		n, err := segmentLength(r)
		if err != nil {
			return 0, nil, err
		}
		if marker == markerSOS {
			return orientation, icc, nil
		}
		var body []byte
		if marker == markerAPP1 || marker == markerAPP2 {
			body = make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				return 0, nil, noEOF(err)
			}
		} else if _, err := r.Discard(n); err != nil {
			return 0, nil, noEOF(err)
		}
		switch {
		case marker == markerAPP1 && !seenExif && bytes.HasPrefix(body, []byte("Exif\x00\x00")):
			seenExif = true
			if o, err := exifOrientation(body[6:]); err == nil {
				orientation = o
			}
		case marker == markerAPP2 && bytes.HasPrefix(body, []byte("ICC_PROFILE\x00")) && iccBytes+len(body) <= maxICCBytes:
			iccBytes += len(body)
			seg := append([]byte{0xFF, markerAPP2, byte((n + 2) >> 8), byte(n + 2)}, body...)
			icc = append(icc, seg)
		}
	}
}

// nextMarker reads a marker: 0xFF, any fill bytes, and the marker's code.
func nextMarker(r *bufio.Reader) (byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, noEOF(err)
	}
	if b != 0xFF {
		return 0, errors.New("invalid JPEG format: a segment does not start with a marker")
	}
	for b == 0xFF {
		if b, err = r.ReadByte(); err != nil {
			return 0, noEOF(err)
		}
	}
	return b, nil
}

// standalone says whether a marker has no length and no body (TEM, RST0-7, SOI).
func standalone(marker byte) bool {
	return marker == 0x01 || marker >= 0xD0 && marker <= 0xD8
}

// segmentLength reads a segment's length field and returns the length of its body.
func segmentLength(r *bufio.Reader) (int, error) {
	var lb [2]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return 0, noEOF(err)
	}
	n := int(binary.BigEndian.Uint16(lb[:])) - 2
	if n < 0 {
		return 0, errors.New("invalid JPEG format: a segment is shorter than its length field")
	}
	return n, nil
}

// stripJPEG copies a JPEG from r to w without its APP1 (Exif, XMP), APP13 (IPTC, Photoshop)
// and COM segments, wherever they are, and without anything after the end-of-image marker
// (phone makers append previews, depth maps and motion clips there, with their own
// metadata). Everything else, the compressed scans among it, is copied byte for byte, so
// the pixels are the same. changed says something was left out.
func stripJPEG(r *bufio.Reader, w *bufio.Writer) (changed bool, err error) {
	if _, err := io.CopyN(w, r, 2); err != nil {
		return false, noEOF(err)
	}
	inScan := false
	for {
		var marker byte
		if inScan {
			// Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte), a restart marker,
			// or the marker that ends the scan.
			chunk, err := r.ReadSlice(0xFF)
			if errors.Is(err, bufio.ErrBufferFull) {
				w.Write(chunk)
				continue
			}
			if err != nil {
				return false, noEOF(err)
			}
			w.Write(chunk[:len(chunk)-1])
			b, err := r.ReadByte()
			for err == nil && b == 0xFF {
				b, err = r.ReadByte()
			}
			if err != nil {
				return false, noEOF(err)
			}
			if b == 0x00 || b >= 0xD0 && b <= 0xD7 {
				w.WriteByte(0xFF)
				w.WriteByte(b)
				continue
			}
			marker, inScan = b, false
		} else if marker, err = nextMarker(r); err != nil {
			return false, err
		}
		switch {
		case marker == markerEOI:
			w.WriteByte(0xFF)
			w.WriteByte(markerEOI)
			if _, err := r.Peek(1); err == nil {
				changed = true
			}
			return changed, nil
		case standalone(marker):
			w.WriteByte(0xFF)
			w.WriteByte(marker)
			continue
		}
		n, err := segmentLength(r)
		if err != nil {
			return false, err
		}
		if marker == markerAPP1 || marker == markerAPP13 || marker == markerCOM {
			if _, err := r.Discard(n); err != nil {
				return false, noEOF(err)
			}
			changed = true
			continue
		}
		w.Write([]byte{0xFF, marker, byte((n + 2) >> 8), byte(n + 2)}) // once a segment
		if _, err := io.CopyN(w, r, int64(n)); err != nil {
			return false, noEOF(err)
		}
		inScan = marker == markerSOS
	}
}

// pngDropped are the PNG chunks that carry metadata (EXIF, text such as an author or a
// location, the modification time); leaving them out changes no pixel.
var pngDropped = map[string]bool{"eXIf": true, "tEXt": true, "iTXt": true, "zTXt": true, "tIME": true}

// stripPNG copies a PNG without its metadata chunks and anything after IEND; the chunks
// kept are copied whole, CRCs included.
func stripPNG(r *bufio.Reader, w *bufio.Writer) (changed bool, err error) {
	if _, err := io.CopyN(w, r, 8); err != nil {
		return false, noEOF(err)
	}
	for {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return false, noEOF(err)
		}
		n := int64(binary.BigEndian.Uint32(h[0:4]))
		if n > 1<<31-1 {
			return false, errors.New("png: a chunk is longer than PNG allows")
		}
		kind := string(h[4:8])
		if pngDropped[kind] {
			if _, err := r.Discard(int(n + 4)); err != nil {
				return false, noEOF(err)
			}
			changed = true
			continue
		}
		w.Write(h[:])
		if _, err := io.CopyN(w, r, n+4); err != nil {
			return false, noEOF(err)
		}
		if kind == "IEND" {
			if _, err := r.Peek(1); err == nil {
				changed = true
			}
			return changed, nil
		}
	}
}

// The VP8X flags of a WebP file (the WebP container specification).
const (
	webpAnimation = 0x02
	webpXMP       = 0x04
	webpEXIF      = 0x08
)

// stripWebP copies a WebP file without its EXIF and XMP chunks, clears their flags in the
// VP8X header and sets the RIFF size to what is left; other chunks are copied as they are.
func stripWebP(r io.ReaderAt, size int64, w *bufio.Writer) (changed bool, err error) {
	var h [12]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return false, noEOF(err)
	}
	end := 8 + int64(binary.LittleEndian.Uint32(h[4:8]))
	if end > size {
		return false, io.ErrUnexpectedEOF
	}
	changed = end < size // bytes after the RIFF chunk
	type chunk struct {
		kind      string
		off, size int64 // size with header and padding
	}
	var kept []chunk
	total := int64(4)
	for off, n := int64(12), 0; off+8 <= end; n++ {
		if n == maxBoxesPerLevel {
			return false, errors.New("webp: too many chunks")
		}
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return false, noEOF(err)
		}
		c := chunk{kind: string(ch[0:4]), off: off, size: 8 + int64(binary.LittleEndian.Uint32(ch[4:8]))}
		c.size += c.size & 1
		if off+c.size > end {
			return false, io.ErrUnexpectedEOF
		}
		off += c.size
		if c.kind == "EXIF" || c.kind == "XMP " {
			changed = true
			continue
		}
		kept = append(kept, c)
		total += c.size
	}
	if !changed {
		return false, nil
	}
	if total > 1<<32-1 {
		return false, errors.New("webp: too large")
	}
	w.WriteString("RIFF")
	binary.Write(w, binary.LittleEndian, uint32(total))
	w.WriteString("WEBP")
	for _, c := range kept {
		if c.kind == "VP8X" && c.size >= 9 {
			head := make([]byte, 9)
			if _, err := r.ReadAt(head, c.off); err != nil {
				return false, noEOF(err)
			}
			head[8] &^= webpEXIF | webpXMP
			w.Write(head)
			c.off, c.size = c.off+9, c.size-9
		}
		if _, err := io.Copy(w, io.NewSectionReader(r, c.off, c.size)); err != nil {
			return false, noEOF(err)
		}
	}
	return true, nil
}

// gifKeptApps are the application extensions a GIF keeps: the loop count of an animation.
// Others (XMP among them) are metadata.
var gifKeptApps = map[string]bool{"NETSCAPE2.0": true, "ANIMEXTS1.0": true}

// stripGIF copies a GIF without its comment extensions and metadata application
// extensions (XMP among them), and without anything after the trailer; frames, graphic
// control and plain-text extensions are copied as they are.
func stripGIF(r *bufio.Reader, w *bufio.Writer) (changed bool, err error) {
	var h [13]byte // signature and logical screen descriptor
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return false, noEOF(err)
	}
	w.Write(h[:])
	if h[10]&0x80 != 0 { // global color table
		if _, err := io.CopyN(w, r, 3<<(h[10]&7+1)); err != nil {
			return false, noEOF(err)
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return false, noEOF(err)
		}
		switch b {
		case 0x3B: // trailer
			w.WriteByte(b)
			if _, err := r.Peek(1); err == nil {
				changed = true
			}
			return changed, nil
		case 0x2C: // image descriptor
			var d [10]byte // descriptor (9) and, after a local color table, the LZW code size
			if _, err := io.ReadFull(r, d[:9]); err != nil {
				return false, noEOF(err)
			}
			w.WriteByte(b)
			w.Write(d[:9])
			if d[8]&0x80 != 0 {
				if _, err := io.CopyN(w, r, 3<<(d[8]&7+1)); err != nil {
					return false, noEOF(err)
				}
			}
			if _, err := io.CopyN(w, r, 1); err != nil {
				return false, noEOF(err)
			}
			if err := gifSubBlocks(r, w); err != nil {
				return false, err
			}
		case 0x21: // extension
			label, err := r.ReadByte()
			if err != nil {
				return false, noEOF(err)
			}
			keep := label != 0xFE
			var first []byte
			if label == 0xFF {
				n, err := r.ReadByte()
				if err != nil {
					return false, noEOF(err)
				}
				if n == 0 { // an empty extension: nothing follows
					changed = true
					continue
				}
				first = make([]byte, n)
				if _, err := io.ReadFull(r, first); err != nil {
					return false, noEOF(err)
				}
				keep = n >= 11 && gifKeptApps[string(first[:11])]
				first = append([]byte{n}, first...)
			}
			if !keep {
				changed = true
				if err := gifSubBlocks(r, nil); err != nil {
					return false, err
				}
				continue
			}
			w.Write([]byte{b, label})
			w.Write(first)
			if err := gifSubBlocks(r, w); err != nil {
				return false, err
			}
		default:
			return false, errors.New("gif: unknown block")
		}
	}
}

// gifSubBlocks copies (or, with a nil w, skips) data sub-blocks up to the terminator.
func gifSubBlocks(r *bufio.Reader, w *bufio.Writer) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return noEOF(err)
		}
		if w != nil {
			w.WriteByte(n)
		}
		if n == 0 {
			return nil
		}
		if w == nil {
			_, err = r.Discard(int(n))
		} else {
			_, err = io.CopyN(w, r, int64(n))
		}
		if err != nil {
			return noEOF(err)
		}
	}
}
