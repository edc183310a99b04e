//go:build !linux

package driver

// exchangeDirs has no one-rename exchange outside Linux; swapDirs falls back to two renames.
func exchangeDirs(a, b string) error { return errExchangeUnsupported }
