package fsutil

// For the tests of package fsutil_test.
var (
	SwapDirWith  = swapDirWith
	ExchangeDirs = exchangeDirs
)
