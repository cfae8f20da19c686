package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/heraldhq/herald/migrations"
)

// migrationLock is the advisory lock key that serializes Herald's migrators (golang-migrate
// takes its own lock; River's migrator takes none).
const migrationLock = 0x4845524c44 // "HERLD"

// Direction says which way Migrate goes.
type Direction string

// The directions: Up applies everything pending; Down undoes Herald's newest migration;
// DownAll removes every Herald and River table.
const (
	Up      Direction = "up"
	Down    Direction = "down"
	DownAll Direction = "down-all"
)

// Versions reports the schema's state.
type Versions struct {
	Herald      uint
	HeraldDirty bool
	River       int
}

// Migrate moves Herald's schema and River's in direction dir, holding an advisory lock so
// concurrent starts run one after another. It opens and closes its own connection (never the
// app's pool, whose connections would keep a lock an abandoned waiter acquired). It returns
// an error when a migration fails, leaving Herald's version dirty.
func Migrate(ctx context.Context, databaseURL string, dir Direction, log *slog.Logger) (Versions, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return Versions{}, fmt.Errorf("postgres: migrate: open: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return Versions{}, fmt.Errorf("postgres: migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return Versions{}, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // the session ends with Close anyway

	river, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: log})
	if err != nil {
		return Versions{}, fmt.Errorf("postgres: migrate: river: %w", err)
	}
	if dir == Up {
		// River's tables first: Herald's later migrations may refer to them.
		if _, err := river.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return Versions{}, fmt.Errorf("postgres: migrate river up: %w", err)
		}
	}
	m, err := heraldMigrator(databaseURL)
	if err != nil {
		return Versions{}, err
	}
	defer m.Close()
	switch dir {
	case Up:
		err = m.Up()
	case Down:
		err = m.Steps(-1)
	case DownAll:
		err = m.Down()
	case "":
	default:
		return Versions{}, fmt.Errorf("postgres: migrate: unknown direction %q", dir)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) && !errors.Is(err, migrate.ErrNilVersion) {
		return Versions{}, fmt.Errorf("postgres: migrate %s: %w", dir, err)
	}
	if dir == DownAll {
		if _, err := river.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
			return Versions{}, fmt.Errorf("postgres: migrate river down: %w", err)
		}
	}
	var v Versions
	v.Herald, v.HeraldDirty, err = m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return Versions{}, fmt.Errorf("postgres: migrate version: %w", err)
	}
	existing, err := river.ExistingVersions(ctx)
	if err != nil {
		return v, nil // no river_migration table after down-all
	}
	if len(existing) > 0 {
		v.River = existing[len(existing)-1].Version
	}
	return v, nil
}

// heraldMigrator returns golang-migrate over the embedded files and a connection of its own
// (its Close closes that connection).
func heraldMigrator(databaseURL string) (*migrate.Migrate, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: open: %w", err)
	}
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: migrate driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return m, nil
}
