package media

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"

	"golang.org/x/image/draw"

	"github.com/heraldhq/herald/ports"
)

// thumbQuality is the JPEG quality of previews: small files that still look clean in a grid.
const thumbQuality = 80

// acquire waits for one of the Concurrency decoding slots. Decoding an image takes memory in
// proportion to its pixels (1.5 bytes a pixel for a JPEG, 4 for a PNG or WebP, up to
// domain.MaxImagePixels), so at most Concurrency images are decoded at once whatever the
// number of uploads; the others wait here.
func (i *Inspector) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case i.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (i *Inspector) release() { <-i.slots }

// thumbnail encodes img as a JPEG whose longer side is at most ports.ThumbnailSide.
//
// It first averages k×k blocks of pixels (k the whole ratio between the sizes), which
// removes the detail that would alias and leaves a picture only a little larger than the
// preview, then scales that with Catmull-Rom (golang.org/x/image/draw): sharper than
// bilinear for the last, small step, and cheap there, whereas Catmull-Rom straight from a
// 12-megapixel image would hold a float64 buffer of preview width × source height (tens
// of megabytes). ApproxBiLinear alone would be fast but alias fine textures badly at 8×.
// Transparent pixels come out white, as JPEG has no transparency.
func thumbnail(img image.Image) ([]byte, error) {
	b := img.Bounds()
	tw, th := fit(b.Dx(), b.Dy(), ports.ThumbnailSide)
	src := img
	if k := min(b.Dx()/tw, b.Dy()/th); k >= 2 {
		src = boxReduce(img, k)
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: thumbQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit returns w×h scaled down (never up) so that the longer side is at most side.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return max(w, 1), max(h, 1)
	}
	if w >= h {
		return side, max(h*side/w, 1)
	}
	return max(w*side/h, 1), side
}

// boxReduce returns img shrunk k times by averaging each k×k block (the last partial row
// and column of blocks are left out: under one pixel of the preview). JPEG's YCbCr and
// the RGBA kinds are read directly; other kinds through At, slower but rare.
func boxReduce(img image.Image, k int) *image.RGBA {
	b := img.Bounds()
	dw, dh := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	n := uint32(k * k)
	for dy := range dh {
		for dx := range dw {
			x0, y0 := b.Min.X+dx*k, b.Min.Y+dy*k
			var c [4]uint32
			switch s := img.(type) {
			case *image.YCbCr:
				var yy, cb, cr uint32
				for y := y0; y < y0+k; y++ {
					for x := x0; x < x0+k; x++ {
						ci := s.COffset(x, y)
						yy += uint32(s.Y[s.YOffset(x, y)])
						cb += uint32(s.Cb[ci])
						cr += uint32(s.Cr[ci])
					}
				}
				r, g, bl := color.YCbCrToRGB(uint8(yy/n), uint8(cb/n), uint8(cr/n))
				c = [4]uint32{uint32(r), uint32(g), uint32(bl), 255}
			case *image.RGBA:
				for y := y0; y < y0+k; y++ {
					p := s.Pix[s.PixOffset(x0, y):]
					for x := 0; x < k*4; x += 4 {
						c[0], c[1], c[2], c[3] = c[0]+uint32(p[x]), c[1]+uint32(p[x+1]), c[2]+uint32(p[x+2]), c[3]+uint32(p[x+3])
					}
				}
				c = [4]uint32{c[0] / n, c[1] / n, c[2] / n, c[3] / n}
			case *image.NRGBA:
				for y := y0; y < y0+k; y++ {
					p := s.Pix[s.PixOffset(x0, y):]
					for x := 0; x < k*4; x += 4 {
						a := uint32(p[x+3])
						c[0], c[1], c[2], c[3] = c[0]+uint32(p[x])*a/255, c[1]+uint32(p[x+1])*a/255, c[2]+uint32(p[x+2])*a/255, c[3]+a
					}
				}
				c = [4]uint32{c[0] / n, c[1] / n, c[2] / n, c[3] / n}
			default:
				for y := y0; y < y0+k; y++ {
					for x := x0; x < x0+k; x++ {
						r, g, bl, a := s.At(x, y).RGBA()
						c[0], c[1], c[2], c[3] = c[0]+r>>8, c[1]+g>>8, c[2]+bl>>8, c[3]+a>>8
					}
				}
				c = [4]uint32{c[0] / n, c[1] / n, c[2] / n, c[3] / n}
			}
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), uint8(c[3])
		}
	}
	return dst
}

// orient turns and mirrors img as EXIF orientation o (2 to 8) says, so that it shows upright
// without the tag. A JPEG's YCbCr comes out as YCbCr 4:2:0 (what image/jpeg encodes anyway:
// half the memory of RGBA), gray as gray, anything else as RGBA.
func orient(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	// src maps a pixel of the upright picture to the stored one (offsets from b.Min).
	src := func(x, y int) (int, int) {
		switch o {
		case 2: // mirrored left to right
			return w - 1 - x, y
		case 3: // turned 180°
			return w - 1 - x, h - 1 - y
		case 4: // mirrored top to bottom
			return x, h - 1 - y
		case 5: // mirrored along the main diagonal
			return y, x
		case 6: // stored turned 90° anticlockwise: turn it clockwise
			return y, h - 1 - x
		case 7: // mirrored along the other diagonal
			return w - 1 - y, h - 1 - x
		case 8: // stored turned 90° clockwise: turn it anticlockwise
			return w - 1 - y, x
		}
		return x, y
	}
	r := image.Rect(0, 0, dw, dh)
	switch s := img.(type) {
	case *image.YCbCr:
		d := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		for y := range dh {
			for x := range dw {
				sx, sy := src(x, y)
				d.Y[d.YOffset(x, y)] = s.Y[s.YOffset(b.Min.X+sx, b.Min.Y+sy)]
			}
		}
		for y := 0; y < dh; y += 2 {
			for x := 0; x < dw; x += 2 {
				sx, sy := src(x, y)
				si, di := s.COffset(b.Min.X+sx, b.Min.Y+sy), d.COffset(x, y)
				d.Cb[di], d.Cr[di] = s.Cb[si], s.Cr[si]
			}
		}
		return d
	case *image.Gray:
		d := image.NewGray(r)
		for y := range dh {
			for x := range dw {
				sx, sy := src(x, y)
				d.Pix[d.PixOffset(x, y)] = s.Pix[s.PixOffset(b.Min.X+sx, b.Min.Y+sy)]
			}
		}
		return d
	}
	d := image.NewRGBA(r)
	for y := range dh {
		for x := range dw {
			sx, sy := src(x, y)
			d.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return d
}
