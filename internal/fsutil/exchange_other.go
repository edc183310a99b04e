//go:build !linux

package fsutil

// exchangeDirs has no one-step exchange outside Linux; SwapDir falls back to two renames, with a
// moment in which target does not exist.
func exchangeDirs(a, b string) error { return ErrExchangeUnsupported }
