package media

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// prepare runs Prepare on data as an uploaded file and returns the result and out's bytes.
func prepare(t testing.TB, insp *Inspector, data []byte) (ports.PreparedMedia, []byte, error) {
	t.Helper()
	dir := t.TempDir()
	name := filepath.Join(dir, "upload")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "prepared"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	p, perr := insp.Prepare(context.Background(), in, out)
	if pos, err := in.Seek(0, 1); err != nil || pos != 0 {
		t.Errorf("Prepare moved the upload's position to %d (%v)", pos, err)
	}
	if pos, err := out.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
		t.Errorf("Prepare left the prepared file at %d (%v), not at its start", pos, err)
	}
	written, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return p, written, perr
}

// picture is a w×h image of a gradient with a red block in the top-left corner and a green
// one in the top-right, so that turning and mirroring can be seen.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(40 + x*100/w), uint8(40 + y*100/h), 128, 255}
			switch {
			case x < 16 && y < 16:
				c = color.RGBA{255, 0, 0, 255}
			case x >= w-16 && y < 16:
				c = color.RGBA{0, 255, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// segment is a JPEG segment: marker, length, body.
func segment(marker byte, body []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
}

// withSegments puts segments right after a JPEG's start-of-image marker.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// markers lists the markers of a JPEG's segments before its first scan.
func markers(t *testing.T, jpg []byte) []byte {
	t.Helper()
	var ms []byte
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := jpg[i+1]
		ms = append(ms, m)
		if m == markerSOS {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return ms
}

func decodeBytes(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return img
}

func samePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v and %v", a.Bounds(), b.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("pixel %d,%d differs", x, y)
			}
		}
	}
}

// thumbSize decodes a preview and returns its size.
func thumbSize(t *testing.T, thumb []byte) image.Point {
	t.Helper()
	if thumb == nil {
		t.Fatal("no thumbnail")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	return image.Pt(cfg.Width, cfg.Height)
}

func TestSniff_TypesFromBytes(t *testing.T) {
	t.Parallel()
	ftyp := func(major string, compat ...string) []byte {
		b := []byte("\x00\x00\x00\x00ftyp" + major + "\x00\x00\x02\x00" + strings.Join(compat, ""))
		binary.BigEndian.PutUint32(b, uint32(len(b)))
		return append(b, "\x00\x00\x00\x08free"...)
	}
	for name, tc := range map[string]struct {
		head []byte
		want string
	}{
		"jpeg":         {[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, domain.MIMEJPEG},
		"png":          {[]byte("\x89PNG\r\n\x1a\n\x00\x00"), domain.MIMEPNG},
		"gif87a":       {[]byte("GIF87a\x01\x00"), domain.MIMEGIF},
		"gif89a":       {[]byte("GIF89a\x01\x00"), domain.MIMEGIF},
		"webp":         {[]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), domain.MIMEWebP},
		"quicktime":    {ftyp("qt  ", "qt  "), domain.MIMEQuickTime},
		"isom":         {ftyp("isom", "isom", "iso2", "avc1", "mp41"), domain.MIMEMP4},
		"mp42":         {ftyp("mp42", "mp42", "isom"), domain.MIMEMP4},
		"iso5":         {ftyp("iso5"), domain.MIMEMP4},
		"M4V":          {ftyp("M4V ", "M4V ", "M4A "), domain.MIMEMP4},
		"compatible":   {ftyp("abcd", "abcd", "mp42"), domain.MIMEMP4},
		"3gp":          {ftyp("3gp4", "3gp4"), ""},
		"heic":         {ftyp("heic", "mif1", "heic"), ""},
		"avi":          {[]byte("RIFF\x10\x00\x00\x00AVI LIST"), ""},
		"pdf":          {[]byte("%PDF-1.7\n"), ""},
		"text":         {[]byte("hello, world"), ""},
		"empty":        {nil, ""},
		"jpeg cut":     {[]byte{0xFF, 0xD8}, ""},
		"ftyp too big": {[]byte("\xFF\xFF\xFF\xFFftypabcd\x00\x00\x00\x00isom"), domain.MIMEMP4},
	} {
		got, err := sniff(tc.head)
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", name, got, tc.want)
		}
		if tc.want == "" && domain.CodeOf(err) != domain.CodeUnsupported {
			t.Errorf("%s: got error %v, want CodeUnsupported", name, err)
		}
	}
}

