package report

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestShortIDAndCommit(t *testing.T) {
	t.Parallel()
	assert.Equal(t, (&Toolchain{ID: "sha256:0123456789abcdef0123"}).ShortID(), "0123456789ab")
	assert.Equal(t, (&Toolchain{ID: "abc"}).ShortID(), "abc")
	assert.Equal(t, (&Toolchain{Commit: "0123456789abcdef"}).ShortCommit(), "0123456")
	assert.Equal(t, (&Toolchain{Commit: "0123"}).ShortCommit(), "0123")
	assert.Equal(t, (&Toolchain{Commit: "0123456789abcdef-dirty"}).ShortCommit(), "0123456-dirty")
	assert.Check(t, (&Toolchain{Commit: "0123456789abcdef-dirty"}).Dirty())
}
