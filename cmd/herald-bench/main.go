// Command herald-bench measures Herald on a scratch database: publishing on time under a
// burst of due posts (publish), the analytics overview over many snapshots (analytics), and
// uploads into the media library with Herald's memory (media), a burst published by
// several herald processes on one database, with what PostgreSQL needed for it (instances),
// and the JSON API's read endpoints under concurrent callers on a large data set (api).
// It is kept out of the production binary; BENCHMARKS.md records its numbers.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

const usage = `herald-bench measures Herald on a scratch database (see BENCHMARKS.md).

Usage:
  herald-bench publish [--posts N] [--companies M] [--latency L] [--workers W] [--fetch-cooldown D] [--poll D] [--idle K]
  herald-bench analytics [--companies M] [--snapshots N] [--per-target T] [--queries Q]
  herald-bench media [--video-mb 200] [--images 100] [--chunk-mb 8] [--parallel 8] [--herald BIN] [--media-dir DIR]
  herald-bench instances [--instances 1,2] [--posts N] [--companies M] [--latency L] [--repeat R] [--herald BIN]
  herald-bench api [--posts 200000] [--companies 50] [--big 100000] [--requests 2000] [--callers 10] [--days 90] [--herald BIN]

DATABASE_URL names the PostgreSQL server the scratch database is made on (it is dropped
afterwards); without it, an embedded cluster runs in a temporary folder.
HERALD_DB_MAX_CONNS sets the default of publish's --db-conns (20).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "herald-bench:", err)
		os.Exit(1)
	}
}

// config is what the benchmarks read from the environment.
type config struct {
	DatabaseURL string // DATABASE_URL; "" means an embedded cluster
	DBMaxConns  int    // HERALD_DB_MAX_CONNS
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{DatabaseURL: getenv("DATABASE_URL"), DBMaxConns: 20}
	if s := getenv("HERALD_DB_MAX_CONNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 || n > 1000 {
			return c, errors.New("HERALD_DB_MAX_CONNS must be a whole number from 2 to 1000")
		}
		c.DBMaxConns = n
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch args[0] {
	case "publish":
		return publishCmd(ctx, cfg, log, args[1:], stdout)
	case "analytics":
		return analyticsCmd(ctx, cfg, log, args[1:], stdout)
	case "media":
		return mediaCmd(ctx, cfg, log, args[1:], stdout)
	case "instances":
		return instancesCmd(ctx, cfg, log, args[1:], stdout)
	case "api":
		return apiCmd(ctx, cfg, log, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}
