package s3_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/adapters/storage/s3/s3test"
	"github.com/heraldhq/herald/adapters/storage/storagetest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestStorage runs everything against one weed server: starting it is the slow part.
func TestStorage(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	t.Logf("weed served S3 after %s, holding %d MiB", srv.Started, srv.PeakRSS()>>20)
	t.Cleanup(func() { t.Logf("weed's peak memory (VmHWM): %d MiB", srv.PeakRSS()>>20) })

	var n atomic.Int64
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		storagetest.Run(t, func(t *testing.T) ports.MediaStorage {
			// Each subtest gets its own prefix, so they share the bucket without meeting.
			cfg := srv.Config
			cfg.Prefix = fmt.Sprintf("conformance-%d/", n.Add(1))
			return newStorage(t, cfg)
		})
	})

	t.Run("CheckPassesWithTheRightConfiguration", func(t *testing.T) {
		t.Parallel()
		if err := newStorage(t, srv.Config).Check(context.Background()); err != nil {
			t.Fatalf("Check: %v", err)
		}
	})

	// Each wrong setting is named in Check's error, which never carries the secret key.
	for _, tc := range []struct {
		name   string
		change func(*s3.Config)
		want   []string
	}{
		{"CheckSaysTheSecretKeyIsWrong", func(c *s3.Config) { c.SecretKey = "not-the-secret-key-at-all-0123456789" }, []string{"secret key"}},
		{"CheckSaysTheAccessKeyIsUnknown", func(c *s3.Config) { c.AccessKey = "nobody" }, []string{"access key"}},
		{"CheckSaysTheBucketIsMissing", func(c *s3.Config) { c.Bucket = "no-such-bucket" }, []string{`bucket "no-such-bucket"`, "does not exist"}},
		{"CheckSaysTheServerIsUnreachable", func(c *s3.Config) { c.Endpoint = "http://127.0.0.1:1" }, []string{"cannot reach"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := srv.Config
			tc.change(&cfg)
			err := newStorage(t, cfg).Check(context.Background())
			if err == nil {
				t.Fatal("Check passed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %q; want it to say %q", err, w)
				}
			}
			requireNoSecret(t, err, cfg.SecretKey)
		})
	}

	t.Run("DeletePrefixRemovesMoreThanOneBatch", func(t *testing.T) {
		t.Parallel()
		// S3 lists and deletes at most 1,000 keys a request.
		ctx, cfg := context.Background(), srv.Config
		cfg.Prefix = "batches"
		s := newStorage(t, cfg)
		const n = 1050
		keys := make(chan string)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 8 {
			wg.Go(func() {
				for k := range keys {
					if err := s.Put(ctx, k, strings.NewReader("x"), 1, "image/jpeg"); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		for i := range n {
			keys <- fmt.Sprintf("acme/%04d.jpg", i)
		}
		close(keys)
		wg.Wait()
		if f := failed.Load(); f > 0 {
			t.Fatalf("%d of %d Puts failed", f, n)
		}
		if err := s.Put(ctx, "other/0000.jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := s.DeletePrefix(ctx, "acme/"); err != nil {
			t.Fatalf("DeletePrefix: %v", err)
		}
		for _, k := range []string{"acme/0000.jpg", "acme/0999.jpg", "acme/1000.jpg", "acme/1049.jpg"} {
			if _, err := s.Open(ctx, k); domain.CodeOf(err) != domain.CodeNotFound {
				t.Errorf("CodeOf(Open(%q)) after DeletePrefix = %q, want %q", k, domain.CodeOf(err), domain.CodeNotFound)
			}
		}
		left := 0
		for obj := range rawClient(t, srv.Config).ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: "batches/acme/", Recursive: true}) {
			if obj.Err != nil {
				t.Fatalf("list: %v", obj.Err)
			}
			left++
		}
		if left != 0 {
			t.Fatalf("%d objects left under the prefix after DeletePrefix", left)
		}
		obj, err := s.Open(ctx, "other/0000.jpg")
		if err != nil {
			t.Fatalf("Open of a key outside the prefix: %v", err)
		}
		obj.Close()
	})

	t.Run("PrefixKeepsHeraldsObjectsApart", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		cfgA, cfgB := srv.Config, srv.Config
		cfgA.Prefix, cfgB.Prefix = "tenant-a", "tenant-b/"
		a, b := newStorage(t, cfgA), newStorage(t, cfgB)
		if err := a.Put(ctx, "acme/x.jpg", strings.NewReader("a"), 1, "image/jpeg"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if _, err := b.Open(ctx, "acme/x.jpg"); domain.CodeOf(err) != domain.CodeNotFound {
			t.Fatalf("CodeOf(Open) under another prefix = %q, want %q", domain.CodeOf(err), domain.CodeNotFound)
		}
		if err := b.DeletePrefix(ctx, "acme/"); err != nil {
			t.Fatalf("DeletePrefix: %v", err)
		}
		obj, err := a.Open(ctx, "acme/x.jpg")
		if err != nil {
			t.Fatalf("Open after another prefix's DeletePrefix: %v", err)
		}
		obj.Close()
	})
}

func TestNew_SaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	secret := "a-secret-that-must-stay-hidden"
	for _, c := range []struct {
		name string
		cfg  s3.Config
		want []string
	}{
		{"Empty", s3.Config{SecretKey: secret}, []string{"endpoint is missing", "bucket is missing", "access key is missing"}},
		{"NoSecret", s3.Config{Endpoint: "https://s3.example.com", Bucket: "b", AccessKey: "k"}, []string{"secret key is missing"}},
		{"NotAURL", s3.Config{Endpoint: "s3.example.com", Bucket: "b", AccessKey: "k", SecretKey: secret}, []string{"not an http(s) URL"}},
		{"Path", s3.Config{Endpoint: "https://s3.example.com/bucket", Bucket: "b", AccessKey: "k", SecretKey: secret}, []string{"without a path"}},
		{"BadPrefix", s3.Config{Endpoint: "https://s3.example.com", Bucket: "b", AccessKey: "k", SecretKey: secret, Prefix: "../up"}, []string{"prefix"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s3.New(c.cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New = %q; want it to contain %q", err, w)
				}
			}
			requireNoSecret(t, err, secret)
		})
	}
}

func newStorage(t *testing.T, cfg s3.Config) *s3.Storage {
	t.Helper()
	s, err := s3.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// rawClient reaches the bucket without the adapter, to see what it left there.
func rawClient(t *testing.T, cfg s3.Config) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(cfg.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: cfg.Region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func requireNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error shows the secret key: %v", err)
	}
}

func TestConfig_HidesTheSecretKey(t *testing.T) {
	t.Parallel()
	cfg := s3.Config{Endpoint: "https://s3.example.com", Bucket: "b", AccessKey: "AKIA", SecretKey: "a-secret-that-must-stay-hidden"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("storage", "config", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v", &cfg), logged.String()} {
		if strings.Contains(s, cfg.SecretKey) {
			t.Errorf("printed config shows the secret key: %s", s)
		}
		if !strings.Contains(s, "AKIA") {
			t.Errorf("printed config lacks the access key, which is no secret: %s", s)
		}
	}
}
