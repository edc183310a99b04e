package report

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestPrintable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{in: "plain text", want: "plain text"},
		{in: "tab\tkept", want: "tab\tkept"},
		{in: "trailing CR\r\r", want: "trailing CR"},
		{in: "inner\rCR", want: `inner\x0dCR`},
		{in: "\x1b[31mred\x1b[0m", want: `\x1b[31mred\x1b[0m`},
		{in: "title \x1b]0;pwned\x07", want: `title \x1b]0;pwned\x07`},
		{in: "nul \x00 del \x7f", want: `nul \x00 del \x7f`},
		{in: "C1 \u0085 \u009b", want: `C1 \x85 \x9b`},
		{in: "bad \xff\xfe bytes", want: "bad \uFFFD bytes"},
		{in: "unicode stays: żółw ✓", want: "unicode stays: żółw ✓"},
	} {
		assert.Check(t, is.Equal(Printable(tc.in), tc.want), "%q", tc.in)
	}
}
