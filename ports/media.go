package ports

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Object is a stored file opened for reading: it seeks (for HTTP range requests) and knows
// its size.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// MediaStorage keeps the bytes of media library files under keys Herald chooses
// (domain.Media.FileKey). Implementations: the file system under HERALD_DATA_DIR, and
// S3-compatible object storage. Keys contain only letters, digits, '-', '.', and '/'.
type MediaStorage interface {
	// Put stores size bytes read from r under key, replacing what was there. A failed Put
	// leaves nothing under key: a reader never sees part of a file.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the object under key, or CodeNotFound.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes the object under key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object whose key starts with prefix (a company's files,
	// see domain.StoragePrefix), however many.
	DeletePrefix(ctx context.Context, prefix string) error
	// SignedURL returns an address where anyone can fetch the object without credentials
	// until ttl has passed, or "" when the storage has no such addresses (the file system:
	// Herald then serves the bytes itself).
	SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// PreparedMedia is what a MediaInspector learned and made of an uploaded file.
type PreparedMedia struct {
	Facts domain.MediaFacts
	// Rewritten says the file to store is out, not in: an image with its EXIF orientation
	// applied or its metadata (location among it) removed.
	Rewritten bool
	// Thumbnail is a JPEG preview of at most ThumbnailSide pixels a side: the image
	// downscaled, or a video's poster frame. Nil when none could be made.
	Thumbnail []byte
}

// ThumbnailSide is the longer side of a preview in pixels.
const ThumbnailSide = 480

// MediaInspector reads uploaded files.
type MediaInspector interface {
	// Prepare sniffs the type of the file in (from its bytes, never its name), reads its
	// facts (pixel size, a video's duration), strips an image's metadata and applies its
	// orientation into out when needed, and makes a preview. CodeUnsupported for a type
	// Herald does not take, CodeInvalid (with a sentence for a person) for a file it
	// cannot read. It holds a bounded amount of memory whatever the file's size.
	Prepare(ctx context.Context, in, out *os.File) (PreparedMedia, error)
}

// MediaLibrary keeps the company's library files' records. A record is pending from
// Reserve (it holds its place in the quota while the bytes are stored) until Complete;
// pending records are invisible to Get, List and Uses.
type MediaLibrary interface {
	// Reserve stores m as pending and sets m.ID, m.Version, m.CreatedAt.
	Reserve(ctx context.Context, m *domain.Media) error
	// Complete makes the pending record visible, or returns CodeNotFound.
	Complete(ctx context.Context, company domain.CompanyID, id domain.MediaID, hasThumb bool, at time.Time) error
	// Get returns the ready file, or CodeNotFound.
	Get(ctx context.Context, company domain.CompanyID, id domain.MediaID) (domain.Media, error)
	// GetMany returns the ready files among ids; absent ones are missing from the map.
	GetMany(ctx context.Context, company domain.CompanyID, ids []domain.MediaID) (map[domain.MediaID]domain.Media, error)
	// List returns one page of the company's ready files matching f, newest first, and the
	// next page's cursor ("" on the last). A malformed cursor is CodeInvalid.
	List(ctx context.Context, company domain.CompanyID, f domain.MediaFilter, p Page) ([]domain.Media, string, error)
	// SetAlt writes m.Alt when the stored version is m.Version and bumps it (m.Version and
	// m.UpdatedAt are set); CodeStale when the version moved, CodeNotFound when absent.
	SetAlt(ctx context.Context, m *domain.Media) error
	// Delete removes the record (ready or pending), or returns CodeNotFound, and takes the
	// file out of every post that is not yet published.
	Delete(ctx context.Context, company domain.CompanyID, id domain.MediaID) error
	// Uses returns the posts that use the file, newest first, at most limit.
	Uses(ctx context.Context, company domain.CompanyID, id domain.MediaID, limit int) ([]domain.MediaUse, error)
	// UsedBytes is the size of every record of the company, pending ones included.
	UsedBytes(ctx context.Context, company domain.CompanyID) (int64, error)
	// Stale returns up to limit pending records of every company reserved before before:
	// uploads that ended without Complete, for the sweeper to delete with their bytes.
	Stale(ctx context.Context, before time.Time, limit int) ([]domain.Media, error)
}

// MaxStorageKey is S3's limit on a key's length, kept by every MediaStorage so a key that
// works in one works in the other.
const MaxStorageKey = 1024

// CheckStorageKey returns CodeInvalid unless key is one MediaStorage takes: letters, digits,
// '-', '.' and '/' in non-empty parts that do not start with '.' (so no key escapes a
// directory or names an implementation's temporary file), at most MaxStorageKey bytes. With
// prefix, a trailing '/' is allowed (DeletePrefix's argument).
func CheckStorageKey(key string, prefix bool) error {
	bad := &domain.Error{Code: domain.CodeInvalid, Message: "The storage key is not valid: it takes letters, digits, '-', '.' and '/' in non-empty parts that do not start with '.'.",
		Err: fmt.Errorf("bad storage key %q", key)}
	if key == "" || len(key) > MaxStorageKey || (!prefix && strings.HasSuffix(key, "/")) {
		return bad
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/') {
			return bad
		}
	}
	for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		if seg == "" || seg[0] == '.' {
			return bad
		}
	}
	return nil
}
