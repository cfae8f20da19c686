package pgtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/cluster"
)

// embeddedURL starts a private cluster for this test binary, the fallback when no server
// is reachable (or when TEST_DATABASE_URL=embedded). A watchdog process stops the cluster and
// deletes its folder once the test binary has exited, since test binaries have no exit hook.
func embeddedURL(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "herald-pgtest-")
	if err != nil {
		return "", fmt.Errorf("embedded cluster folder: %w", err)
	}
	if err := os.Chmod(dir, 0o711); err != nil { // PostgreSQL runs as another user under root
		return "", fmt.Errorf("embedded cluster folder: %w", err)
	}
	c, err := cluster.Start(ctx, cluster.Options{DataDir: dir, NoSync: true, Timeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL at TEST_DATABASE_URL or 127.0.0.1:5432, and the embedded cluster did not start: %w", err)
	}
	pidFile := filepath.Join(dir, "postgres", "data", "postmaster.pid")
	script := fmt.Sprintf(`while kill -0 %d 2>/dev/null; do sleep 1; done
kill -INT "$(head -n 1 %q)" 2>/dev/null; i=0; while [ -f %q ] && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done; rm -rf %q`,
		os.Getpid(), pidFile, pidFile, dir)
	watchdog := exec.Command("sh", "-c", script)
	watchdog.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := watchdog.Start(); err != nil {
		_ = c.Stop(ctx)
		return "", fmt.Errorf("embedded cluster watchdog: %w", err)
	}
	_ = watchdog.Process.Release()
	return c.URL(), nil
}
