// Package s3 keeps media library files in S3-compatible object storage (AWS S3, Cloudflare
// R2, Backblaze B2, SeaweedFS, Garage, ...) through minio-go. It implements
// ports.MediaStorage and imports only domain and ports.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// PartSize is the size of one part of a multipart upload, and so the memory one upload
// holds: minio-go buffers one part at a time from a plain reader. 16 MiB parts carry a
// 4 GB video in 256 parts (S3 allows 10,000, so objects up to 156 GiB) with 16 MiB of
// memory, where an unknown size would make minio-go pick parts of over 500 MiB.
const PartSize = 16 << 20

// Config says where the bucket is and how to reach it.
type Config struct {
	// Endpoint is the server's URL, http or https, without a path, such as
	// https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:8333.
	Endpoint string
	Bucket   string
	// Region is the bucket's region; empty lets the client ask the server.
	Region    string
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key), as most
	// self-hosted servers want, instead of in the host name (bucket.endpoint/key).
	PathStyle bool
	// Prefix, when set, is put before every key so Herald can share a bucket; a
	// trailing '/' is added when missing.
	Prefix string
}

// String describes the configuration with the secret key hidden, so printing a Config
// (%v, %+v) never shows it.
func (c Config) String() string {
	secret := ""
	if c.SecretKey != "" {
		secret = "[hidden]"
	}
	return fmt.Sprintf("{Endpoint:%s Bucket:%s Region:%s AccessKey:%s SecretKey:%s PathStyle:%t Prefix:%s}",
		c.Endpoint, c.Bucket, c.Region, c.AccessKey, secret, c.PathStyle, c.Prefix)
}

// LogValue is String for log/slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Storage stores each key as an object of the bucket, under the configured prefix.
type Storage struct {
	client   *minio.Client
	bucket   string
	prefix   string
	endpoint string
}

var _ ports.MediaStorage = (*Storage)(nil)

// New returns a storage for cfg, or an error naming the setting that is wrong. It does not
// contact the server: call Check for that.
func New(cfg Config) (*Storage, error) {
	var errs []error
	u, err := url.Parse(cfg.Endpoint)
	switch {
	case cfg.Endpoint == "":
		errs = append(errs, errors.New("the endpoint is missing (such as https://s3.eu-west-1.amazonaws.com)"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("the endpoint %q is not an http(s) URL such as https://s3.eu-west-1.amazonaws.com", cfg.Endpoint))
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil:
		errs = append(errs, fmt.Errorf("the endpoint %q must be a scheme and host only, without a path, query or user", cfg.Endpoint))
	}
	if cfg.Bucket == "" {
		errs = append(errs, errors.New("the bucket is missing"))
	}
	if cfg.AccessKey == "" {
		errs = append(errs, errors.New("the access key is missing"))
	}
	if cfg.SecretKey == "" {
		errs = append(errs, errors.New("the secret key is missing"))
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if ports.CheckStorageKey(prefix+"/", true) != nil {
			errs = append(errs, fmt.Errorf("the prefix %q may hold only letters, digits, '-', '.' and '/' in parts that do not start with '.'", cfg.Prefix))
		}
		prefix += "/"
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("s3 storage: %w", errors.Join(errs...))
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 storage: endpoint %s: %w", u.Host, err)
	}
	return &Storage{client: client, bucket: cfg.Bucket, prefix: prefix, endpoint: u.Scheme + "://" + u.Host}, nil
}

// Check makes sure the bucket exists and the credentials may list it, so a wrong
// configuration stops Herald at start instead of failing the first upload. The error
// says what is wrong in a sentence for the operator, never with the secret key.
func (s *Storage) Check(ctx context.Context) error {
	where := fmt.Sprintf("bucket %q at %s", s.bucket, s.endpoint)
	// Cancelling stops the listing once its first answer is in.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	obj, ok := <-s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, MaxKeys: 1})
	if !ok || obj.Err == nil {
		return nil // an empty bucket, or a first object: it exists and the keys work
	}
	var resp minio.ErrorResponse
	if !errors.As(obj.Err, &resp) || resp.Code == "" {
		return fmt.Errorf("s3 storage: cannot reach %s: %w", where, obj.Err)
	}
	switch resp.Code {
	case minio.NoSuchBucket:
		return fmt.Errorf("s3 storage: the %s does not exist; create it, or correct HERALD_S3_BUCKET", where)
	case minio.InvalidAccessKeyID:
		return fmt.Errorf("s3 storage: the server of the %s does not know the access key; check HERALD_S3_ACCESS_KEY", where)
	case "SignatureDoesNotMatch":
		return fmt.Errorf("s3 storage: the server of the %s refused the signature: the secret key does not match the access key (check HERALD_S3_SECRET_KEY), or HERALD_S3_REGION is wrong", where)
	case minio.AccessDenied:
		return fmt.Errorf("s3 storage: the access key may not list the %s; it needs to list, read, write and delete objects", where)
	case "AuthorizationHeaderMalformed", "InvalidRegion":
		return fmt.Errorf("s3 storage: the %s is in another region than HERALD_S3_REGION (%s)", where, resp.Message)
	}
	return fmt.Errorf("s3 storage: the %s answered %s: %s", where, resp.Code, resp.Message)
}

// Put streams size bytes from r into the object under key, in parts of PartSize when
// it is larger. S3 makes an object visible only once all of it is stored, and minio-go
// aborts a multipart upload that fails, so a failed Put leaves the old object or none.
// CodeInvalid for a bad key or a negative size.
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return err
	}
	if size < 0 {
		return domain.Errorf(domain.CodeInvalid, "The file's size is unknown.")
	}
	// Hiding io.ReaderAt keeps minio-go on its sequential path, one part in memory, even
	// for an *os.File (its ReaderAt path uploads several parts at once).
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, struct{ io.Reader }{r}, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    PartSize,
	})
	if err != nil {
		return s.translate("put", key, err)
	}
	return nil
}

