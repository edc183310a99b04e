package driver

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps two directories in one renameat2(RENAME_EXCHANGE): a reader sees either the
// old tree or the new one, never neither.
func exchangeDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errExchangeUnsupported
	}
	return err
}
