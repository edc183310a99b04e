package main

import (
	"os"
	"testing"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// TestMain makes the final error plain text ("pkgdriver: ..."), as on a terminal, unless a test
// asks for JSON: the tests' stderr is a buffer, where --log-format auto would mean JSON. It removes
// the pkgdriver binary the tests built, once they have run.
func TestMain(m *testing.M) {
	os.Setenv("PKGDRIVER_LOG_FORMAT", "console")
	os.Exit(testutil.Main(m))
}
