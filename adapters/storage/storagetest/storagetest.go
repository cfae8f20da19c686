// Package storagetest is the conformance suite every ports.MediaStorage passes: the file
// system and S3 adapters run it from their tests, so both behave the same to the app.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// LargeSize is the size of the object the suite streams through the storage, above
// minio-go's 16 MiB part so S3 uploads it in several parts.
const LargeSize = 40 << 20

// Run checks the behaviour ports.MediaStorage promises. newStorage returns a storage for
// one subtest; it may share a backend between calls (every subtest uses its own keys) but
// must not share one with other users of the same prefixes.
func Run(t *testing.T, newStorage func(t *testing.T) ports.MediaStorage) {
	t.Helper()

	t.Run("PutThenOpenReadsTheBytesBack", func(t *testing.T) {
		t.Parallel()
		s := newStorage(t)
		want := randomBytes(1, 10_000)
		put(t, s, "acme/put-open.jpg", want)

		obj := open(t, s, "acme/put-open.jpg")
		if obj.Size() != int64(len(want)) {
			t.Errorf("Size = %d, want %d", obj.Size(), len(want))
		}
		if obj.ModTime().IsZero() {
			t.Error("ModTime is zero")
		}
		got, err := io.ReadAll(obj)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read back %d bytes that differ from the %d put", len(got), len(want))
		}
	})

	t.Run("OpenedObjectSeeks", func(t *testing.T) {
		t.Parallel()
		s := newStorage(t)
		want := randomBytes(2, 5000)
		put(t, s, "acme/seek.mp4", want)
		obj := open(t, s, "acme/seek.mp4")

		for _, c := range []struct {
			offset int64
			whence int
			at     int64
		}{{4000, io.SeekStart, 4000}, {-100, io.SeekEnd, 4900}, {0, io.SeekStart, 0}, {1234, io.SeekStart, 1234}} {
			pos, err := obj.Seek(c.offset, c.whence)
			if err != nil || pos != c.at {
				t.Fatalf("Seek(%d, %d) = %d, %v; want %d", c.offset, c.whence, pos, err, c.at)
			}
			got := make([]byte, 50)
			if _, err := io.ReadFull(obj, got); err != nil {
				t.Fatalf("read 50 bytes at %d: %v", c.at, err)
			}
			if !bytes.Equal(got, want[c.at:c.at+50]) {
				t.Fatalf("50 bytes at %d differ from what was put", c.at)
			}
		}
	})

	t.Run("PutReplacesTheObject", func(t *testing.T) {
		t.Parallel()
		s := newStorage(t)
		put(t, s, "acme/replace.png", []byte("the first version, longer than the second"))
		put(t, s, "acme/replace.png", []byte("second"))
		if got := readAll(t, s, "acme/replace.png"); got != "second" {
			t.Fatalf("after replacing, read %q, want %q", got, "second")
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		t.Parallel()
		s := newStorage(t)
		put(t, s, "acme/empty.gif", nil)
		if got := readAll(t, s, "acme/empty.gif"); got != "" {
			t.Fatalf("read %q, want nothing", got)
		}
	})

	t.Run("MissingKeyIsNotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		put(t, s, "acme/dir/present.jpg", []byte("x"))
		for _, key := range []string{"acme/missing.jpg", "nobody/missing.jpg", "acme/dir"} {
			obj, err := s.Open(ctx, key)
			if got := domain.CodeOf(err); got != domain.CodeNotFound {
				if obj != nil {
					obj.Close()
				}
				t.Errorf("CodeOf(Open(%q)) = %q, want %q; err = %v", key, got, domain.CodeNotFound, err)
			}
		}
	})

	t.Run("DeleteIsIdempotent", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		put(t, s, "acme/delete.jpg", []byte("bytes"))
		for i := range 2 {
			if err := s.Delete(ctx, "acme/delete.jpg"); err != nil {
				t.Fatalf("Delete #%d: %v", i+1, err)
			}
		}
		if err := s.Delete(ctx, "acme/never-there.jpg"); err != nil {
			t.Fatalf("Delete of an absent key: %v", err)
		}
		requireNotFound(t, s, "acme/delete.jpg")
	})

	t.Run("DeletePrefixRemovesOnlyThatPrefix", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		acme := domain.StoragePrefix("11111111-aaaa-4aaa-8aaa-111111111111")
		rival := domain.StoragePrefix("11111111-aaaa-4aaa-8aaa-111111111112") // shares all but the last character
		var acmeKeys []string
		for i := range 25 {
			acmeKeys = append(acmeKeys, fmt.Sprintf("%sm%02d.jpg", acme, i))
		}
		acmeKeys = append(acmeKeys, acme+"nested/deeper/file.mp4", acme+"m00.thumb.jpg")
		rivalKeys := []string{rival + "m00.jpg", rival + "nested/file.mp4"}
		for _, k := range append(append([]string{}, acmeKeys...), rivalKeys...) {
			put(t, s, k, []byte(k))
		}

		if err := s.DeletePrefix(ctx, acme); err != nil {
			t.Fatalf("DeletePrefix(%q): %v", acme, err)
		}
		for _, k := range acmeKeys {
			requireNotFound(t, s, k)
		}
		for _, k := range rivalKeys {
			if got := readAll(t, s, k); got != k {
				t.Errorf("the other company's %s reads %q after DeletePrefix, want %q", k, got, k)
			}
		}
		if err := s.DeletePrefix(ctx, acme); err != nil {
			t.Fatalf("DeletePrefix of an empty prefix: %v", err)
		}
	})

	t.Run("DeletePrefixWithinAName", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		put(t, s, "acme/12.jpg", []byte("a"))
		put(t, s, "acme/12.thumb.jpg", []byte("b"))
		put(t, s, "acme/123.jpg", []byte("c"))
		put(t, s, "acme/2.jpg", []byte("d"))
		if err := s.DeletePrefix(ctx, "acme/12."); err != nil {
			t.Fatalf("DeletePrefix: %v", err)
		}
		requireNotFound(t, s, "acme/12.jpg")
		requireNotFound(t, s, "acme/12.thumb.jpg")
		if got := readAll(t, s, "acme/123.jpg") + readAll(t, s, "acme/2.jpg"); got != "cd" {
			t.Fatalf("the other files read %q, want %q", got, "cd")
		}
	})

	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		broken := errors.New("the connection dropped")
		err := s.Put(ctx, "acme/failed.jpg", failingReader(3, 5000, broken), 10_000, "image/jpeg")
		if err == nil {
			t.Fatal("Put with a reader failing midway succeeded")
		}
		requireNotFound(t, s, "acme/failed.jpg")

		err = s.Put(ctx, "acme/short.jpg", bytes.NewReader(make([]byte, 100)), 200, "image/jpeg")
		if err == nil {
			t.Fatal("Put with a reader shorter than size succeeded")
		}
		requireNotFound(t, s, "acme/short.jpg")
	})

	t.Run("FailedReplaceKeepsTheOldObject", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		put(t, s, "acme/keep.jpg", []byte("the old bytes"))
		err := s.Put(ctx, "acme/keep.jpg", failingReader(4, 5000, errors.New("cancelled")), 10_000, "image/jpeg")
		if err == nil {
			t.Fatal("Put with a reader failing midway succeeded")
		}
		if got := readAll(t, s, "acme/keep.jpg"); got != "the old bytes" {
			t.Fatalf("after a failed replace, read %q, want the old bytes", got)
		}
	})

	t.Run("FailedLargePutLeavesNothing", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		// Failing after 20 MiB: S3 has sent at least one part of a multipart upload.
		err := s.Put(ctx, "acme/failed-large.mp4", failingReader(5, 20<<20, errors.New("gone")), LargeSize, "video/mp4")
		if err == nil {
			t.Fatal("Put with a reader failing midway succeeded")
		}
		requireNotFound(t, s, "acme/failed-large.mp4")
	})

	t.Run("LargeObjectRoundTrips", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		sum := sha256.New()
		src := io.TeeReader(io.LimitReader(rand.NewChaCha8(seed(6)), LargeSize), sum)
		if err := s.Put(ctx, "acme/large.mp4", src, LargeSize, "video/mp4"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		obj := open(t, s, "acme/large.mp4")
		if obj.Size() != LargeSize {
			t.Fatalf("Size = %d, want %d", obj.Size(), LargeSize)
		}
		got := sha256.New()
		if n, err := io.Copy(got, obj); err != nil || n != LargeSize {
			t.Fatalf("read %d bytes, %v; want %d", n, err, LargeSize)
		}
		if !bytes.Equal(got.Sum(nil), sum.Sum(nil)) {
			t.Fatal("the large object read back has another SHA-256 than the one put")
		}
	})

	t.Run("BadKeysAreRefused", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		bad := []string{"", "/acme/x.jpg", "../x.jpg", "acme/../x.jpg", "acme/..", "acme//x.jpg", "acme/",
			"acme/x y.jpg", `acme\x.jpg`, "acme/é.jpg", "acme/.hidden", ".", "acme/x.jpg?a=b", "acme/%2e%2e", strings.Repeat("a", 1025)}
		for _, key := range bad {
			checks := map[string]error{
				"Put":    s.Put(ctx, key, strings.NewReader("x"), 1, "image/jpeg"),
				"Delete": s.Delete(ctx, key),
			}
			obj, err := s.Open(ctx, key)
			if obj != nil {
				obj.Close()
			}
			checks["Open"] = err
			_, checks["SignedURL"] = s.SignedURL(ctx, key, time.Minute)
			for op, err := range checks {
				if got := domain.CodeOf(err); got != domain.CodeInvalid {
					t.Errorf("CodeOf(%s(%q)) = %q, want %q; err = %v", op, key, got, domain.CodeInvalid, err)
				}
			}
		}
		for _, prefix := range []string{"", "/", "../", "acme/../", "/acme/"} {
			if got := domain.CodeOf(s.DeletePrefix(ctx, prefix)); got != domain.CodeInvalid {
				t.Errorf("CodeOf(DeletePrefix(%q)) = %q, want %q", prefix, got, domain.CodeInvalid)
			}
		}
		if got := domain.CodeOf(s.Put(ctx, "acme/negative.jpg", strings.NewReader(""), -1, "image/jpeg")); got != domain.CodeInvalid {
			t.Errorf("CodeOf(Put with size -1) = %q, want %q", got, domain.CodeInvalid)
		}
	})

	t.Run("ParallelPuts", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		const n = 8
		contents := make([][]byte, n)
		for i := range contents {
			contents[i] = randomBytes(uint64(100+i), 200_000+i)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2*n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.Put(ctx, fmt.Sprintf("acme/parallel-%d.jpg", i), bytes.NewReader(contents[i]), int64(len(contents[i])), "image/jpeg")
			})
			wg.Go(func() {
				errs[n+i] = s.Put(ctx, "acme/parallel-same.jpg", bytes.NewReader(contents[i]), int64(len(contents[i])), "image/jpeg")
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("parallel Puts: %v", err)
		}
		for i := range n {
			if got := readAll(t, s, fmt.Sprintf("acme/parallel-%d.jpg", i)); got != string(contents[i]) {
				t.Errorf("acme/parallel-%d.jpg reads %d bytes that differ from its %d", i, len(got), len(contents[i]))
			}
		}
		same := readAll(t, s, "acme/parallel-same.jpg")
		whole := false
		for _, c := range contents {
			whole = whole || same == string(c)
		}
		if !whole {
			t.Errorf("the key written by %d Puts at once reads %d bytes equal to none of them", n, len(same))
		}
	})

	t.Run("SignedURLFetchesTheObjectUntilItExpires", func(t *testing.T) {
		t.Parallel()
		ctx, s := context.Background(), newStorage(t)
		want := randomBytes(7, 3000)
		put(t, s, "acme/signed.jpg", want)
		u, err := s.SignedURL(ctx, "acme/signed.jpg", time.Hour)
		if err != nil {
			t.Fatalf("SignedURL: %v", err)
		}
		if u == "" {
			t.Skip("this storage has no signed URLs (Herald serves the bytes)")
		}
		status, body := get(t, u)
		if status != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("GET the signed URL: %d with %d bytes, want 200 with the %d put", status, len(body), len(want))
		}
		// The signature covers the key: the same URL for another key is refused.
		put(t, s, "acme/signed-other.jpg", []byte("secret"))
		other := strings.Replace(u, "signed.jpg", "signed-other.jpg", 1)
		if status, _ := get(t, other); status == http.StatusOK {
			t.Fatalf("GET a signed URL edited to name another key answered 200")
		}

		short, err := s.SignedURL(ctx, "acme/signed.jpg", time.Second)
		if err != nil {
			t.Fatalf("SignedURL(1s): %v", err)
		}
		// Wait for the second to pass, with a generous deadline for a slow machine.
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, _ := get(t, short)
			if status == http.StatusForbidden {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a URL signed for 1s still answers %d after 30s", status)
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
}

func put(t *testing.T, s ports.MediaStorage, key string, b []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), "application/octet-stream"); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func open(t *testing.T, s ports.MediaStorage, key string) ports.Object {
	t.Helper()
	obj, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	t.Cleanup(func() { obj.Close() })
	return obj
}

func readAll(t *testing.T, s ports.MediaStorage, key string) string {
	t.Helper()
	obj := open(t, s, key)
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(b)
}

func requireNotFound(t *testing.T, s ports.MediaStorage, key string) {
	t.Helper()
	obj, err := s.Open(context.Background(), key)
	if obj != nil {
		obj.Close()
	}
	if got := domain.CodeOf(err); got != domain.CodeNotFound {
		t.Fatalf("CodeOf(Open(%q)) = %q, want %q; err = %v", key, got, domain.CodeNotFound, err)
	}
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", u, err)
	}
	return resp.StatusCode, b
}

func seed(n uint64) [32]byte {
	var s [32]byte
	s[0] = byte(n)
	s[1] = byte(n >> 8)
	return s
}

func randomBytes(n uint64, size int) []byte {
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(seed(n)).Read(b)
	return b
}

// failingReader yields after pseudo-random bytes, then err: an upload whose connection
// drops midway.
func failingReader(n uint64, after int64, err error) io.Reader {
	return io.MultiReader(io.LimitReader(rand.NewChaCha8(seed(n)), after), errReader{err})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
