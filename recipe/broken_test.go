package recipe

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
)

func TestParseKnownBroken(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
		is   error
	}{
		{name: "one line", text: "The demo aborts.\n", want: "The demo aborts."},
		{name: "no final newline", text: "The demo aborts.", want: "The demo aborts."},
		{name: "first paragraph only", text: "The demo\n  aborts.\n\nMore for people.\n", want: "The demo aborts."},
		{name: "comments and blank lines first", text: "# see meta/README.md\n\n\n# and this\nBoth fail.\n", want: "Both fail."},
		{name: "a comment inside the paragraph", text: "One\n# aside\ntwo.\n", want: "One two."},
		{name: "CRLF and tabs", text: "a\tb\r\nc\r\n\r\nd\r\n", want: "a b c"},
		{name: "Unicode", text: "fails on OSv — see README\n", want: "fails on OSv — see README"},
		{name: "empty", text: "", is: ErrNoReason},
		{name: "only comments and blanks", text: "# TODO\n \n\t\n", is: ErrNoReason},
		{name: "not UTF-8", text: "a\xffb", is: ErrNotUTF8},
		{name: "escape sequence", text: "a\x1b[2Jb", is: ErrControlChar},
		{name: "control character after the reason is ignored", text: "ok\n\n\x1b[2J", want: "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKnownBroken([]byte(tc.text))
			if tc.is != nil {
				assert.Assert(t, errors.Is(err, tc.is), "got %q, %v", got, err)
				assert.Equal(t, got, "")
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
		})
	}
}
