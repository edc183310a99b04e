//go:build unix

package driver

import (
	"io/fs"
	"syscall"
)

// fileID identifies a file on the host, to keep hard links as links when copying.
type fileID struct{ dev, ino uint64 }

// hardLinked is fi's identity, and whether the file has more than one link.
func hardLinked(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}
