package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// tusServer is the API with apptest's media library: the file system and the real
// inspector, spooling uploads under spool.
type tusServer struct {
	*server
	spool string
}

func newTusServer(t *testing.T, opts ...apptest.Option) *tusServer {
	t.Helper()
	s := newServer(t, opts...)
	return &tusServer{server: s, spool: s.SpoolDir}
}

// tus sends a tus request: Tus-Resumable 1.0.0 unless headers say otherwise, the body as
// the part's bytes.
func (c *client) tus(method, path string, body []byte, headers ...string) *response {
	c.s.t.Helper()
	h := []string{"Tus-Resumable", "1.0.0"}
	if body != nil {
		h = append(h, "Content-Type", "application/offset+octet-stream")
	}
	return c.do(method, path, rawBody(body), append(h, headers...)...)
}

// rawBody is a request body sent as it is (client.do sends strings as they are).
func rawBody(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// create starts an upload of length bytes and returns its path under the API.
func (c *client) createUpload(length int, meta string) string {
	c.s.t.Helper()
	res := c.tus("POST", "/uploads", nil, "Upload-Length", strconv.Itoa(length), "Upload-Metadata", meta).want(http.StatusCreated)
	loc := res.header.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/uploads/") || res.header.Get("Tus-Resumable") != "1.0.0" || res.header.Get("Upload-Expires") == "" {
		c.s.t.Fatalf("POST /uploads: Location %q, headers %v", loc, res.header)
	}
	return strings.TrimPrefix(loc, "/api/v1")
}

// offset asks HEAD for the upload's offset.
func (c *client) offset(path string) int64 {
	c.s.t.Helper()
	res := c.tus("HEAD", path, nil).want(http.StatusOK)
	n, err := strconv.ParseInt(res.header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		c.s.t.Fatalf("HEAD %s: Upload-Offset %q", path, res.header.Get("Upload-Offset"))
	}
	if res.header.Get("Cache-Control") != "no-store" {
		c.s.t.Errorf("HEAD %s: Cache-Control %q, want no-store", path, res.header.Get("Cache-Control"))
	}
	return n
}

// patch sends one part from offset.
func (c *client) patch(path string, offset int, part []byte) *response {
	c.s.t.Helper()
	return c.tus("PATCH", path, part, "Upload-Offset", strconv.Itoa(offset))
}

