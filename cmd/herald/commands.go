package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/cluster"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// withDatabase runs fn with DATABASE_URL, or with the embedded cluster started for the
// duration of fn.
func withDatabase(ctx context.Context, cfg Config, log *slog.Logger, fn func(url string) error) error {
	if cfg.DatabaseURL != "" {
		return fn(cfg.DatabaseURL)
	}
	c, err := cluster.Start(ctx, cluster.Options{DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer c.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // fn's error matters more
	return fn(c.URL())
}

// migrateCmd runs `herald migrate up|down|down-all|version`.
func migrateCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: herald migrate up|down|down-all|version")
	}
	dir := postgres.Direction(args[0])
	switch args[0] {
	case "up", "down", "down-all":
	case "version":
		dir = ""
	default:
		return fmt.Errorf("unknown migrate command %q: use up, down, down-all or version", args[0])
	}
	return withDatabase(ctx, cfg, log, func(url string) error {
		v, err := postgres.Migrate(ctx, url, dir, log)
		if err != nil {
			return err
		}
		dirty := ""
		if v.HeraldDirty {
			dirty = " (dirty: a migration failed half-way; fix the schema by hand, then force the version)"
		}
		fmt.Fprintf(out, "herald schema version %d%s\nriver schema version %d\n", v.Herald, dirty, v.River)
		return nil
	})
}

// adminCmd runs `herald admin create-superadmin`.
func adminCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "create-superadmin" {
		return errors.New("usage: herald admin create-superadmin --email EMAIL [--name NAME] [--password-stdin]")
	}
	fs := flag.NewFlagSet("create-superadmin", flag.ContinueOnError)
	fs.SetOutput(out)
	email := fs.String("email", "", "the superadmin's email (required)")
	name := fs.String("name", "Administrator", "their name, for a new account")
	fromStdin := fs.Bool("password-stdin", false, "read the password of a new account from standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("create-superadmin: --email is required")
	}
	password, generated := "", false
	if *fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("create-superadmin: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		password, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	return withDatabase(ctx, cfg, log, func(url string) error {
		if _, err := postgres.Migrate(ctx, url, postgres.Up, log); err != nil {
			return err
		}
		db, err := postgres.Open(ctx, url, 4)
		if err != nil {
			return err
		}
		defer db.Close()
		enf, err := authz.New(ctx, db.Pool(), log)
		if err != nil {
			return err
		}
		auth, err := app.NewAuth(db, enf, secret.DefaultArgon2id, app.DefaultLimits, time.Now, log)
		if err != nil {
			return err
		}
		u, created, err := auth.EnsureSuperadmin(ctx, *email, *name, password)
		if err != nil {
			if fields := domain.FieldsOf(err); fields != nil {
				return fmt.Errorf("create-superadmin: %s", formatFields(fields))
			}
			return err
		}
		switch {
		case !created:
			fmt.Fprintf(out, "%s is now a superadmin (their password is unchanged).\n", u.Email)
		case generated:
			fmt.Fprintf(out, "Created superadmin %s with the password below. It is shown only this once:\n%s\n", u.Email, password)
		default:
			fmt.Fprintf(out, "Created superadmin %s.\n", u.Email)
		}
		return nil
	})
}

func formatFields(fields map[string]string) string {
	var parts []string
	for _, f := range domain.SortedFields(fields) {
		parts = append(parts, f+" "+fields[f])
	}
	return strings.Join(parts, "; ")
}

// keysCmd runs `herald keys generate [--id ID]` and `herald keys rotate`.
func keysCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: herald keys generate [--id ID] | herald keys rotate")
	}
	switch args[0] {
	case "generate":
		fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
		fs.SetOutput(out)
		id := fs.String("id", "k"+time.Now().UTC().Format("20060102"), "the new key's id")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		spec, err := secret.GenerateKeySpec(*id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n\nPut it first in HERALD_ENCRYPTION_KEYS, keep the old keys after it, restart, then run `herald keys rotate`.\n", spec)
		return nil
	case "rotate":
		ring, generated, err := secret.LoadKeyRing(cfg.EncryptionKeys, cfg.DataDir, cfg.Production)
		if err != nil {
			return err
		}
		if generated != "" {
			log.Warn("HERALD_ENCRYPTION_KEYS is not set: generated a development key", "file", generated)
		}
		return withDatabase(ctx, cfg, log, func(url string) error {
			if _, err := postgres.Migrate(ctx, url, postgres.Up, log); err != nil {
				return err
			}
			db, err := postgres.Open(ctx, url, 4)
			if err != nil {
				return err
			}
			defer db.Close()
			// Only the tokens' service: rotating needs no platform, authorizer or queue.
			n, err := app.NewCredentials(db, ring, nil, time.Now, log).RotateKeys(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "re-encrypted the tokens of %d accounts under key %q\n", n, ring.ActiveID())
			return nil
		})
	}
	return fmt.Errorf("unknown keys command %q: use generate or rotate", args[0])
}