func TestPrepare_JPEGLosesLocationAndKeepsPixels(t *testing.T) {
	t.Parallel()
	plain := encodeJPEG(t, picture(64, 48))
	icc := segment(markerAPP2, []byte("ICC_PROFILE\x00\x01\x01fake profile"))
	exif := segment(markerAPP1, append([]byte("Exif\x00\x00"), exifTIFF(binary.LittleEndian, []tiffEntry{{tagOrientation, 3, 1}}, true)...))
	xmp := segment(markerAPP1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51N</exif:GPSLatitude></x:xmpmeta>"))
	iptc := segment(markerAPP13, []byte("Photoshop 3.0\x008BIM\x04\x04 city: Paris"))
	com := segment(markerCOM, []byte("taken at home"))
	upload := withSegments(plain, exif, icc, xmp, iptc, com)
	upload = append(upload, []byte("trailer: a second picture with its own Exif")...)

	p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), upload)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Rewritten {
		t.Fatal("Rewritten is false")
	}
	if p.Facts != (domain.MediaFacts{MIMEType: domain.MIMEJPEG, Width: 64, Height: 48}) {
		t.Errorf("facts %+v", p.Facts)
	}
	for _, secret := range []string{"Exif", "GPS", "48,51", "Paris", "taken at home", "trailer"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("the prepared file still holds %q", secret)
		}
	}
	for _, m := range markers(t, out) {
		if m == markerAPP1 || m == markerAPP13 || m == markerCOM {
			t.Errorf("the prepared file still has a segment 0x%X", m)
		}
	}
	if !bytes.Contains(out, icc) {
		t.Error("the ICC profile is gone")
	}
	// Every byte but the dropped segments is the same: the plain file plus the ICC profile.
	if want := withSegments(plain, icc); !bytes.Equal(out, want) {
		t.Errorf("the prepared file (%d bytes) is not the original without its metadata (%d bytes)", len(out), len(want))
	}
	samePixels(t, decodeBytes(t, upload), decodeBytes(t, out))
	if got := thumbSize(t, p.Thumbnail); got != image.Pt(64, 48) {
		t.Errorf("thumbnail %v: a small image is not enlarged", got)
	}
}

func TestPrepare_JPEGWithoutMetadataIsNotRewritten(t *testing.T) {
	t.Parallel()
	p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), encodeJPEG(t, picture(40, 30)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rewritten || len(out) != 0 {
		t.Errorf("Rewritten %v with %d bytes out, want nothing to do", p.Rewritten, len(out))
	}
}

func TestPrepare_JPEGOrientationIsApplied(t *testing.T) {
	t.Parallel()
	const w, h = 96, 48
	stored := encodeJPEG(t, picture(w, h))
	icc := segment(markerAPP2, []byte("ICC_PROFILE\x00\x01\x01fake profile"))
	// Where the stored top-left (red) and top-right (green) corners end up, upright.
	type corners struct{ red, green string }
	for o, want := range map[int]corners{
		2: {"top-right", "top-left"}, 3: {"bottom-right", "bottom-left"}, 4: {"bottom-left", "bottom-right"},
		5: {"top-left", "bottom-left"}, 6: {"top-right", "bottom-right"}, 7: {"bottom-right", "top-right"},
		8: {"bottom-left", "top-left"},
	} {
		order := binary.ByteOrder(binary.BigEndian)
		if o%2 == 0 {
			order = binary.LittleEndian
		}
		exif := segment(markerAPP1, append([]byte("Exif\x00\x00"), exifTIFF(order, []tiffEntry{{tagOrientation, 3, uint32(o)}}, true)...))
		p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), withSegments(stored, exif, icc))
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		uw, uh := w, h
		if o >= 5 {
			uw, uh = h, w
		}
		if !p.Rewritten || p.Facts.Width != uw || p.Facts.Height != uh {
			t.Errorf("orientation %d: Rewritten %v, facts %+v; want %d×%d", o, p.Rewritten, p.Facts, uw, uh)
		}
		if bytes.Contains(out, []byte("Exif")) || !bytes.Contains(out, icc) {
			t.Errorf("orientation %d: Exif kept or ICC profile lost", o)
		}
		img := decodeBytes(t, out)
		if img.Bounds() != image.Rect(0, 0, uw, uh) {
			t.Fatalf("orientation %d: the stored image is %v", o, img.Bounds())
		}
		at := map[string]image.Point{"top-left": {8, 8}, "top-right": {uw - 9, 8}, "bottom-left": {8, uh - 9}, "bottom-right": {uw - 9, uh - 9}}
		if c := at[want.red]; !isColor(img.At(c.X, c.Y), 255, 0, 0) {
			t.Errorf("orientation %d: the red corner is not %s (%v there)", o, want.red, img.At(c.X, c.Y))
		}
		if c := at[want.green]; !isColor(img.At(c.X, c.Y), 0, 255, 0) {
			t.Errorf("orientation %d: the green corner is not %s (%v there)", o, want.green, img.At(c.X, c.Y))
		}
		if got := thumbSize(t, p.Thumbnail); got != image.Pt(uw, uh) {
			t.Errorf("orientation %d: thumbnail %v", o, got)
		}
	}
}

