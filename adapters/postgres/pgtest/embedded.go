package pgtest

import (
	"context"
	"errors"
)

// embeddedURL starts (or joins) the embedded cluster shared by test binaries.
func embeddedURL(ctx context.Context) (string, error) {
	return "", errors.New("no PostgreSQL at TEST_DATABASE_URL or 127.0.0.1:5432, and the embedded cluster fallback is not wired yet")
}
