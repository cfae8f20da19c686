//go:build unix

package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// maxSocketPath is the longest unix socket path the system takes: sun_path less its
// terminating NUL (107 bytes on Linux, 103 on macOS and the BSDs).
var maxSocketPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// runUser is the unprivileged account that runs PostgreSQL when herald runs as root; nil
// means herald's own user.
type runUser struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// lookupRunUser returns nil unless herald runs as root; then it returns the account named
// name ("postgres" when empty), since PostgreSQL refuses to run as root. It returns an error
// when no such account exists or it is root itself.
func lookupRunUser(name string) (*runUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("cluster: herald runs as root, which PostgreSQL refuses, and there is no user %q "+
			"to run it as (create one with `useradd --system %s`, run herald as an ordinary user, or set DATABASE_URL): %w",
			name, name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("cluster: user %s: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("cluster: user %s is root, which PostgreSQL refuses; name an unprivileged user", name)
	}
	r := &runUser{name: name, uid: uint32(uid), gid: uint32(gid)}
	ids, _ := u.GroupIds() // best effort: without them, only the primary group counts
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			r.groups = append(r.groups, uint32(g))
		}
	}
	return r, nil
}

// apply makes cmd run as the user.
func (u *runUser) apply(cmd *exec.Cmd) {
	if u == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups},
	}
}

// chown gives path to the user.
func (u *runUser) chown(path string) error {
	if u == nil {
		return nil
	}
	if err := os.Chown(path, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("cluster: give %s to user %s: %w", path, u.name, err)
	}
	return nil
}

// checkReachable returns an error naming the first folder above dir that the user may not
// enter: PostgreSQL would fail there with a less helpful message.
func (u *runUser) checkReachable(dir string) error {
	if u == nil {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if !u.canEnter(info) {
			return fmt.Errorf("cluster: PostgreSQL runs as user %s (herald runs as root), which may not enter %s "+
				"(mode %v): let it, for example with `chmod o+x %s`, or choose another data folder",
				u.name, d, info.Mode().Perm(), d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// canEnter reports whether the user has search permission on the folder described by info.
func (u *runUser) canEnter(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let PostgreSQL report it
	}
	perm := info.Mode().Perm()
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case st.Gid == u.gid || slices.Contains(u.groups, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// lockFile takes an exclusive lock on path, creating it, and writes herald's pid in it.
// The kernel drops the lock when herald exits, however it exits, and the file is opened
// close-on-exec so that the PostgreSQL processes do not inherit it. It returns an error
// wrapping ErrInUse, with the holder's pid, when another process holds the lock.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by herald process %s; stop that process, or use another data folder or DATABASE_URL",
				ErrInUse, filepath.Dir(path), strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("cluster: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return f, nil
}

// processGone reports whether process pid has exited. A zombie has: in containers whose
// first process does not reap orphans, a killed postmaster stays one, and PostgreSQL would
// take it for a live server.
func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	switch {
	case errors.Is(err, syscall.ESRCH):
		return true
	case err != nil && !errors.Is(err, syscall.EPERM):
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat") // Linux only; elsewhere, assume alive
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may hold anything.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}
