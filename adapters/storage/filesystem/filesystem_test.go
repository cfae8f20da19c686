package filesystem_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/storage/filesystem"
	"github.com/heraldhq/herald/adapters/storage/storagetest"
	"github.com/heraldhq/herald/ports"
)

func TestStorage_Conformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) ports.MediaStorage { return newStorage(t, t.TempDir()) })
}

func newStorage(t *testing.T, root string) *filesystem.Storage {
	t.Helper()
	s, err := filesystem.New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestStorage_KeysStayUnderTheRoot(t *testing.T) {
	t.Parallel()
	ctx, dir := context.Background(), t.TempDir()
	root := filepath.Join(dir, "media")
	s := newStorage(t, root)
	if err := s.Put(ctx, "acme/a/b.jpg", strings.NewReader("abc"), 3, "image/jpeg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "acme", "a", "b.jpg"))
	if err != nil || string(b) != "abc" {
		t.Fatalf("the file under the root reads %q, %v; want %q", b, err, "abc")
	}
	if err := s.DeletePrefix(ctx, "acme/"); err != nil {
		t.Fatalf("DeletePrefix: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "acme")); !os.IsNotExist(err) {
		t.Fatalf("the company's directory is still there after DeletePrefix: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("the root went with the company's files: %v", err)
	}
}

func TestStorage_FailedPutLeavesNoTemporaryFile(t *testing.T) {
	t.Parallel()
	ctx, root := context.Background(), t.TempDir()
	s := newStorage(t, root)
	if err := s.Put(ctx, "acme/x.jpg", strings.NewReader("short"), 100, "image/jpeg"); err == nil {
		t.Fatal("Put of 5 bytes announced as 100 succeeded")
	}
	entries, err := os.ReadDir(filepath.Join(root, "acme"))
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestStorage_SignedURLIsEmpty(t *testing.T) {
	t.Parallel()
	u, err := newStorage(t, t.TempDir()).SignedURL(context.Background(), "acme/x.jpg", 0)
	if u != "" || err != nil {
		t.Fatalf("SignedURL = %q, %v; want \"\", nil (Herald serves the bytes)", u, err)
	}
}