// Open returns the object under key, which seeks by reading from the new offset with a
// range request, CodeNotFound when there is none, CodeInvalid for a bad key.
func (s *Storage) Open(ctx context.Context, key string) (ports.Object, error) {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.translate("open", key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, s.translate("open", key, err)
	}
	return object{Object: obj, size: info.Size, modTime: info.LastModified}, nil
}

// Delete removes the object under key; S3 answers success for an absent one.
// CodeInvalid for a bad key.
func (s *Storage) Delete(ctx context.Context, key string) error {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return s.translate("delete", key, err)
	}
	return nil
}

// DeletePrefix lists the objects under prefix and removes them in batches of up to
// 1,000 (one DeleteObjects request each), however many there are. CodeInvalid for an
// empty or bad prefix, so a mistake can never empty the bucket.
func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if err := ports.CheckStorageKey(prefix, true); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var listErr error
	keys, listed := make(chan minio.ObjectInfo), make(chan struct{})
	go func() {
		defer close(listed)
		defer close(keys)
		for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if obj.Err != nil {
				listErr = obj.Err
				return
			}
			select {
			case keys <- obj:
			case <-ctx.Done():
				return
			}
		}
	}()
	var errs []error
	for res := range s.client.RemoveObjectsWithResult(ctx, s.bucket, keys, minio.RemoveObjectsOptions{}) {
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", res.ObjectName, res.Err))
		}
	}
	// Should removal stop early, the lister must not wait on keys forever.
	cancel()
	<-listed
	if listErr != nil {
		errs = append(errs, listErr)
	}
	if len(errs) > 0 {
		return fmt.Errorf("s3 storage: delete prefix %s: %w", prefix, errors.Join(errs...))
	}
	return nil
}

// SignedURL returns a presigned GET URL of the object under key valid for ttl (S3 takes
// from one second to seven days). It does not check that the object exists. CodeInvalid
// for a bad key or ttl.
func (s *Storage) SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ports.CheckStorageKey(key, false); err != nil {
		return "", err
	}
	if ttl < time.Second || ttl > 7*24*time.Hour {
		return "", domain.Errorf(domain.CodeInvalid, "A signed URL lasts from one second to seven days.")
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.prefix+key, ttl, nil)
	if err != nil {
		return "", s.translate("sign", key, err)
	}
	return u.String(), nil
}

// translate turns a missing object into CodeNotFound and an unreachable server into
// CodeUnavailable; anything else stays an internal error with its cause for the log.
func (s *Storage) translate(op, key string, err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == minio.NoSuchKey || resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket) {
		return &domain.Error{Code: domain.CodeNotFound, Message: "The file is not in storage.", Err: fmt.Errorf("s3 storage: %s %s: %w", op, key, err)}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return &domain.Error{Code: domain.CodeUnavailable, Message: "The file storage cannot be reached; please try again in a moment.", Err: fmt.Errorf("s3 storage: %s %s: %w", op, key, err)}
	}
	return fmt.Errorf("s3 storage: %s %s: %w", op, key, err)
}

// object is an open S3 object with the size and time Stat gave.
type object struct {
	*minio.Object
	size    int64
	modTime time.Time
}

// Size returns the object's length in bytes.
func (o object) Size() int64 { return o.size }

// ModTime returns when the object was stored.
func (o object) ModTime() time.Time { return o.modTime }
