//go:build !unix

package packager

// oNoFollow is not available here; the Lstat checks done before opening are
// the only guard.
const oNoFollow = 0
