package media

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"os/exec"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Inspector implements ports.MediaInspector: it sniffs uploads, reads their facts, strips
// images' metadata, applies their orientation, and makes previews.
type Inspector struct {
	ffmpeg string        // the ffmpeg to run for poster frames; "" makes none
	slots  chan struct{} // one per image being decoded
}

var _ ports.MediaInspector = (*Inspector)(nil)

// InspectorOptions configure an Inspector.
type InspectorOptions struct {
	// FFmpeg is the path of the ffmpeg program that grabs videos' poster frames: "" looks
	// for "ffmpeg" on PATH, "-" makes no poster frames.
	FFmpeg string
	// Concurrency bounds how many images are decoded at once (each takes memory in
	// proportion to its pixels, up to 75 MB for a 50-megapixel JPEG), and how many
	// ffmpeg runs go at once; zero means 2.
	Concurrency int
}

// NewInspector returns an Inspector. When ffmpeg cannot be found it still works, without
// poster frames (see Posters).
func NewInspector(o InspectorOptions) *Inspector {
	i := &Inspector{slots: make(chan struct{}, max(cmp.Or(o.Concurrency, 2), 1))}
	switch o.FFmpeg {
	case "-":
	case "":
		if p, err := exec.LookPath("ffmpeg"); err == nil {
			i.ffmpeg = p
		}
	default:
		i.ffmpeg = o.FFmpeg
	}
	return i
}

// Posters says whether videos get poster frames: ffmpeg was found.
func (i *Inspector) Posters() bool { return i.ffmpeg != "" }

// typeNames name each type for a person, with its article.
var typeNames = map[string]string{
	domain.MIMEJPEG: "a JPEG image", domain.MIMEPNG: "a PNG image", domain.MIMEGIF: "a GIF image",
	domain.MIMEWebP: "a WebP image", domain.MIMEMP4: "an MP4 video", domain.MIMEQuickTime: "a MOV video",
}

// inspection is what Herald reads from a file before touching it.
type inspection struct {
	facts       domain.MediaFacts
	orientation int      // a JPEG's EXIF orientation, 1 when absent
	icc         [][]byte // a JPEG's ICC profile segments, carried into a re-encoded file
	animated    bool     // an animated WebP, which golang.org/x/image/webp cannot decode
}

// inspect sniffs the file and reads its facts from headers only, then checks them against
// Herald's limits: nothing here takes memory in proportion to the file.
func inspect(r io.ReaderAt, size int64) (inspection, error) {
	head := make([]byte, min(size, sniffBytes))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return inspection{}, fmt.Errorf("media: reading the upload: %w", err)
	}
	mimeType, err := sniff(head)
	if err != nil {
		return inspection{}, err
	}
	var f inspection
	if mimeType == domain.MIMEMP4 || mimeType == domain.MIMEQuickTime {
		f = inspection{facts: domain.MediaFacts{MIMEType: mimeType}, orientation: 1}
		f.facts.Width, f.facts.Height, f.facts.Duration, err = videoFacts(r, size)
	} else {
		f, err = imageFacts(r, size, mimeType)
	}
	if err != nil {
		return inspection{}, unreadable(mimeType, err)
	}
	return f, f.facts.Check()
}

// Prepare implements ports.MediaInspector. in is only read at offsets (its position does
// not move). For an image, out is emptied, written from its start when Rewritten, and left
// positioned at its start; a video leaves out alone. Without ffmpeg, a video's Thumbnail is
// nil and that is no error. An animated WebP has no preview (golang.org/x/image/webp
// decodes still images only).
func (i *Inspector) Prepare(ctx context.Context, in, out *os.File) (ports.PreparedMedia, error) {
	st, err := in.Stat()
	if err != nil {
		return ports.PreparedMedia{}, fmt.Errorf("media: reading the upload: %w", err)
	}
	f, err := inspect(in, st.Size())
	if err != nil {
		return ports.PreparedMedia{}, err
	}
	p := ports.PreparedMedia{Facts: f.facts}
	if f.facts.Kind() == domain.MediaVideo {
		if err := i.acquire(ctx); err != nil {
			return p, err
		}
		defer i.release()
		p.Thumbnail, err = i.poster(ctx, in, f.facts.MIMEType, f.facts.Duration)
		return p, err
	}
	p.Rewritten, p.Thumbnail, err = i.prepareImage(ctx, in, st.Size(), out, f)
	return p, err
}

