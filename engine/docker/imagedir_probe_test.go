package docker

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// The probe's lines become lower directories: under a layer's short link when it has one, else
// under its diff directory; anything else the probe printed is an error.
func TestLowerDirs(t *testing.T) {
	layers := []string{"/s/overlay2/top/diff", "/s/overlay2/mid/diff", "/s/overlay2/base/diff"}
	for _, tc := range []struct {
		probed string
		want   []string
		err    string
	}{
		{probed: "", want: nil},
		{probed: "0 ABCDEF123\n2 XYZ\n", want: []string{"/s/overlay2/l/ABCDEF123/osv", "/s/overlay2/l/XYZ/osv"}},
		{probed: "1 -\n", want: []string{"/s/overlay2/mid/diff/osv"}},
		{probed: "1 ../../etc\n", want: []string{"/s/overlay2/mid/diff/osv"}},
		{probed: "1 a,b\n", want: []string{"/s/overlay2/mid/diff/osv"}},
		{probed: "3 ABC\n", err: "unexpected output"},
		{probed: "x\n", err: "unexpected output"},
	} {
		got, err := lowerDirs(layers, "/osv", tc.probed)
		if tc.err != "" {
			assert.Check(t, is.ErrorContains(err, tc.err), "%q", tc.probed)
			continue
		}
		assert.Check(t, err, "%q", tc.probed)
		assert.Check(t, is.DeepEqual(got, tc.want), "%q", tc.probed)
	}
}
