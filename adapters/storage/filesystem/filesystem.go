// Package filesystem keeps media library files under a directory on the local disk
// (Herald passes $HERALD_DATA_DIR/media). It implements ports.MediaStorage and imports
// only domain and ports.
package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// tempPrefix starts the name of a file being written. Keys cannot have a segment starting
// with '.', so a temporary file is never mistaken for a stored one.
const tempPrefix = ".put-"

// Storage stores each key as a file under its root directory, the key's slashes being
// subdirectories.
type Storage struct {
	root string
}

var _ ports.MediaStorage = (*Storage)(nil)

// New returns a storage under root, creating the directory when it is missing, or an
// error when it cannot be created.
func New(root string) (*Storage, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("filesystem storage: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("filesystem storage: create %s: %w", abs, err)
	}
	return &Storage{root: abs}, nil
}

// Put writes the bytes to a temporary file beside the final one, syncs it to disk and
// renames it over the key, so a reader sees the old file or the whole new one and a
// crash never leaves part of a file under the key. CodeInvalid for a bad key or a
// negative size; an error when r ends before size bytes or fails.
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return err
	}
	if size < 0 {
		return domain.Errorf(domain.CodeInvalid, "The file's size is unknown.")
	}
	final := s.path(key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("filesystem storage: put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("filesystem storage: put %s: %w", key, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := io.CopyN(tmp, ctxReader{ctx: ctx, r: r}, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: got %d of %d bytes", io.ErrUnexpectedEOF, n, size)
		}
		return fmt.Errorf("filesystem storage: put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("filesystem storage: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("filesystem storage: put %s: close: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("filesystem storage: put %s: %w", key, err)
	}
	done = true
	// The rename is durable only once the directory itself is synced.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("filesystem storage: put %s: sync directory: %w", key, err)
	}
	return nil
}

// Open returns the file under key, CodeNotFound when there is none, CodeInvalid for a
// bad key.
func (s *Storage) Open(ctx context.Context, key string) (ports.Object, error) {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("filesystem storage: open %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("filesystem storage: open %s: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		// A directory is a prefix of other keys, not an object.
		_ = f.Close()
		return nil, notFound(key)
	}
	return object{File: f, size: info.Size(), modTime: info.ModTime()}, nil
}

// Delete removes the file under key; an absent one is not an error. CodeInvalid for a
// bad key.
func (s *Storage) Delete(ctx context.Context, key string) error {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return err
	}
	p := s.path(key)
	if info, err := os.Lstat(p); err == nil && info.IsDir() {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filesystem storage: delete %s: %w", key, err)
	}
	return nil
}

// DeletePrefix removes every file whose key starts with prefix: a company's prefix
// ("<company>/") is its whole subtree. CodeInvalid for an empty or bad prefix, so a
// mistake can never empty the whole storage.
func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if err := ports.CheckStorageKey(prefix, true); err != nil {
		return err
	}
	if strings.HasSuffix(prefix, "/") {
		if err := os.RemoveAll(s.path(strings.TrimSuffix(prefix, "/"))); err != nil {
			return fmt.Errorf("filesystem storage: delete prefix %s: %w", prefix, err)
		}
		return nil
	}
	// A prefix ending inside a name ("acme/12") matches the entries of its directory
	// whose names start with its last part.
	dir, base := filepath.Split(s.path(prefix))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("filesystem storage: delete prefix %s: %w", prefix, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), base) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("filesystem storage: delete prefix %s: %w", prefix, err)
			}
		}
	}
	return nil
}

// SignedURL returns "": files on the local disk have no address of their own, Herald
// serves their bytes. CodeInvalid for a bad key.
func (s *Storage) SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return "", ports.CheckStorageKey(key, false)
}

// path is the file of key; validKey has made sure it stays under the root.
func (s *Storage) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// object is an open file with the size and time it had when opened.
type object struct {
	*os.File
	size    int64
	modTime time.Time
}

// Size returns the file's length in bytes.
func (o object) Size() int64 { return o.size }

// ModTime returns when the file was last written.
func (o object) ModTime() time.Time { return o.modTime }

// ctxReader stops a long copy once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func notFound(key string) error {
	return &domain.Error{Code: domain.CodeNotFound, Message: "The file is not in storage.", Err: fmt.Errorf("no file %s", key)}
}
