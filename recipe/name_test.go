package recipe

import (
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"erlang", true},
		{"osv.nfs", true},
		{"erlang-7.0", true},
		{"libstdc++", true},
		{"node_modules", true},
		{"user@host", true},
		{"0ad", true},
		{"A", true},
		{strings.Repeat("a", MaxNameLen), true},
		{"", false},
		{strings.Repeat("a", MaxNameLen+1), false},
		{"has space", false},
		{" lead", false},
		{"tab\tname", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"bell\x07", false},
		{"del\x7f", false},
		{"..", false},
		{"a..b", false},
		{"../etc", false},
		{"a/b", false},
		{`a\b`, false},
		{".hidden", false},
		{".", false},
		{"-flag", false},
		{"+plus", false},
		{"@at", false},
		{"all", false},
		{"j\u0430va", false},   // Cyrillic а
		{"\u0435rlang", false}, // Cyrillic е
		{"caf\u00e9", false},
		{"ｅrlang", false}, // full-width e
		{"zero\u200bwidth", false},
		{"bad\xffutf8", false},
		{"a:b", false},
		{"a*b", false},
		{"a$b", false},
		{"a'b", false},
		{"[]", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.name)
			if tc.ok {
				assert.NilError(t, err)
				return
			}
			assert.Assert(t, errors.Is(err, ErrBadName), "ValidateName(%q) = %v", tc.name, err)
		})
	}
}

func TestValidateNameMessageShowsInvisibleCharacters(t *testing.T) {
	err := ValidateName("a\tb")
	assert.ErrorContains(t, err, `'\t' at byte 1`)
	err = ValidateName("j\u0430va")
	assert.ErrorContains(t, err, "U+0430")
}

func TestDisplayName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nginx", "nginx"},
		{"osv.httpserver-api", "osv.httpserver-api"},
		{"evil\x1b]0;pwned\x07", `"evil\x1b]0;pwned\a"`},
		{"\x1b[2J\x1b[Hclear", `"\x1b[2J\x1b[Hclear"`},
		{"two\nlines", `"two\nlines"`},
		{"tab\there", `"tab\there"`},
		{"rtl\u202eexe", `"rtl\u202eexe"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"j\u0430va", "\"j\u0430va\""},
		{".hidden", `".hidden"`},
		{"-lead", `"-lead"`},
		{"all", `"all"`},
		{strings.Repeat("a", MaxNameLen+1), `"` + strings.Repeat("a", MaxNameLen+1) + `"`},
	} {
		got := DisplayName(tc.in)
		assert.Equal(t, got, tc.want, "%q", tc.in)
		for _, r := range got {
			assert.Assert(t, r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) && r != '\u202e', "%q holds %U", got, r)
		}
	}
}
