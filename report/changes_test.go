package report

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestSizeChanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		old, cur int64
		want     bool
	}{{100, 100, false}, {100, 101, true}, {1 << 20, 1<<20 + 1000, false}, {1 << 20, 1<<20 + 20000, true}, {1 << 20, 1<<20 - 20000, true}, {1 << 20, 1000, true}} {
		assert.Check(t, is.Equal(sizeChanged(tc.old, tc.cur), tc.want), "%d → %d", tc.old, tc.cur)
	}
}
