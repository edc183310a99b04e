//go:build unix

package fsutil

import "syscall"

// oNonBlock keeps an open of a FIFO or device from waiting for the other end.
const oNonBlock = syscall.O_NONBLOCK
