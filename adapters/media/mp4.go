package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBoxes bounds the top-level boxes walked to find an MP4's movie header.
const maxBoxes = 16

// mp4Duration reads an MP4 or QuickTime file's duration from its movie header (moov/mvhd,
// ISO/IEC 14496-12 §8.2.2), fetching only box headers with ranged requests: a handful of
// small requests, wherever the moov box lies in the file. ok is false when the file does
// not say (not ISO media, no Range support, an unusual layout).
func (p *Prober) mp4Duration(ctx context.Context, raw string, size int64) (time.Duration, bool) {
	var offset int64
	for range maxBoxes {
		if size > 0 && offset+8 > size {
			return 0, false
		}
		head, ok := p.bytesAt(ctx, raw, offset, 16)
		if !ok || len(head) < 8 {
			return 0, false
		}
		boxSize, kind := int64(binary.BigEndian.Uint32(head[0:4])), string(head[4:8])
		headerLen := int64(8)
		switch boxSize {
		case 1: // 64-bit size follows
			if len(head) < 16 {
				return 0, false
			}
			boxSize, headerLen = int64(binary.BigEndian.Uint64(head[8:16])), 16
		case 0: // to the end of the file
			boxSize = size - offset
		}
		if boxSize < headerLen {
			return 0, false
		}
		if kind == "moov" {
			body, ok := p.bytesAt(ctx, raw, offset+headerLen, min(boxSize-headerLen, 1<<16))
			if !ok {
				return 0, false
			}
			return mvhdDuration(body)
		}
		offset += boxSize
	}
	return 0, false
}

// mvhdDuration finds the mvhd box among the moov box's children and reads its duration.
func mvhdDuration(moov []byte) (time.Duration, bool) {
	for len(moov) >= 8 {
		n := int(binary.BigEndian.Uint32(moov[0:4]))
		if n < 8 || n > len(moov) {
			n = len(moov) // a truncated read: mvhd normally comes first anyway
		}
		if string(moov[4:8]) == "mvhd" {
			b := moov[8:n]
			if len(b) < 20 {
				return 0, false
			}
			var scale, dur uint64
			if b[0] == 1 { // version 1: 64-bit times
				if len(b) < 32 {
					return 0, false
				}
				scale, dur = uint64(binary.BigEndian.Uint32(b[20:24])), binary.BigEndian.Uint64(b[24:32])
			} else {
				scale, dur = uint64(binary.BigEndian.Uint32(b[12:16])), uint64(binary.BigEndian.Uint32(b[16:20]))
			}
			if scale == 0 || dur == 0 || dur == 0xFFFFFFFF {
				return 0, false
			}
			return time.Duration(float64(dur) / float64(scale) * float64(time.Second)), true
		}
		moov = moov[n:]
	}
	return 0, false
}

// bytesAt fetches n bytes from offset with a Range request; a server that ignores Range
// (200 with the whole file) is only read from the start.
func (p *Prober) bytesAt(ctx context.Context, raw string, offset, n int64) ([]byte, bool) {
	res, err := p.do(ctx, http.MethodGet, raw, fmt.Sprintf("bytes=%d-%d", offset, offset+n-1))
	if err != nil {
		return nil, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusPartialContent && !(res.StatusCode == http.StatusOK && offset == 0) {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, n))
	return b, err == nil
}

// box is one ISO-BMFF box of a file: its type, where it starts, where its body starts
// (after the 8- or 16-byte header) and where it ends.
type box struct {
	kind             string
	start, body, end int64
}

// maxBoxesPerLevel bounds the boxes walked side by side inside one box.
const maxBoxesPerLevel = 4096

// errBoxTooLong says a box claims more bytes than its parent (or the file) holds.
var errBoxTooLong = errors.New("a box is longer than the file holds; the upload may be incomplete")

// walkBoxes calls visit for each box laid end to end between start and end in r, reading
// only their headers, until visit says stop (or limit boxes were seen: an error, so that
// a crafted file of millions of empty boxes cannot keep a worker busy). A size of 0 runs to end; a size of 1 is
// followed by a 64-bit size. A few stray bytes at the end (under a header) are ignored.
func walkBoxes(r io.ReaderAt, start, end int64, limit int, visit func(b box) (stop bool, err error)) error {
	var head [16]byte
	for n := 0; end-start >= 8; n++ {
		if n == limit {
			return errors.New("the file holds too many boxes")
		}
		if _, err := r.ReadAt(head[:8], start); err != nil {
			return noEOF(err)
		}
		size, headLen := int64(binary.BigEndian.Uint32(head[0:4])), int64(8)
		switch size {
		case 0:
			size = end - start
		case 1:
			if end-start < 16 {
				return errBoxTooLong
			}
			if _, err := r.ReadAt(head[8:16], start+8); err != nil {
				return noEOF(err)
			}
			big := binary.BigEndian.Uint64(head[8:16])
			if big > uint64(end-start) {
				return errBoxTooLong
			}
			size, headLen = int64(big), 16
		}
		if size < headLen {
			return errors.New("a box is shorter than its own header")
		}
		if size > end-start {
			return errBoxTooLong
		}
		stop, err := visit(box{kind: string(head[4:8]), start: start, body: start + headLen, end: start + size})
		if err != nil || stop {
			return err
		}
		start += size
	}
	return nil
}

// readBody reads at most limit bytes of b's body.
func readBody(r io.ReaderAt, b box, limit int64) ([]byte, error) {
	buf := make([]byte, min(b.end-b.body, limit))
	if _, err := r.ReadAt(buf, b.body); err != nil {
		return nil, noEOF(err)
	}
	return buf, nil
}

// noEOF turns io.EOF from a short read into io.ErrUnexpectedEOF: the file ended early.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
