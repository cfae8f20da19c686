package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/media"
	"github.com/heraldhq/herald/domain"
)

func encoded(t *testing.T, kind string, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var err error
	if kind == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// server serves files by path; /nohead answers HEAD with 405 and honours Range like a CDN.
func server(t *testing.T, files map[string][]byte, types map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/nohead") {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", types[r.URL.Path])
		http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProbe_TypeSizeAndPixels(t *testing.T) {
	t.Parallel()
	jpg, pngb, video := encoded(t, "jpeg", 1080, 1350), encoded(t, "png", 300, 100), bytes.Repeat([]byte{0}, 5000)
	srv := server(t, map[string][]byte{"/a.jpg": jpg, "/b.png": pngb, "/v.mp4": video, "/nohead.mp4": video},
		map[string]string{"/a.jpg": "image/jpeg", "/b.png": "image/png; charset=binary", "/v.mp4": "video/mp4", "/nohead.mp4": "video/mp4"})
	p := media.New(media.Options{AllowPrivate: true})
	ctx := context.Background()
	for _, tc := range []struct {
		path string
		want domain.MediaInfo
	}{
		{"/a.jpg", domain.MediaInfo{ContentType: "image/jpeg", Bytes: int64(len(jpg)), Width: 1080, Height: 1350}},
		{"/b.png", domain.MediaInfo{ContentType: "image/png", Bytes: int64(len(pngb)), Width: 300, Height: 100}},
		{"/v.mp4", domain.MediaInfo{ContentType: "video/mp4", Bytes: 5000}},
		{"/nohead.mp4", domain.MediaInfo{ContentType: "video/mp4", Bytes: 5000}},
	} {
		got, err := p.Probe(ctx, srv.URL+tc.path)
		tc.want.URL = srv.URL + tc.path
		if err != nil || got != tc.want {
			t.Errorf("Probe(%s) = %+v, %v; want %+v", tc.path, got, err, tc.want)
		}
	}
	_, err := p.Probe(ctx, srv.URL+"/missing.jpg")
	if domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "404") {
		t.Errorf("Probe of a missing file: %v", err)
	}
}

func TestProbe_RefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv := server(t, map[string][]byte{"/a.jpg": {1}}, map[string]string{"/a.jpg": "image/jpeg"})
	p := media.New(media.Options{})
	for _, u := range []string{srv.URL + "/a.jpg", "http://[::1]:" + port(srv) + "/a.jpg", "http://169.254.169.254/latest/meta-data"} {
		_, err := p.Probe(context.Background(), u)
		if domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "private network") {
			t.Errorf("Probe(%s) = %v, want a refusal naming the private network", u, err)
		}
	}
	if _, err := p.Probe(context.Background(), "file:///etc/passwd"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("Probe of a file URL: %v", err)
	}
	// The one definition of a public address (domain.PublicIP): IPv4 wrapped in IPv6 and
	// special-purpose ranges are refused too, before any connection.
	for _, host := range []string{"[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::127.0.0.1]", "[fec0::1]", "0.1.2.3", "198.18.0.1", "240.0.0.1"} {
		u := "http://" + host + ":" + port(srv) + "/a.jpg"
		if _, err := p.Probe(context.Background(), u); domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "private network") {
			t.Errorf("Probe(%s) = %v, want a refusal naming the private network", u, err)
		}
	}
	// Allowing private addresses (development) never opens link-local or metadata addresses.
	open := media.New(media.Options{AllowPrivate: true})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/latest/meta-data", "http://[::ffff:169.254.169.254]/"} {
		if _, err := open.Probe(context.Background(), u); domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "private network") {
			t.Errorf("Probe(%s) with private addresses allowed = %v, want a refusal", u, err)
		}
	}
	if _, err := open.Probe(context.Background(), srv.URL+"/a.jpg"); err != nil {
		t.Errorf("Probe of the loopback server with private addresses allowed: %v", err)
	}
}

func port(srv *httptest.Server) string {
	i := strings.LastIndexByte(srv.URL, ':')
	n, _ := strconv.Atoi(srv.URL[i+1:])
	return strconv.Itoa(n)
}

// box is an ISO BMFF box: a 32-bit size, a type and the payload.
func box(kind string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(out[0:4], uint32(8+len(body)))
	copy(out[4:8], kind)
	return append(out, body...)
}

// mvhd is a movie header of version 0 or 1 with the given timescale and duration.
func mvhd(version byte, scale uint32, duration uint64) []byte {
	var b []byte
	b = append(b, version, 0, 0, 0)
	if version == 1 {
		b = append(b, make([]byte, 16)...) // creation and modification times
		b = binary.BigEndian.AppendUint32(b, scale)
		b = binary.BigEndian.AppendUint64(b, duration)
	} else {
		b = append(b, make([]byte, 8)...)
		b = binary.BigEndian.AppendUint32(b, scale)
		b = binary.BigEndian.AppendUint32(b, uint32(duration))
	}
	return box("mvhd", append(b, make([]byte, 80)...))
}

func TestProbe_ReadsAnMP4sDurationWhereverItsMovieHeaderIs(t *testing.T) {
	t.Parallel()
	ftyp := box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))
	mdat := box("mdat", bytes.Repeat([]byte{7}, 200_000))
	moov5s := box("moov", mvhd(0, 1000, 5000), box("trak", []byte("...")))
	moovLong := box("moov", mvhd(1, 600, 600*16*60)) // 16 minutes, 64-bit header
	files := map[string][]byte{
		"/end.mp4":   bytes.Join([][]byte{ftyp, mdat, moov5s}, nil),
		"/front.mp4": bytes.Join([][]byte{ftyp, moovLong, mdat}, nil),
		"/junk.mp4":  bytes.Repeat([]byte{1}, 1000),
	}
	srv := server(t, files, map[string]string{"/end.mp4": "video/mp4", "/front.mp4": "video/mp4", "/junk.mp4": "video/mp4"})
	p := media.New(media.Options{AllowPrivate: true})
	for path, want := range map[string]time.Duration{"/end.mp4": 5 * time.Second, "/front.mp4": 16 * time.Minute, "/junk.mp4": 0} {
		info, err := p.Probe(context.Background(), srv.URL+path)
		if err != nil || info.Duration != want {
			t.Errorf("Probe(%s) duration = %v, %v; want %v", path, info.Duration, err, want)
		}
	}
	// And the domain refuses the 16-minute video for Instagram.
	info, _ := p.Probe(context.Background(), srv.URL+"/front.mp4")
	if got := domain.CheckMedia(domain.Instagram, info); len(got) != 1 || !strings.Contains(got[0], "lasts 16 minutes") {
		t.Errorf("CheckMedia = %q", got)
	}
}
