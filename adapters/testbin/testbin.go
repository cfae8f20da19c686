// Package testbin builds the real servers Herald's tests run beside it (an SMTP server, an
// S3-compatible store) from their Go modules into the user's cache directory, once per
// version, and finds free ports for them. It is test support: test helper packages and
// cmd/herald-testdeps import it, Herald itself never does.
package testbin

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Tool is one program built from a module version.
type Tool struct {
	Name    string // the binary's file name, e.g. "mailpit"
	Module  string // the module path, e.g. "github.com/axllent/mailpit"
	Version string // the module version the proxy serves
	Package string // the main package inside the module, relative: "." or "./weed"
	Env     string // a variable that may name a binary built elsewhere, to skip the build
	Dir     string // the cache directory's name under <user cache>/herald
}

// Path returns the binary: $Env when set, else <user cache>/herald/<Dir>/<Name>, built
// first when missing. A file lock makes parallel test binaries (and cmd/herald-testdeps)
// wait for one build instead of each running their own.
func (tl Tool) Path() (string, error) {
	if p := os.Getenv(tl.Env); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%s: no cache directory: %w", tl.Name, err)
	}
	dir := filepath.Join(cache, "herald", tl.Dir)
	bin := filepath.Join(dir, tl.Name)
	if isExecutable(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", tl.Name, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("%s: %w", tl.Name, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("%s: lock %s: %w", tl.Name, lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if isExecutable(bin) { // another process built it while this one waited
		return bin, nil
	}
	if err := tl.build(bin); err != nil {
		return "", fmt.Errorf("%s: %w", tl.Name, err)
	}
	return bin, nil
}

// Binary is Path for a test: it fails the test when the binary cannot be had.
func (tl Tool) Binary(t testing.TB) string {
	t.Helper()
	bin, err := tl.Path()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// build compiles the tool from the module cache into bin, through a temporary name so a
// half-written binary is never found.
func (tl Tool) build(bin string) error {
	out, err := exec.Command("go", "mod", "download", "-json", tl.Module+"@"+tl.Version).Output()
	if err != nil {
		return fmt.Errorf("go mod download %s@%s: %w", tl.Module, tl.Version, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download %s@%s: no directory in %s (%v)", tl.Module, tl.Version, out, err)
	}
	tmp := bin + ".building"
	cmd := exec.Command("go", "build", "-o", tmp, tl.Package)
	cmd.Dir = mod.Dir
	// The module's own go.mod decides its dependencies, not Herald's vendor or flags.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", tl.Package, mod.Dir, err, out)
	}
	return os.Rename(tmp, bin)
}

func isExecutable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}

// FreePorts returns n ports the kernel had free, all held open at once so none repeats.
func FreePorts(t testing.TB, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}
