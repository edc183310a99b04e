package docker

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// The first difference between the image's listing and the view's names the path.
func TestFirstDifference(t *testing.T) {
	image := "./a\tf\t644\n./b\td\t755\n./c\tf\t600"
	for _, tc := range []struct {
		view, want string
	}{
		{view: image, want: ""},
		{view: "./c\tf\t600\n./a\tf\t644\n./b\td\t755", want: ""},
		{view: "./a\tf\t644\n./c\tf\t600", want: "missing ./b"},
		{view: image + "\n./0\tf\t644", want: "extra ./0"},
		{view: "./a\tf\t644\n./b\td\t700\n./c\tf\t600", want: `./b is "./b\td\t700", in the image "./b\td\t755"`},
	} {
		assert.Check(t, is.Equal(firstDifference(entries(image), entries(tc.view)), tc.want), "%q", tc.view)
	}
}