// isColor says whether c is near r, g, b (JPEG is lossy).
func isColor(c color.Color, r, g, b int) bool {
	cr, cg, cb, _ := c.RGBA()
	near := func(v uint32, want int) bool { d := int(v>>8) - want; return d > -40 && d < 40 }
	return near(cr, r) && near(cg, g) && near(cb, b)
}

// pngChunk is a PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, kind...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func TestPrepare_PNGLosesTextChunks(t *testing.T) {
	t.Parallel()
	var enc bytes.Buffer
	if err := png.Encode(&enc, picture(600, 300)); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	var upload []byte
	upload = append(upload, plain[:ihdrEnd]...)
	upload = append(upload, pngChunk("eXIf", exifTIFF(binary.BigEndian, nil, true))...)
	upload = append(upload, pngChunk("tEXt", []byte("Author\x00Jane"))...)
	upload = append(upload, pngChunk("iTXt", []byte("Location\x00\x00\x00\x00\x00Paris"))...)
	upload = append(upload, pngChunk("zTXt", []byte("Comment\x00\x00x"))...)
	upload = append(upload, pngChunk("tIME", []byte{0x07, 0xEA, 12, 3, 10, 0, 0})...)
	upload = append(upload, plain[ihdrEnd:]...)
	upload = append(upload, "after IEND"...)

	p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), upload)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Rewritten || !bytes.Equal(out, plain) {
		t.Fatalf("Rewritten %v; the prepared file (%d bytes) is not the PNG without its metadata (%d bytes)", p.Rewritten, len(out), len(plain))
	}
	if p.Facts != (domain.MediaFacts{MIMEType: domain.MIMEPNG, Width: 600, Height: 300}) {
		t.Errorf("facts %+v", p.Facts)
	}
	if got := thumbSize(t, p.Thumbnail); got != image.Pt(480, 240) {
		t.Errorf("thumbnail %v, want 480×240", got)
	}

	p, out, err = prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), plain)
	if err != nil || p.Rewritten || len(out) != 0 {
		t.Errorf("a PNG without metadata: Rewritten %v, %d bytes out, %v", p.Rewritten, len(out), err)
	}
}

