//go:build !unix

package app

import (
	"os"
	"sync"
)

// lockedUploads are the spool files locked in this process, where the system has no flock.
var lockedUploads sync.Map

// lockUpload takes the lock of an upload's spool file without waiting, and reports false
// when another request of this process holds it. Call unlock when done.
func lockUpload(f *os.File) (unlock func(), ok bool, err error) {
	if _, taken := lockedUploads.LoadOrStore(f.Name(), true); taken {
		return nil, false, nil
	}
	return func() { lockedUploads.Delete(f.Name()) }, true, nil
}
