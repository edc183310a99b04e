package fsutil

import (
	"errors"
	"io/fs"
	"os"
)

// ErrExchangeUnsupported is a system or file system that cannot exchange two directories in one
// step.
var ErrExchangeUnsupported = errors.New("atomic exchange unsupported")

// SwapDir puts directory tmp in target's place. A missing target is a plain rename. An existing
// one is exchanged with tmp in one step where the kernel can (renameat2 RENAME_EXCHANGE on
// Linux: a reader sees the old tree or the new one, never neither); elsewhere target is moved
// aside for a moment and put back if tmp cannot take its place. Afterwards tmp holds target's
// previous content (when there was one), for the caller to remove.
func SwapDir(tmp, target string) error {
	return swapDirWith(exchangeDirs, tmp, target)
}

func swapDirWith(exchange func(a, b string) error, tmp, target string) error {
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, target)
	}
	err := exchange(tmp, target)
	if !errors.Is(err, ErrExchangeUnsupported) {
		return err
	}
	aside := tmp + ".old"
	if err := os.Rename(target, aside); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return errors.Join(err, os.Rename(aside, target))
	}
	return os.Rename(aside, tmp)
}
