package recipes_test

import (
	"os"
	"testing"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// TestMain removes the pkgdriver binary the integration tests built, once they have run.
func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }
