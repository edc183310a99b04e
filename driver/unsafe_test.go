package driver

import "unsafe"

// unsafePointer points at the start of b (for decoding kernel structures in tests).
func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