func TestPrepare_WebPLosesEXIFAndXMP(t *testing.T) {
	t.Parallel()
	lossless := webpFromFFmpeg(t)
	// Wrap the VP8L chunk in an extended file: VP8X with the EXIF and XMP flags, then the
	// image, then the metadata chunks (the order the container specification gives).
	vp8l := lossless[12:]
	cfg, err := webp.DecodeConfig(bytes.NewReader(lossless))
	if err != nil {
		t.Fatal(err)
	}
	vp8x := make([]byte, 18)
	copy(vp8x, "VP8X")
	binary.LittleEndian.PutUint32(vp8x[4:], 10)
	vp8x[8] = webpEXIF | webpXMP | 0x10 // and alpha, which stays
	putUint24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	putUint24(vp8x[12:], cfg.Width-1)
	putUint24(vp8x[15:], cfg.Height-1)
	riffChunk := func(kind string, data []byte) []byte {
		b := append([]byte(kind), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		b = append(b, data...)
		if len(data)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	riff := func(chunks ...[]byte) []byte {
		body := []byte("WEBP")
		for _, c := range chunks {
			body = append(body, c...)
		}
		return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
	}
	upload := riff(vp8x, vp8l, riffChunk("EXIF", exifTIFF(binary.LittleEndian, nil, true)), riffChunk("XMP ", []byte("<x:xmpmeta>Paris</x:xmpmeta>")))

	p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), upload)
	if err != nil {
		t.Fatal(err)
	}
	wantVP8X := append([]byte{}, vp8x...)
	wantVP8X[8] = 0x10
	if want := riff(wantVP8X, vp8l); !p.Rewritten || !bytes.Equal(out, want) {
		t.Fatalf("Rewritten %v; the prepared file (%d bytes) is not the WebP without metadata (%d bytes)", p.Rewritten, len(out), len(want))
	}
	if p.Facts != (domain.MediaFacts{MIMEType: domain.MIMEWebP, Width: 64, Height: 48}) {
		t.Errorf("facts %+v", p.Facts)
	}
	samePixels(t, decodeBytes(t, lossless), decodeBytes(t, out))
	if got := thumbSize(t, p.Thumbnail); got != image.Pt(64, 48) {
		t.Errorf("thumbnail %v", got)
	}
}

// webpFromFFmpeg returns a 64×48 lossless WebP (no Go package encodes WebP).
func webpFromFFmpeg(t *testing.T) []byte {
	t.Helper()
	name := filepath.Join(t.TempDir(), "t.webp")
	runFFmpeg(t, "-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", "-c:v", "libwebp", "-lossless", "1", name)
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[12:16]) != "VP8L" {
		t.Fatalf("ffmpeg wrote a %q WebP, want a simple lossless one", b[12:16])
	}
	return b
}

func TestPrepare_GIFLosesCommentsAndKeepsLoop(t *testing.T) {
	t.Parallel()
	pal := color.Palette{color.White, color.Black, color.RGBA{255, 0, 0, 255}}
	var frames []*image.Paletted
	for i := range 2 {
		f := image.NewPaletted(image.Rect(0, 0, 20, 10), pal)
		f.SetColorIndex(i, 0, 2)
		frames = append(frames, f)
	}
	var enc bytes.Buffer
	if err := gif.EncodeAll(&enc, &gif.GIF{Image: frames, Delay: []int{10, 10}, LoopCount: 0}); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	if !bytes.Contains(plain, []byte("NETSCAPE2.0")) {
		t.Fatal("the test GIF has no loop extension")
	}
	comment := []byte("\x21\xFE\x0Dtaken at home\x00")
	xmp := append([]byte("\x21\xFF\x0BXMP DataXMP"), append([]byte{5}, "Paris\x00"...)...)
	trailer := len(plain) - 1
	upload := append(append(append(append([]byte{}, plain[:trailer]...), comment...), xmp...), plain[trailer:]...)

	p, out, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), upload)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Rewritten || !bytes.Equal(out, plain) {
		t.Fatalf("Rewritten %v; the prepared file (%d bytes) is not the GIF without comments (%d bytes)", p.Rewritten, len(out), len(plain))
	}
	if p.Facts != (domain.MediaFacts{MIMEType: domain.MIMEGIF, Width: 20, Height: 10}) {
		t.Errorf("facts %+v", p.Facts)
	}
	if got := thumbSize(t, p.Thumbnail); got != image.Pt(20, 10) {
		t.Errorf("thumbnail %v", got)
	}
}

