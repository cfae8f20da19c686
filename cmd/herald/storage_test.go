package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/storage/filesystem"
	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/adapters/storage/s3/s3test"
)

func TestMediaStorage_FileSystemUnderTheDataDirByDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := LoadConfig(env(map[string]string{"HERALD_DATA_DIR": dir}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.S3 != nil {
		t.Fatalf("S3 = %v without HERALD_S3_BUCKET, want nil", cfg.S3)
	}
	storage, err := mediaStorage(cfg)
	if err != nil {
		t.Fatalf("mediaStorage: %v", err)
	}
	if _, ok := storage.(*filesystem.Storage); !ok {
		t.Fatalf("mediaStorage = %T, want *filesystem.Storage", storage)
	}
	if err := storage.Put(context.Background(), "acme/x.jpg", strings.NewReader("abc"), 3, "image/jpeg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "media", "acme", "x.jpg")); err != nil || string(b) != "abc" {
		t.Fatalf("$HERALD_DATA_DIR/media/acme/x.jpg = %q, %v; want %q", b, err, "abc")
	}
}

func TestMediaStorage_S3WhenABucketIsSet(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	vars := map[string]string{
		"HERALD_S3_ENDPOINT": srv.Config.Endpoint, "HERALD_S3_BUCKET": srv.Config.Bucket,
		"HERALD_S3_REGION": srv.Config.Region, "HERALD_S3_ACCESS_KEY": srv.Config.AccessKey,
		"HERALD_S3_SECRET_KEY": srv.Config.SecretKey, "HERALD_S3_PATH_STYLE": "true", "HERALD_S3_PREFIX": "herald",
	}
	cfg, err := LoadConfig(env(vars))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	storage, err := mediaStorage(cfg)
	if err != nil {
		t.Fatalf("mediaStorage: %v", err)
	}
	if _, ok := storage.(*s3.Storage); !ok {
		t.Fatalf("mediaStorage = %T, want *s3.Storage", storage)
	}
	ctx := context.Background()
	if err := storage.Put(ctx, "acme/x.jpg", strings.NewReader("abc"), 3, "image/jpeg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	u, err := storage.SignedURL(ctx, "acme/x.jpg", time.Minute)
	if err != nil || !strings.Contains(u, "/"+srv.Config.Bucket+"/herald/acme/x.jpg") {
		t.Fatalf("SignedURL = %q, %v; want a URL of herald/acme/x.jpg in the bucket", u, err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET the signed URL: %v", err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(b) != "abc" {
		t.Fatalf("GET the signed URL = %d %q, want 200 %q", resp.StatusCode, b, "abc")
	}

	t.Run("AWrongSecretKeyStopsTheStart", func(t *testing.T) {
		wrong := map[string]string{}
		for k, v := range vars {
			wrong[k] = v
		}
		wrong["HERALD_S3_SECRET_KEY"] = "wrong-secret-key-0123456789abcdef"
		cfg, err := LoadConfig(env(wrong))
		if err != nil {
			t.Fatalf("LoadConfig: %v", err)
		}
		_, err = mediaStorage(cfg)
		if err == nil || !strings.Contains(err.Error(), "HERALD_S3_SECRET_KEY") {
			t.Fatalf("mediaStorage with a wrong secret key = %v; want an error naming HERALD_S3_SECRET_KEY", err)
		}
		if strings.Contains(err.Error(), wrong["HERALD_S3_SECRET_KEY"]) {
			t.Fatalf("the error shows the secret key: %v", err)
		}
	})
}

func TestLoadConfig_S3SaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	const secret = "the-secret-key-never-shown"
	for _, c := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"OnlyTheBucket", map[string]string{"HERALD_S3_BUCKET": "media"},
			[]string{"HERALD_S3_ENDPOINT: must be set", "HERALD_S3_ACCESS_KEY: must be set", "HERALD_S3_SECRET_KEY: must be set"}},
		{"NoBucket", map[string]string{"HERALD_S3_ENDPOINT": "https://s3.example.com", "HERALD_S3_SECRET_KEY": secret},
			[]string{"HERALD_S3_BUCKET: must be set"}},
		{"BadEndpointAndPathStyle", map[string]string{"HERALD_S3_BUCKET": "media", "HERALD_S3_ENDPOINT": "s3.example.com/x",
			"HERALD_S3_ACCESS_KEY": "k", "HERALD_S3_SECRET_KEY": secret, "HERALD_S3_PATH_STYLE": "maybe"},
			[]string{"HERALD_S3_ENDPOINT: must be an http(s) URL", "HERALD_S3_PATH_STYLE: must be true or false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(env(c.vars))
			if err == nil {
				t.Fatal("LoadConfig succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadConfig = %q; want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret key: %v", err)
			}
		})
	}
}
