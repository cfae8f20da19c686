//go:build !unix

package cluster

import (
	"errors"
	"os"
	"os/exec"
)

// The embedded cluster relies on unix sockets, file locks and unix accounts; elsewhere,
// Start fails with errUnsupported from lockFile, and the rest does nothing.

var errUnsupported = errors.New("cluster: the embedded PostgreSQL needs Linux, macOS or another unix; set DATABASE_URL")

var maxSocketPath = 107

type runUser struct{ name string }

func lookupRunUser(string) (*runUser, error) { return nil, nil }
func (*runUser) apply(*exec.Cmd)             {}
func (*runUser) chown(string) error          { return nil }
func (*runUser) checkReachable(string) error { return nil }
func lockFile(string) (*os.File, error)      { return nil, errUnsupported }
func processGone(int) bool                   { return false }
