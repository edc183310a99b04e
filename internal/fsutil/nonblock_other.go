//go:build !unix

package fsutil

// oNonBlock is not available here; the type check before opening is the guard.
const oNonBlock = 0
