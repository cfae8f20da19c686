package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// videoFacts reads an MP4 or QuickTime file's duration (moov/mvhd) and the pixel size of
// its video track (the trak whose mdia/hdlr handler is "vide": tkhd width and height, turned
// by a 90° or 270° rotation matrix), wherever moov lies. It reads box headers and a few
// small boxes with ReadAt, never the media data, so memory stays small whatever the size.
// A fragmented file (its movie header says no duration) lasts as long as its video track's
// fragments.
func videoFacts(r io.ReaderAt, size int64) (width, height int, d time.Duration, err error) {
	var moov *box
	fragmented := false
	err = walkBoxes(r, 0, size, maxTopBoxes, func(b box) (bool, error) {
		if b.kind == "moov" && moov == nil {
			moov = &b
		}
		fragmented = fragmented || b.kind == "moof"
		return false, nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	if moov == nil {
		return 0, 0, 0, errors.New("it has no movie header (moov box); the upload may be incomplete")
	}
	var track videoTrack
	var found bool
	trex := map[uint32]uint32{} // track id -> default sample duration, for fragments
	err = walkBoxes(r, moov.body, moov.end, maxBoxesPerLevel, func(b box) (bool, error) {
		switch b.kind {
		case "mvhd":
			body, err := readBody(r, b, 256)
			if err != nil {
				return true, err
			}
			// mvhdDuration looks for mvhd among boxes: hand it this one with a header.
			hdr := make([]byte, 8, 8+len(body))
			binary.BigEndian.PutUint32(hdr, uint32(8+len(body)))
			copy(hdr[4:], "mvhd")
			d, _ = mvhdDuration(append(hdr, body...))
		case "trak":
			if found {
				return false, nil
			}
			t, ok, err := readVideoTrack(r, b)
			if err != nil {
				return true, err
			}
			track, found = t, ok
		case "mvex":
			return false, walkBoxes(r, b.body, b.end, maxBoxesPerLevel, func(c box) (bool, error) {
				if c.kind == "trex" {
					body, err := readBody(r, c, 16)
					if err != nil {
						return true, err
					}
					if len(body) == 16 {
						trex[binary.BigEndian.Uint32(body[4:8])] = binary.BigEndian.Uint32(body[12:16])
					}
				}
				return false, nil
			})
		}
		return false, nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	if !found {
		return 0, 0, 0, errors.New("it has no video track")
	}
	if d == 0 && fragmented && track.timescale > 0 {
		units, err := fragmentsDuration(r, size, track.id, trex[track.id])
		if err != nil {
			return 0, 0, 0, err
		}
		d = time.Duration(float64(units) / float64(track.timescale) * float64(time.Second))
	}
	return track.width, track.height, d, nil
}

// maxTopBoxes bounds the boxes at the top of a file: a fragmented video has two per
// fragment, and a fragment per frame is possible.
const maxTopBoxes = 1 << 18

// videoTrack is what Herald reads of a video track.
type videoTrack struct {
	id            uint32
	width, height int
	timescale     uint32 // of the track's media (mdhd): the unit of fragments' durations
}

// readVideoTrack reads trak and says whether it is a video track.
func readVideoTrack(r io.ReaderAt, trak box) (t videoTrack, ok bool, err error) {
	var sized, video bool
	err = walkBoxes(r, trak.body, trak.end, maxBoxesPerLevel, func(b box) (bool, error) {
		switch b.kind {
		case "tkhd":
			body, err := readBody(r, b, 128)
			if err != nil {
				return true, err
			}
			t.width, t.height, sized = tkhdSize(body)
			if idAt := 12 + 8*int(version(body)); len(body) >= idAt+4 { // after 32- or 64-bit times
				t.id = binary.BigEndian.Uint32(body[idAt:])
			}
		case "mdia":
			return false, walkBoxes(r, b.body, b.end, maxBoxesPerLevel, func(c box) (bool, error) {
				switch c.kind {
				case "hdlr":
					body, err := readBody(r, c, 12)
					if err != nil {
						return true, err
					}
					// version and flags (4), pre_defined (4), handler_type (4)
					video = len(body) == 12 && string(body[8:12]) == "vide"
				case "mdhd":
					body, err := readBody(r, c, 24)
					if err != nil {
						return true, err
					}
					if at := 12 + 8*int(version(body)); len(body) >= at+4 {
						t.timescale = binary.BigEndian.Uint32(body[at:])
					}
				}
				return false, nil
			})
		}
		return false, nil
	})
	return t, err == nil && sized && video, err
}

// fragmentsDuration adds up the durations of a fragmented file's samples of one track
// (moof/traf: tfdt, the decode time a fragment starts at, then the trun sample durations,
// or the tfhd or trex default for each sample; ISO/IEC 14496-12 §8.8), in the track's
// timescale.
func fragmentsDuration(r io.ReaderAt, size int64, track, trexDefault uint32) (uint64, error) {
	var total uint64
	err := walkBoxes(r, 0, size, maxTopBoxes, func(moof box) (bool, error) {
		if moof.kind != "moof" {
			return false, nil
		}
		return false, walkBoxes(r, moof.body, moof.end, maxBoxesPerLevel, func(traf box) (bool, error) {
			if traf.kind != "traf" {
				return false, nil
			}
			mine, def := false, trexDefault
			return false, walkBoxes(r, traf.body, traf.end, maxBoxesPerLevel, func(b box) (bool, error) {
				switch b.kind {
				case "tfhd":
					body, err := readBody(r, b, 32)
					if err != nil || len(body) < 8 {
						return true, err
					}
					flags := binary.BigEndian.Uint32(body[0:4]) & 0xFFFFFF
					mine = binary.BigEndian.Uint32(body[4:8]) == track
					at := 8
					if flags&0x01 != 0 { // base data offset
						at += 8
					}
					if flags&0x02 != 0 { // sample description index
						at += 4
					}
					if flags&0x08 != 0 && len(body) >= at+4 {
						def = binary.BigEndian.Uint32(body[at:])
					}
				case "tfdt":
					if !mine {
						return false, nil
					}
					body, err := readBody(r, b, 12)
					if err != nil {
						return true, err
					}
					if version(body) == 1 && len(body) >= 12 {
						total = binary.BigEndian.Uint64(body[4:12])
					} else if len(body) >= 8 {
						total = uint64(binary.BigEndian.Uint32(body[4:8]))
					}
				case "trun":
					if !mine {
						return false, nil
					}
					units, err := trunDuration(r, b, def)
					if err != nil {
						return true, err
					}
					total += units
				}
				return false, nil
			})
		})
	})
	return total, err
}

// version is a full box's version: 1 for 64-bit times, else 0.
func version(body []byte) byte {
	if len(body) > 0 && body[0] == 1 {
		return 1
	}
	return 0
}

// maxTrunBytes bounds the sample table of one fragment read into memory.
const maxTrunBytes = 4 << 20

// trunDuration adds up the sample durations of a track run (each sample's own, or def).
func trunDuration(r io.ReaderAt, b box, def uint32) (uint64, error) {
	body, err := readBody(r, b, maxTrunBytes)
	if err != nil {
		return 0, err
	}
	if len(body) < 8 {
		return 0, errors.New("a track run is too short")
	}
	flags := binary.BigEndian.Uint32(body[0:4]) & 0xFFFFFF
	count := uint64(binary.BigEndian.Uint32(body[4:8]))
	at := 8
	if flags&0x01 != 0 { // data offset
		at += 4
	}
	if flags&0x04 != 0 { // first sample flags
		at += 4
	}
	if flags&0x100 == 0 {
		return count * uint64(def), nil
	}
	per := 4 // duration, then what else each sample has
	for _, f := range []uint32{0x200, 0x400, 0x800} {
		if flags&f != 0 {
			per += 4
		}
	}
	if count > uint64(len(body)-at)/uint64(per) {
		return 0, errors.New("a track run lists more samples than it holds")
	}
	var total uint64
	for i := range int(count) {
		total += uint64(binary.BigEndian.Uint32(body[at+i*per:]))
	}
	return total, nil
}

// tkhdSize reads a track header's width and height (16.16 fixed point, ISO/IEC 14496-12
// §8.3.2) and swaps them when its matrix turns the picture by 90° or 270° (a = d = 0), as
// phones record portrait videos.
func tkhdSize(b []byte) (w, h int, ok bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	off := 4 + 20 // version and flags; version 0's creation, modification, track id, reserved, duration
	if b[0] == 1 {
		off = 4 + 32 // the same with 64-bit times and duration
	}
	off += 16 // reserved (8), layer, alternate group, volume, reserved (2 each)
	if len(b) < off+36+8 {
		return 0, 0, false
	}
	m := b[off : off+36]
	a, bb := int32(binary.BigEndian.Uint32(m[0:4])), int32(binary.BigEndian.Uint32(m[4:8]))
	c, d := int32(binary.BigEndian.Uint32(m[12:16])), int32(binary.BigEndian.Uint32(m[16:20]))
	w = int((binary.BigEndian.Uint32(b[off+36:]) + 0x8000) >> 16)
	h = int((binary.BigEndian.Uint32(b[off+40:]) + 0x8000) >> 16)
	if a == 0 && d == 0 && bb != 0 && c != 0 {
		w, h = h, w
	}
	return w, h, true
}

// posterTimeout bounds one ffmpeg run: a frame near the start of a video takes well under a
// second even for 4K; a file that keeps ffmpeg busy longer gets no poster.
const posterTimeout = 30 * time.Second

// maxPosterBytes bounds what ffmpeg may write: a 480-pixel JPEG is far smaller.
const maxPosterBytes = 4 << 20

// posterFilter scales the frame to fit ThumbnailSide without enlarging it; ffmpeg applies the
// video's rotation before the filters, so portrait videos give portrait posters.
var posterFilter = "scale=w='min(480,iw)':h='min(480,ih)':force_original_aspect_ratio=decrease"

// poster grabs a video's frame at one second (the very first frame of a shorter video, or
// when there is none at one second) as a JPEG. Without ffmpeg it returns nil. A file
// ffmpeg cannot decode is CodeInvalid; running out of time gives no poster and no error.
func (i *Inspector) poster(ctx context.Context, in *os.File, mimeType string, d time.Duration) ([]byte, error) {
	if i.ffmpeg == "" {
		return nil, nil
	}
	var b []byte
	var err error
	if d >= time.Second {
		b, err = i.grab(ctx, in, true)
	}
	if len(b) == 0 && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
		b, err = i.grab(ctx, in, false)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, &domain.Error{Code: domain.CodeInvalid, Err: err,
				Message: fmt.Sprintf("Herald could not read this file as %s: no frame of it could be decoded.", typeNames[mimeType])}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, nil
		}
		return nil, err
	}
	return b, nil
}

// grab runs ffmpeg once on the file, handed over as descriptor 3 so that a file already
// unlinked from its directory works too, and returns what it wrote (empty when the video has
// no frame at the seek point).
func (i *Inspector) grab(ctx context.Context, in *os.File, seek bool) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, posterTimeout)
	defer cancel()
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1"}
	if seek {
		args = append(args, "-ss", "1")
	}
	// The demuxer is named (the bytes were sniffed as ISO media) and only local files may be
	// opened, so that a crafted upload cannot make ffmpeg read a playlist or fetch a URL.
	args = append(args, "-f", "mov", "-protocol_whitelist", "file", "-i", "/dev/fd/3", "-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn",
		"-vf", posterFilter, "-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1")
	cmd := exec.CommandContext(ctx, i.ffmpeg, args...)
	cmd.ExtraFiles = []*os.File{in}
	cmd.WaitDelay = 5 * time.Second
	stdout := &cappedBuffer{limit: maxPosterBytes}
	stderr := &cappedBuffer{limit: 4 << 10, quiet: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ffmpeg: %w", ctx.Err())
		}
		return nil, fmt.Errorf("ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if len(stdout.Bytes()) == 0 {
		return nil, nil
	}
	return stdout.Bytes(), nil
}

// cappedBuffer keeps at most limit bytes; past it, it fails the write (ffmpeg then stops)
// or, when quiet, drops the rest.
type cappedBuffer struct {
	bytes.Buffer
	limit int
	quiet bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); len(p) > room {
		if !c.quiet {
			return 0, errors.New("more output than a thumbnail")
		}
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
