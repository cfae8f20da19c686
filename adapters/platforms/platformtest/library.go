package platformtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Library stands in for Herald's media library in tests: each file it holds is published
// as a ports.PublicationMedia whose Open streams the bytes and whose URL is a signed,
// expiring-looking address without a file extension (as Herald's are), served by an
// httptest server that counts the fetches.
type Library struct {
	srv *httptest.Server

	mu      sync.Mutex
	files   map[string]func() io.Reader // path -> a new reader of the file's bytes
	fetches map[string]int              // path -> GETs answered
	opens   map[string]int              // path -> Open calls
}

// NewLibrary starts a library; its server stops when the test ends.
func NewLibrary(t testing.TB) *Library {
	l := &Library{files: map[string]func() io.Reader{}, fetches: map[string]int{}, opens: map[string]int{}}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(l.srv.Close)
	return l
}

// serve answers a file's bytes at its path, whatever the signature (the signed-URL check is
// Herald's, not the platform's).
func (l *Library) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	open, ok := l.files[r.URL.Path]
	if ok {
		l.fetches[r.URL.Path]++
	}
	l.mu.Unlock()
	if !ok || r.URL.Query().Get("signature") == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, open())
}

// File is one library file as the test sees it: the media to publish, and the SHA-256 (hex)
// of its bytes, which the platform must end up with.
type File struct {
	Media  ports.PublicationMedia
	SHA256 string
}

// Add holds data as a file of kind and returns it.
func (l *Library) Add(kind domain.MediaKind, mimeType, name, alt string, data []byte) File {
	sum := sha256.Sum256(data)
	return l.add(kind, mimeType, name, alt, int64(len(data)), hex.EncodeToString(sum[:]), func() io.Reader { return bytes.NewReader(data) })
}

// AddGenerated holds a file of size bytes that exists only as a stream, generated from seed
// as it is read, so a test can publish a file far larger than it would want in memory.
func (l *Library) AddGenerated(kind domain.MediaKind, mimeType, name string, size int64, seed uint64) File {
	open := func() io.Reader { return io.LimitReader(&generated{seed: seed}, size) }
	h := sha256.New()
	if _, err := io.Copy(h, open()); err != nil {
		panic(err) // generated never fails
	}
	return l.add(kind, mimeType, name, "", size, hex.EncodeToString(h.Sum(nil)), open)
}

func (l *Library) add(kind domain.MediaKind, mimeType, name, alt string, size int64, sum string, open func() io.Reader) File {
	path := "/media/" + strings.ToLower(rand.Text())
	l.mu.Lock()
	l.files[path] = open
	l.mu.Unlock()
	m := ports.PublicationMedia{
		Kind: kind, MIMEType: mimeType, Size: size, Name: name, Alt: alt,
		URL: l.srv.URL + path + "?expires=" + strconv.Itoa(1<<31-1) + "&signature=" + strings.ToLower(rand.Text()),
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			l.mu.Lock()
			l.opens[path]++
			l.mu.Unlock()
			return io.NopCloser(open()), nil
		},
	}
	return File{Media: m, SHA256: sum}
}

// Fetches returns how many times the file at the media's URL was fetched.
func (l *Library) Fetches(m ports.PublicationMedia) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fetches[pathOf(m.URL)]
}

// Opens returns how many times the media's bytes were streamed through Open.
func (l *Library) Opens(m ports.PublicationMedia) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opens[pathOf(m.URL)]
}

func pathOf(rawURL string) string {
	rest, _, _ := strings.Cut(rawURL, "?")
	if i := strings.Index(rest, "/media/"); i >= 0 {
		return rest[i:]
	}
	return rest
}

// generated is an endless deterministic stream of SplitMix64 output: no stretch repeats, so
// a chunk sent twice, dropped or misplaced changes the digest.
type generated struct {
	seed  uint64
	state uint64
	n     uint64 // bytes produced
	buf   [8]byte
	off   int
}

func (g *generated) Read(p []byte) (int, error) {
	i := 0
	for i < len(p) {
		if g.off == 8 || g.n == 0 {
			g.next()
		}
		if g.off == 0 && len(p)-i >= 8 {
			copy(p[i:i+8], g.buf[:])
			g.off, g.n, i = 8, g.n+8, i+8
			continue
		}
		p[i] = g.buf[g.off]
		g.off++
		g.n++
		i++
	}
	return len(p), nil
}

// next computes the next 8 bytes (SplitMix64).
func (g *generated) next() {
	if g.n == 0 && g.state == 0 {
		g.state = g.seed
	}
	g.state += 0x9e3779b97f4a7c15
	z := g.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	binary.LittleEndian.PutUint64(g.buf[:], z^(z>>31))
	g.off = 0
}

// Received is what a platform got of one media item of a post.
type Received struct {
	// SHA256 is the hex digest of the bytes the platform has: those uploaded to it, or those
	// it fetched from the address it was given.
	SHA256 string
	// Alt is the alt text the platform got for the item; "" for none.
	Alt string
}

// DigestOf fetches rawURL the way a platform pulls media and returns the SHA-256 (hex) of
// what it answered, for fakes whose platform fetches media by address.
func DigestOf(rawURL string) (string, error) {
	resp, err := http.Get(rawURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
