//go:build linux

package fsutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps two directories in one renameat2(RENAME_EXCHANGE). A kernel or file system
// without it gives ErrExchangeUnsupported.
func exchangeDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return ErrExchangeUnsupported
	}
	return err
}
