package main

import (
	"os"
	"testing"
)

// TestMain makes the final error plain text ("pkgdriver: ..."), as on a terminal, unless a test
// asks for JSON: the tests' stderr is a buffer, where --log-format auto would mean JSON.
func TestMain(m *testing.M) {
	os.Setenv("PKGDRIVER_LOG_FORMAT", "console")
	os.Exit(m.Run())
}
