package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/storage/filesystem"
	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/ports"
)

// storageCheckTimeout bounds the start-up check of the S3 bucket: long enough for a
// distant region, short enough that a wrong endpoint does not hang the start.
const storageCheckTimeout = 30 * time.Second

// parseS3Config reads the HERALD_S3_* variables. ok is false when HERALD_S3_BUCKET is not
// set (media stay on the file system); every missing or malformed variable is reported,
// each naming itself, and the secret key never appears in an error.
func parseS3Config(getenv func(string) string) (cfg s3.Config, ok bool, err error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg = s3.Config{
		Endpoint:  get("HERALD_S3_ENDPOINT"),
		Bucket:    get("HERALD_S3_BUCKET"),
		Region:    get("HERALD_S3_REGION"),
		AccessKey: get("HERALD_S3_ACCESS_KEY"),
		SecretKey: get("HERALD_S3_SECRET_KEY"),
		Prefix:    get("HERALD_S3_PREFIX"),
	}
	pathStyle := strings.ToLower(get("HERALD_S3_PATH_STYLE"))
	var errs []error
	if cfg.Bucket == "" {
		for _, name := range []string{"HERALD_S3_ENDPOINT", "HERALD_S3_REGION", "HERALD_S3_ACCESS_KEY", "HERALD_S3_SECRET_KEY", "HERALD_S3_PATH_STYLE", "HERALD_S3_PREFIX"} {
			if get(name) != "" {
				return s3.Config{}, false, fmt.Errorf("HERALD_S3_BUCKET: must be set to keep media in S3 (%s is set); unset every HERALD_S3_ variable to keep them in HERALD_DATA_DIR", name)
			}
		}
		return s3.Config{}, false, nil
	}
	if cfg.Endpoint == "" {
		errs = append(errs, errors.New("HERALD_S3_ENDPOINT: must be set with HERALD_S3_BUCKET, such as https://s3.eu-west-1.amazonaws.com"))
	} else if u, err := url.Parse(cfg.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		errs = append(errs, fmt.Errorf("HERALD_S3_ENDPOINT: must be an http(s) URL without a path, such as https://s3.eu-west-1.amazonaws.com (got %q)", cfg.Endpoint))
	}
	if cfg.AccessKey == "" {
		errs = append(errs, errors.New("HERALD_S3_ACCESS_KEY: must be set with HERALD_S3_BUCKET"))
	}
	if cfg.SecretKey == "" {
		errs = append(errs, errors.New("HERALD_S3_SECRET_KEY: must be set with HERALD_S3_BUCKET"))
	}
	switch pathStyle {
	case "", "false", "off", "0", "no":
	case "true", "on", "1", "yes":
		cfg.PathStyle = true
	default:
		errs = append(errs, fmt.Errorf("HERALD_S3_PATH_STYLE: must be true or false (got %q)", pathStyle))
	}
	if len(errs) > 0 {
		return s3.Config{}, false, errors.Join(errs...)
	}
	return cfg, true, nil
}

// mediaStorage returns where media library files are kept: the S3 bucket when
// HERALD_S3_BUCKET is set, after checking that the bucket exists and the credentials
// work, else the file system under $HERALD_DATA_DIR/media. The error says what is wrong
// for the operator, so Herald does not start with storage it cannot use; it never
// contains the secret key.
func mediaStorage(cfg Config) (ports.MediaStorage, error) {
	if cfg.S3 == nil {
		s, err := filesystem.New(filepath.Join(cfg.DataDir, "media"))
		if err != nil {
			return nil, fmt.Errorf("media storage: %w", err)
		}
		return s, nil
	}
	s, err := s3.New(*cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("media storage: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), storageCheckTimeout)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		return nil, fmt.Errorf("media storage: %w", err)
	}
	return s, nil
}