func meta(pairs ...string) string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, pairs[i]+" "+base64.StdEncoding.EncodeToString([]byte(pairs[i+1])))
	}
	return strings.Join(out, ",")
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openPart starts a PATCH of a part of total bytes on a raw connection and sends its
// first bytes; the caller sends the rest, or closes the connection to cut it off.
func (c *client) openPart(path string, offset, total int, first []byte) (net.Conn, *bufio.Reader) {
	c.s.t.Helper()
	u, err := url.Parse(c.s.url + path)
	if err != nil {
		c.s.t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		c.s.t.Fatal(err)
	}
	c.s.t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nX-Company-ID: %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Offset: %d\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, c.token, c.company, offset, total)
	if _, err := conn.Write(first); err != nil {
		c.s.t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

func TestUploads_PartsAndOffsets(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	file := randomBytes(t, 300_000)
	path := acme.createUpload(len(file), meta("filename", "launch.mp4", "alt", "The launch"))

	if got := acme.offset(path); got != 0 {
		t.Fatalf("offset of a new upload = %d, want 0", got)
	}
	for i, cut := range []int{0, 100_000, 250_000} {
		end := []int{100_000, 250_000, 299_999}[i]
		res := acme.patch(path, cut, file[cut:end]).want(http.StatusNoContent)
		if got := res.header.Get("Upload-Offset"); got != strconv.Itoa(end) {
			t.Fatalf("PATCH part %d: Upload-Offset %q, want %d", i, got, end)
		}
		if res.header.Get("Tus-Resumable") != "1.0.0" || res.header.Get("Upload-Expires") == "" {
			t.Errorf("PATCH part %d: headers %v", i, res.header)
		}
		if got := acme.offset(path); got != int64(end) {
			t.Fatalf("HEAD after part %d = %d, want %d", i, got, end)
		}
	}
	spooled, err := os.ReadFile(filepath.Join(s.spool, "tus-"+filepath.Base(path)))
	if err != nil || !bytes.Equal(spooled, file[:299_999]) {
		t.Fatalf("spooled %d bytes (%v), want the first 299,999 of the file", len(spooled), err)
	}

	t.Run("WrongOffsetIsAConflict", func(t *testing.T) {
		acme.patch(path, 100, file[100:200]).problem(http.StatusConflict)
		if got := acme.offset(path); got != 299_999 {
			t.Errorf("offset after a refused part = %d", got)
		}
	})
	t.Run("PartPastTheLengthIsTooLarge", func(t *testing.T) {
		acme.patch(path, 299_999, []byte("ab")).problem(http.StatusRequestEntityTooLarge)
	})
	t.Run("PartsNeedTheirContentType", func(t *testing.T) {
		acme.tus("PATCH", path, []byte("x"), "Upload-Offset", "299999", "Content-Type", "application/json").problem(http.StatusUnsupportedMediaType)
	})
	t.Run("OffsetMustBeANumber", func(t *testing.T) {
		acme.tus("PATCH", path, []byte("x"), "Upload-Offset", "-1").problem(http.StatusBadRequest)
	})
}

func TestUploads_CutOffPartKeepsItsBytesAndResumes(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	file := randomBytes(t, 200_000)
	path := acme.createUpload(len(file), meta("filename", "clip.mov"))

	// The connection drops after 70,000 of the part's 200,000 bytes.
	conn, _ := acme.openPart(path, 0, len(file), file[:70_000])
	waitFor(t, "the first 70,000 bytes to arrive", func() bool { return acme.offset(path) == 70_000 })
	conn.Close()
	// The cut-off part releases the upload: the rest is then taken from where it broke.
	var res *response
	waitFor(t, "the cut-off part to end", func() bool {
		res = acme.patch(path, 70_000, file[70_000:199_000])
		return res.status != http.StatusConflict
	})
	res.want(http.StatusNoContent)
	if got := acme.offset(path); got != 199_000 {
		t.Fatalf("offset after resuming = %d, want 199,000", got)
	}
	spooled, err := os.ReadFile(filepath.Join(s.spool, "tus-"+filepath.Base(path)))
	if err != nil || !bytes.Equal(spooled, file[:199_000]) {
		t.Fatalf("spooled %d bytes (%v); want the file's first 199,000 bytes in order", len(spooled), err)
	}
}

func TestUploads_ConcurrentPartsOneWins(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	file := randomBytes(t, 100_000)
	path := acme.createUpload(len(file)+1, "")

	conn, r := acme.openPart(path, 0, len(file), file[:10_000])
	waitFor(t, "the first part to be writing", func() bool { return acme.offset(path) == 10_000 })
	acme.patch(path, 10_000, file[10_000:20_000]).problem(http.StatusConflict)
	acme.tus("DELETE", path, nil).problem(http.StatusConflict)

	if _, err := conn.Write(file[10_000:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Upload-Offset") != "100000" {
		t.Fatalf("the first part = %d, Upload-Offset %q; want 204, 100000", res.StatusCode, res.Header.Get("Upload-Offset"))
	}
}

func TestUploads_Refusals(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")

	t.Run("WrongVersionIs412", func(t *testing.T) {
		res := acme.do("POST", "/uploads", nil, "Upload-Length", "10", "Tus-Resumable", "0.2.2")
		res.problem(http.StatusPreconditionFailed)
		if res.header.Get("Tus-Version") != "1.0.0" || res.header.Get("Tus-Resumable") != "1.0.0" {
			t.Errorf("412 headers: %v", res.header)
		}
		path := acme.createUpload(10, "")
		acme.do("HEAD", path, nil).want(http.StatusPreconditionFailed)
		acme.do("PATCH", path, "0123456789", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream").want(http.StatusPreconditionFailed)
		if got := acme.offset(path); got != 0 {
			t.Errorf("a refused part was written: offset %d", got)
		}
	})
	t.Run("OverThePlansFileSizeIs413", func(t *testing.T) {
		limit := domain.PlanFree.Limits().MaxFileBytes
		acme.tus("POST", "/uploads", nil, "Upload-Length", strconv.FormatInt(limit+1, 10)).problem(http.StatusRequestEntityTooLarge)
		acme.tus("POST", "/uploads", nil, "Upload-Length", strconv.FormatInt(limit, 10)).want(http.StatusCreated)
	})
	t.Run("BadCreations", func(t *testing.T) {
		acme.tus("POST", "/uploads", nil).problem(http.StatusBadRequest)
		acme.tus("POST", "/uploads", nil, "Upload-Defer-Length", "1").problem(http.StatusBadRequest)
		acme.tus("POST", "/uploads", nil, "Upload-Length", "0").problem(http.StatusUnprocessableEntity)
		acme.tus("POST", "/uploads", nil, "Upload-Length", "10", "Upload-Metadata", "filename !!!").problem(http.StatusBadRequest)
		acme.tus("POST", "/uploads", nil, "Upload-Length", "10", "Upload-Metadata", meta("alt", strings.Repeat("a", domain.MaxAltRunes+1))).problem(http.StatusUnprocessableEntity)
		acme.tus("POST", "/uploads", nil, "Upload-Length", "10", "Upload-Metadata", meta("filename", "a\x00b")).problem(http.StatusUnprocessableEntity)
	})
	t.Run("UnknownUploadIs404", func(t *testing.T) {
		acme.tus("HEAD", "/uploads/00000000-0000-0000-0000-000000000000", nil).want(http.StatusNotFound)
		acme.tus("HEAD", "/uploads/not-an-id", nil).want(http.StatusNotFound)
		acme.patch("/uploads/not-an-id", 0, []byte("x")).problem(http.StatusNotFound)
	})
	t.Run("WithoutCredentialsIs401", func(t *testing.T) {
		anon := &client{s: s.server}
		anon.tus("POST", "/uploads", nil, "Upload-Length", "10").problem(http.StatusUnauthorized)
	})
	t.Run("OptionsTellTheProtocol", func(t *testing.T) {
		res := acme.do("OPTIONS", "/uploads", nil).want(http.StatusNoContent)
		want := map[string]string{"Tus-Version": "1.0.0", "Tus-Resumable": "1.0.0", "Tus-Extension": "creation,termination,expiration",
			"Tus-Max-Size": strconv.FormatInt(domain.PlanFree.Limits().MaxFileBytes, 10)}
		for h, v := range want {
			if got := res.header.Get(h); got != v {
				t.Errorf("OPTIONS %s = %q, want %q", h, got, v)
			}
		}
	})
}

func TestUploads_OtherCompanysAndPersonsUploadsAreNotFound(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme, rival := s.register("Acme"), s.register("Rival")
	path := acme.createUpload(10, "")
	acme.patch(path, 0, []byte("01234")).want(http.StatusNoContent)

	rival.tus("HEAD", path, nil).want(http.StatusNotFound)
	rival.patch(path, 5, []byte("56789")).problem(http.StatusNotFound)
	rival.tus("DELETE", path, nil).problem(http.StatusNotFound)
	// Naming Acme as the company does not help someone who is not its member.
	rival.tus("HEAD", path, nil, "X-Company-ID", acme.company).want(http.StatusNotFound)
	if got := acme.offset(path); got != 5 {
		t.Fatalf("Acme's offset after Rival's tries = %d, want 5", got)
	}
}

func TestUploads_Termination(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	path := acme.createUpload(10, "")
	acme.patch(path, 0, []byte("01234")).want(http.StatusNoContent)
	spooled := filepath.Join(s.spool, "tus-"+filepath.Base(path))
	if _, err := os.Stat(spooled); err != nil {
		t.Fatal(err)
	}

	acme.tus("DELETE", path, nil).want(http.StatusNoContent)
	acme.tus("HEAD", path, nil).want(http.StatusNotFound)
	acme.patch(path, 5, []byte("56789")).problem(http.StatusNotFound)
	acme.tus("DELETE", path, nil).problem(http.StatusNotFound)
	if _, err := os.Stat(spooled); !os.IsNotExist(err) {
		t.Errorf("the terminated upload's file is still there: %v", err)
	}
}

func TestUploads_ExpireAfterADayAndAreSwept(t *testing.T) {
	t.Parallel()
	clock := apptest.NewClock()
	s := newTusServer(t, apptest.WithClock(clock))
	acme := s.register("Acme")
	path := acme.createUpload(10, "")
	acme.patch(path, 0, []byte("01234")).want(http.StatusNoContent)
	spooled := filepath.Join(s.spool, "tus-"+filepath.Base(path))
	// A file no upload owns (its company was deleted), last written over a day ago.
	orphan := filepath.Join(s.spool, "tus-00000000-0000-0000-0000-000000000000")
	if err := os.WriteFile(orphan, []byte("left"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := clock.Now().Add(-domain.UploadTTL - time.Minute)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}

	clock.Advance(domain.UploadTTL - time.Minute)
	if got := acme.offset(path); got != 5 {
		t.Fatalf("offset a minute before expiry = %d", got)
	}
	clock.Advance(time.Minute)
	acme.tus("HEAD", path, nil).want(http.StatusGone)
	acme.patch(path, 5, []byte("56789")).problem(http.StatusGone)

	n, err := s.Media.SweepUploads(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("SweepUploads = %d, %v; want 1", n, err)
	}
	acme.tus("HEAD", path, nil).want(http.StatusNotFound)
	for _, f := range []string{spooled, orphan} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the sweep: %v", filepath.Base(f), err)
		}
	}
}

func TestUploads_RefusedFileEndsTheUpload(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	path := acme.createUpload(10, meta("filename", "notes.txt"))
	acme.patch(path, 0, []byte("01234")).want(http.StatusNoContent)
	res := acme.patch(path, 5, []byte("56789"))
	res.problem(http.StatusUnsupportedMediaType)
	if res.header.Get("Herald-Media-Id") != "" {
		t.Errorf("a refused file got a media id: %v", res.header)
	}
	acme.tus("HEAD", path, nil).want(http.StatusNotFound)
	if _, err := os.Stat(filepath.Join(s.spool, "tus-"+filepath.Base(path))); !os.IsNotExist(err) {
		t.Errorf("the refused upload's file is still there: %v", err)
	}
}

func TestUploads_CompletionStoresTheFileInTheLibrary(t *testing.T) {
	t.Parallel()
	s := newTusServer(t)
	acme := s.register("Acme")
	file := testJPEG(t, 640, 480)
	path := acme.createUpload(len(file), meta("filename", "team photo.jpg", "alt", "The team at the launch"))
	third := len(file) / 3
	acme.patch(path, 0, file[:third]).want(http.StatusNoContent)
	acme.patch(path, third, file[third:2*third]).want(http.StatusNoContent)
	res := acme.patch(path, 2*third, file[2*third:]).want(http.StatusNoContent)

	id := res.header.Get("Herald-Media-Id")
	if id == "" || res.header.Get("Location") != "/api/v1/media/"+id || res.header.Get("Upload-Offset") != strconv.Itoa(len(file)) {
		t.Fatalf("the last part's answer: %v", res.header)
	}
	m, err := s.Media.Get(context.Background(), acme.actor, domain.MediaID(id))
	if err != nil {
		t.Fatalf("the uploaded file is not in the library: %v", err)
	}
	if m.Name != "team photo.jpg" || m.Alt != "The team at the launch" || m.MIMEType != domain.MIMEJPEG || m.Width != 640 || m.Height != 480 || !m.HasThumb {
		t.Errorf("library file = %+v", m)
	}
	// The upload is over: its address and its spooled bytes are gone.
	acme.tus("HEAD", path, nil).want(http.StatusNotFound)
	acme.patch(path, len(file), []byte{}).problem(http.StatusNotFound)
	if _, err := os.Stat(filepath.Join(s.spool, "tus-"+filepath.Base(path))); !os.IsNotExist(err) {
		t.Errorf("the finished upload's file is still there: %v", err)
	}
}

// testJPEG encodes a w×h JPEG of a gradient.
func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
