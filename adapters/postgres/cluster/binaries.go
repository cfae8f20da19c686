package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ErrNotInstalled is wrapped by the error of FindBinaries and Start when no folder holds
// PostgreSQL's server programs.
var ErrNotInstalled = errors.New("cluster: PostgreSQL server programs (initdb, pg_ctl, postgres) not found")

// programs are the server programs a cluster needs. They must come from one folder:
// initdb and pg_ctl run the postgres beside their real path and refuse another version.
var programs = []string{"initdb", "pg_ctl", "postgres"}

// defaultPatterns are the folders tried after PATH, in order. Wildcards stand for a
// version; their matches are tried highest version first.
var defaultPatterns = []string{
	"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu (not in PATH there)
	"/opt/homebrew/opt/postgresql@*/bin", // Homebrew on Apple silicon; versioned formulae are keg-only
	"/usr/local/opt/postgresql@*/bin",    // Homebrew on Intel
	"/opt/homebrew/bin",
	"/usr/local/bin",
	"/usr/pgsql-*/bin", // PGDG packages for RHEL, Fedora
}

// FindBinaries returns the folder that holds initdb, pg_ctl and postgres together,
// looking in the folders of PATH (read with getenv), then in the usual install places:
// /usr/lib/postgresql/*/bin (highest version first), Homebrew's folders and
// /usr/pgsql-*/bin. Symbolic links are resolved, so the folder returned is where the
// programs really are. It returns an error wrapping ErrNotInstalled, saying how to install
// PostgreSQL, when no folder holds all three.
func FindBinaries(getenv func(string) string) (dir string, err error) {
	dirs, err := findBinaries(getenv, defaultPatterns)
	if err != nil {
		return "", err
	}
	return dirs[0], nil
}

// findBinaries returns every folder holding all the programs, best first, looking in PATH
// and then in patterns.
func findBinaries(getenv func(string) string, patterns []string) ([]string, error) {
	var found, partial []string
	seen := map[string]bool{}
	for _, dir := range candidateDirs(getenv, patterns) {
		for _, real := range realDirs(dir) {
			if seen[real] {
				continue
			}
			seen[real] = true
			if missing := missingPrograms(real); len(missing) == 0 {
				found = append(found, real)
			} else if len(missing) < len(programs) {
				partial = append(partial, real+" lacks "+strings.Join(missing, " and "))
			}
		}
	}
	if len(found) == 0 {
		return nil, notInstalled(patterns, partial)
	}
	return found, nil
}

// candidateDirs lists the folders to look in: PATH's, then the patterns' matches.
func candidateDirs(getenv func(string) string, patterns []string) []string {
	var dirs []string
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		// Relative entries (and the empty one, meaning ".") would pick programs from
		// wherever herald happens to run; exec.LookPath refuses them for the same reason.
		if filepath.IsAbs(dir) {
			dirs = append(dirs, dir)
		}
	}
	for _, p := range patterns {
		matches, _ := filepath.Glob(p) // the only error is a malformed pattern
		slices.SortStableFunc(matches, func(a, b string) int {
			return slices.Compare(versionOf(b), versionOf(a))
		})
		dirs = append(dirs, matches...)
	}
	return dirs
}

// realDirs returns the folders the programs in dir really live in, after symbolic links:
// /usr/local/bin/pg_ctl may link to /usr/lib/postgresql/15/bin/pg_ctl.
func realDirs(dir string) []string {
	var dirs []string
	for _, p := range programs {
		real, err := filepath.EvalSymlinks(filepath.Join(dir, p))
		if err != nil {
			continue
		}
		if d := filepath.Dir(real); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// missingPrograms returns the programs that dir lacks as executable files.
func missingPrograms(dir string) []string {
	var missing []string
	for _, p := range programs {
		info, err := os.Stat(filepath.Join(dir, p))
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	return missing
}

// versionOf returns the numbers in path, such as [9 6] for /usr/pgsql-9.6/bin, to sort a
// pattern's matches; the fixed parts of the patterns hold no digits.
func versionOf(path string) []int {
	var v []int
	for _, f := range strings.FieldsFunc(path, func(r rune) bool { return !unicode.IsDigit(r) }) {
		n, _ := strconv.Atoi(f)
		v = append(v, n)
	}
	return v
}

// notInstalled builds the error for a machine without the server programs.
func notInstalled(patterns, partial []string) error {
	where := "PATH"
	if len(patterns) > 0 {
		where += ", " + strings.Join(patterns, ", ")
	}
	if len(partial) > 0 {
		where += " (" + strings.Join(partial, "; ") + ")"
	}
	return fmt.Errorf("%w in %s. Install PostgreSQL's server (Debian/Ubuntu: apt-get install postgresql; "+
		"macOS: brew install postgresql@16; Fedora/RHEL: dnf install postgresql-server), "+
		"or set DATABASE_URL to a PostgreSQL server, for example the one `docker compose up` starts",
		ErrNotInstalled, where)
}

// sameMajor reports whether version (postgres --version's, such as 15.20 or 9.6.24) is of
// the major release major (a cluster's PG_VERSION, such as 15 or 9.6).
func sameMajor(version, major string) bool {
	return version == major || strings.HasPrefix(version, major+".")
}
