// Package migrations embeds Herald's SQL migrations for golang-migrate. Files are named
// NNNNNN_<what>.up.sql and .down.sql, start with a comment saying why, and are never edited
// once merged: SHA256SUMS records each file's checksum when it is committed, and a test
// fails when a committed file changes.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