func TestPrepare_RefusesWhatItCannotTake(t *testing.T) {
	t.Parallel()
	jpg := withSegments(encodeJPEG(t, picture(64, 48)), segment(markerCOM, []byte("hello")))
	var wide bytes.Buffer
	if err := png.Encode(&wide, image.NewGray(image.Rect(0, 0, domain.MaxImageSide+1, 1))); err != nil {
		t.Fatal(err)
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, picture(64, 48)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data    []byte
		code    domain.Code
		message string
	}{
		"empty":            {nil, domain.CodeUnsupported, "This file type is not supported"},
		"text":             {[]byte("just some words, not a picture"), domain.CodeUnsupported, "not supported"},
		"jpeg header only": {jpg[:20], domain.CodeInvalid, "Herald could not read this file as a JPEG image: the file ends too soon"},
		"jpeg cut":         {jpg[:len(jpg)/2], domain.CodeInvalid, "Herald could not read this file as a JPEG image"},
		"jpeg garbage":     {append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00}, bytes.Repeat([]byte{0x42}, 100)...), domain.CodeInvalid, "a JPEG image"},
		"png cut":          {pngBuf.Bytes()[:pngBuf.Len()-30], domain.CodeInvalid, "Herald could not read this file as a PNG image"},
		"gif header only":  {[]byte("GIF89a\x10\x00"), domain.CodeInvalid, "a GIF image"},
		"webp header only": {[]byte("RIFF\x20\x00\x00\x00WEBPVP8 \x10\x00"), domain.CodeInvalid, "a WebP image"},
		"too wide":         {wide.Bytes(), domain.CodeInvalid, "The image is 16385×1 pixels"},
	} {
		_, _, err := prepare(t, NewInspector(InspectorOptions{FFmpeg: "-"}), tc.data)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != tc.code || !strings.Contains(de.Message, tc.message) {
			t.Errorf("%s: got %v, want %s with %q", name, err, tc.code, tc.message)
		}
	}
}

func TestPrepare_WaitsForADecodingSlot(t *testing.T) {
	t.Parallel()
	insp := NewInspector(InspectorOptions{FFmpeg: "-", Concurrency: 1})
	if err := insp.acquire(context.Background()); err != nil { // every slot is taken
		t.Fatal(err)
	}
	defer insp.release()
	dir := t.TempDir()
	name := filepath.Join(dir, "in.jpg")
	if err := os.WriteFile(name, encodeJPEG(t, picture(40, 30)), 0o600); err != nil {
		t.Fatal(err)
	}
	in, _ := os.Open(name)
	defer in.Close()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := insp.Prepare(ctx, in, out); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the context's error while no slot is free", err)
	}
}

func TestThumbnail_FitsTheLongerSide(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		img  image.Image
		want image.Point
	}{
		{image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420), image.Pt(480, 360)},
		{image.NewNRGBA(image.Rect(0, 0, 1000, 3000)), image.Pt(160, 480)},
		{image.NewRGBA(image.Rect(0, 0, 961, 10)), image.Pt(480, 4)},
		{image.NewGray(image.Rect(10, 10, 2010, 1010)), image.Pt(480, 240)},
		{image.NewRGBA(image.Rect(0, 0, 480, 480)), image.Pt(480, 480)},
	} {
		b, err := thumbnail(tc.img)
		if err != nil {
			t.Fatal(err)
		}
		if got := thumbSize(t, b); got != tc.want {
			t.Errorf("%T %v: thumbnail %v, want %v", tc.img, tc.img.Bounds(), got, tc.want)
		}
	}
	// Transparent pixels are white, not black.
	b, _ := thumbnail(image.NewNRGBA(image.Rect(0, 0, 1000, 1000)))
	if img, _ := jpeg.Decode(bytes.NewReader(b)); !isColor(img.At(100, 100), 255, 255, 255) {
		t.Errorf("a transparent image's preview is %v, want white", img.At(100, 100))
	}
}

