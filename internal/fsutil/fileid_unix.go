//go:build unix

package fsutil

import (
	"io/fs"
	"syscall"
)

// FileID identifies a file on the host, to keep hard links as links when copying.
type FileID struct{ dev, ino uint64 }

// HardLinked is fi's identity, and whether the file has more than one link.
func HardLinked(fi fs.FileInfo) (FileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return FileID{}, false
	}
	return FileID{uint64(st.Dev), uint64(st.Ino)}, true
}
