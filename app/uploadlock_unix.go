//go:build unix

package app

import (
	"errors"
	"os"
	"syscall"
)

// lockUpload takes the exclusive lock of an upload's open spool file without waiting, and
// reports false when another request (of this process or another on the same disk) holds
// it. Call unlock before closing f; the kernel also drops the lock when f is closed or
// Herald dies, so a crash never leaves an upload locked.
func lockUpload(f *os.File) (unlock func(), ok bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, true, nil
}