// BenchmarkPrepare prepares a 12-megapixel JPEG photo turned by its EXIF orientation (the
// heaviest path: decode, turn, re-encode, preview) and one without (strip and preview).
func BenchmarkPrepare(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(i * 7 % 251)
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = uint8(i%200), uint8(i%150)
	}
	plain := encodeJPEG(b, src)
	for name, o := range map[string]int{"upright": 1, "turned": 6} {
		upload := withSegments(plain, segment(markerAPP1, append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, []tiffEntry{{tagOrientation, 3, uint32(o)}}, true)...)))
		b.Run(name, func(b *testing.B) {
			insp := NewInspector(InspectorOptions{FFmpeg: "-"})
			b.ReportAllocs()
			b.SetBytes(int64(len(upload)))
			for b.Loop() {
				if _, _, err := prepare(b, insp, upload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzInspect: sniffing and reading facts never panic, whatever the bytes; they succeed or
// give a Herald error with a code a person can act on.
func FuzzInspect(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"))
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41\x00\x00\x00\x10moov\x00\x00\x00\x08trak"))
	f.Add([]byte("\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		f, err := inspect(bytes.NewReader(b), int64(len(b)))
		switch domain.CodeOf(err) {
		case "":
			if f.facts.Width <= 0 || f.facts.Height <= 0 {
				t.Fatalf("facts %+v without an error", f.facts)
			}
		case domain.CodeInvalid, domain.CodeUnsupported:
		default:
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzStrip: the metadata strippers never panic or loop, whatever the bytes after the
// signature they were chosen for.
func FuzzStrip(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0, 0, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0xFF, 0xD9})
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00tEXt\x00\x00\x00\x00\x00\x00\x00\x00IEND\xaeB`\x82"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xfe\x01x\x00\x3b"))
	f.Add([]byte("RIFF\x1e\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00EXIF\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := bufio.NewWriter(io.Discard)
		for _, strip := range []func(*bufio.Reader, *bufio.Writer) (bool, error){stripJPEG, stripPNG, stripGIF} {
			_, _ = strip(bufio.NewReader(bytes.NewReader(b)), w)
		}
		_, _ = stripWebP(bytes.NewReader(b), int64(len(b)), w)
	})
}

// A progressive JPEG has several scans with segments between them; the scans' bytes
// (stuffed 0xFF 0x00, restart markers) are copied as they are and a comment between scans
// is dropped like one before them.
func TestStripJPEG_WalksEveryScan(t *testing.T) {
	t.Parallel()
	sos := segment(markerSOS, []byte{1, 1, 0, 0, 63, 0})
	dht := segment(0xC4, []byte{0x10, 0xFF, 0xD9, 0xFF, 0xE1}) // a table whose bytes look like markers
	scan1 := []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0x00}
	scan2 := []byte{0xAB, 0xFF, 0xD7, 0xCD}
	var in, want []byte
	in = append(in, 0xFF, 0xD8)
	in = append(in, segment(markerAPP1, []byte("Exif\x00\x00MM"))...)
	in = append(in, dht...)
	in = append(in, sos...)
	in = append(in, scan1...)
	in = append(in, segment(markerCOM, []byte("between scans"))...)
	in = append(in, dht...)
	in = append(in, sos...)
	in = append(in, scan2...)
	in = append(in, 0xFF, 0xD9)
	in = append(in, "a trailer"...)

	want = append(want, 0xFF, 0xD8)
	want = append(want, dht...)
	want = append(want, sos...)
	want = append(want, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0x00) // fill byte gone
	want = append(want, dht...)
	want = append(want, sos...)
	want = append(want, scan2...)
	want = append(want, 0xFF, 0xD9)

	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	changed, err := stripJPEG(bufio.NewReader(bytes.NewReader(in)), w)
	if err != nil || !changed {
		t.Fatalf("changed %v, %v", changed, err)
	}
	w.Flush()
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("got\n% x\nwant\n% x", out.Bytes(), want)
	}
	// Without an end-of-image marker, the file is incomplete.
	if _, err := stripJPEG(bufio.NewReader(bytes.NewReader(in[:len(in)-len("a trailer")-2])), bufio.NewWriter(io.Discard)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a JPEG without its end: %v", err)
	}
}

// A prepared file Herald cannot write is Herald's failure, not the upload's.
func TestPrepare_UnwritableOutIsInternal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "in.jpg")
	if err := os.WriteFile(name, withSegments(encodeJPEG(t, picture(40, 30)), segment(markerCOM, []byte("x"))), 0o600); err != nil {
		t.Fatal(err)
	}
	in, _ := os.Open(name)
	defer in.Close()
	out, _ := os.Open(name) // read-only
	defer out.Close()
	_, err := NewInspector(InspectorOptions{FFmpeg: "-"}).Prepare(context.Background(), in, out)
	if err == nil || domain.CodeOf(err) != domain.CodeInternal {
		t.Errorf("got %v, want an internal error", err)
	}
}
