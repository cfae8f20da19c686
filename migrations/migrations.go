// Package migrations embeds Herald's SQL migrations for golang-migrate. Files are named
// NNNNNN_<what>.up.sql and .down.sql, start with a comment saying why, and are never edited
// once merged.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