// prepareImage writes into out the image as it should be stored, when that differs from
// in, and makes its preview. An image with an EXIF orientation other than 1 is decoded,
// turned and re-encoded at quality 92 (keeping its ICC profile); any other image is copied
// without its metadata, losslessly.
func (i *Inspector) prepareImage(ctx context.Context, in *os.File, size int64, out *os.File, f inspection) (rewritten bool, thumb []byte, err error) {
	mimeType := f.facts.MIMEType
	if err := resetFile(out); err != nil {
		return false, nil, err
	}
	if f.orientation == 1 {
		if rewritten, err = stripInto(in, size, out, mimeType); err != nil {
			return false, nil, err
		}
		if f.animated {
			return rewritten, nil, nil
		}
	}
	if err := i.acquire(ctx); err != nil {
		return false, nil, err
	}
	defer i.release()
	img, err := decodeImage(bufio.NewReaderSize(io.NewSectionReader(in, 0, size), 64<<10), mimeType)
	if err != nil {
		return false, nil, unreadable(mimeType, err)
	}
	if f.orientation > 1 {
		img = orient(img, f.orientation) // the decoded original is garbage from here on
		if err := encodeTurned(out, img, f.icc); err != nil {
			return false, nil, failure(mimeType, err)
		}
		rewritten = true
	}
	thumb, err = thumbnail(img)
	if err != nil {
		return false, nil, fmt.Errorf("media: encoding a preview: %w", err)
	}
	return rewritten, thumb, nil
}

// stripInto copies the image from in to out without its metadata and says whether that
// changed anything; when not, out is left empty.
func stripInto(in *os.File, size int64, out *os.File, mimeType string) (changed bool, err error) {
	r := bufio.NewReaderSize(io.NewSectionReader(in, 0, size), 64<<10)
	w := bufio.NewWriterSize(failureWriter{out}, 64<<10)
	switch mimeType {
	case domain.MIMEJPEG:
		changed, err = stripJPEG(r, w)
	case domain.MIMEPNG:
		changed, err = stripPNG(r, w)
	case domain.MIMEGIF:
		changed, err = stripGIF(r, w)
	case domain.MIMEWebP:
		changed, err = stripWebP(in, size, w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return false, failure(mimeType, err)
	}
	if !changed {
		return false, resetFile(out)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("media: rewinding the prepared file: %w", err)
	}
	return true, nil
}

// encodeTurned writes img to out as a JPEG of quality 92 with the ICC profile segments
// (image/jpeg writes none) right after the start-of-image marker.
func encodeTurned(out *os.File, img image.Image, icc [][]byte) error {
	w := bufio.NewWriterSize(failureWriter{out}, 64<<10)
	w.Write([]byte{0xFF, 0xD8})
	for _, seg := range icc {
		w.Write(seg)
	}
	if err := jpeg.Encode(&afterSOI{w: w}, img, &jpeg.Options{Quality: 92}); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return &writeFailure{err}
	}
	return nil
}

// resetFile empties f and puts its position at the start.
func resetFile(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("media: emptying the prepared file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("media: emptying the prepared file: %w", err)
	}
	return nil
}

// afterSOI passes on what image/jpeg writes but its first two bytes (the start-of-image
// marker), so that segments can go between the marker, written first, and the encoder's.
type afterSOI struct {
	w       io.Writer
	skipped int
}

func (a *afterSOI) Write(p []byte) (int, error) {
	n := len(p)
	if skip := min(2-a.skipped, len(p)); skip > 0 {
		a.skipped += skip
		p = p[skip:]
	}
	if _, err := a.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// failureWriter marks errors writing the prepared file, so that a full disk is reported as
// Herald's failure and not as a bad upload.
type failureWriter struct{ f *os.File }

// writeFailure is an error writing the prepared file.
type writeFailure struct{ err error }

func (e *writeFailure) Error() string { return "writing the prepared file: " + e.err.Error() }
func (e *writeFailure) Unwrap() error { return e.err }

func (w failureWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, &writeFailure{err}
	}
	return n, nil
}

// failure reports err from reading in or writing out: the latter is Herald's (internal),
// the former the file's (CodeInvalid).
func failure(mimeType string, err error) error {
	var wf *writeFailure
	if errors.As(err, &wf) {
		return fmt.Errorf("media: %w", wf)
	}
	return unreadable(mimeType, err)
}

// unreadable is CodeInvalid for a file that is not what its first bytes say.
func unreadable(mimeType string, err error) error {
	why := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		why = "the file ends too soon; the upload may be incomplete"
	}
	return &domain.Error{Code: domain.CodeInvalid, Err: err,
		Message: fmt.Sprintf("Herald could not read this file as %s: %s.", typeNames[mimeType], why)}
}
