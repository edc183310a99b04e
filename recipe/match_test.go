package recipe

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestMatcher(t *testing.T) {
	tests := []struct {
		name     string
		expected string
		output   string
		want     bool
	}{
		{"exact", "hello", "hello", true},
		{"inside boot messages", "Hello from C code", "OSv v0.57.0\nBooted up in 120 ms\nHello from C code\n", true},
		{"trimmed", "\n\n  hello world \n\n", "xx hello world yy", true},
		{"whitespace run matches newline", "a b", "a\n\t b", true},
		{"newline run matches a space", "line one\nline two", "line one line two", true},
		{"whitespace needed where expected has it", "a b", "ab", false},
		{"multi-line", "first\nsecond\nthird", "boot\r\nfirst\r\nsecond\r\nthird\r\n", true},
		{"multi-line out of order", "first\nsecond", "second\nfirst\n", false},
		{"CRLF console", "x = 1\ny = 2", "x = 1\r\ny = 2\r\n", true},
		{"CRLF in expected file", "x = 1\r\ny = 2\r\n", "x = 1\ny = 2\n", true},
		{"dot is literal", "v1.2", "v1x2", false},
		{"dot matches dot", "v1.2", "v1.2", true},
		{"star is literal", "a*b", "aaab", false},
		{"parentheses and pipe", "f(x) | g(y)", "f(x) | g(y)", true},
		{"pipe is not alternation", "yes|no", "yes", false},
		{"question mark literal", "ok?", "ok", false},
		{"brackets literal", "[a-z]+", "[a-z]+", true},
		{"brackets not a class", "[a-z]", "q", false},
		{"backslash literal", `C:\path\n`, `C:\path\n`, true},
		{"caret and dollar literal", "^start$", "x ^start$ y", true},
		{"ANSI colours ignored", "PASSED all", "\x1b[32mPASSED\x1b[0m all", true},
		{"ANSI cursor codes ignored", "ready", "\x1b[2J\x1b[Hready", true},
		{"NUL bytes ignored", "abc", "a\x00bc", true},
		{"case matters", "Hello", "hello", false},
		{"missing text", "goodbye", "hello", false},
		{"unicode", "héllo wörld", "héllo   wörld", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMatcher(tc.expected)
			assert.NilError(t, err)
			assert.Equal(t, m.Match(tc.output), tc.want)
			if tc.want {
				assert.Check(t, m.Explain(tc.output) == nil)
			} else {
				assert.Check(t, m.Explain(tc.output) != nil)
			}
		})
	}
}

func TestMatcherEmpty(t *testing.T) {
	for _, s := range []string{"", "  \n\t "} {
		_, err := NewMatcher(s)
		assert.Check(t, errors.Is(err, ErrEmptyExpected))
	}
}

func TestMismatchShowsClosestPart(t *testing.T) {
	m, err := NewMatcher("sum = 42\nproduct = 99\ndone")
	assert.NilError(t, err)
	out := strings.Repeat("noise\n", 300) + "sum = 42\nproduct = 98\ndone\n" + strings.Repeat("tail\n", 10)
	mm := m.Explain(out)
	assert.Assert(t, mm != nil)
	assert.Equal(t, mm.Matched, 5)
	assert.Equal(t, mm.Words, 7)
	assert.Check(t, is.Contains(mm.Closest, "product = 98"))
	assert.Check(t, !strings.Contains(mm.Closest, "noise"))
	assert.Check(t, is.Contains(mm.Error(), "first 5 of 7 words"))
	assert.Check(t, is.Contains(mm.Error(), "  | product = 99"))

	mm = m.Explain("nothing like it\n")
	assert.Equal(t, mm.Matched, 0)
	assert.Check(t, is.Contains(mm.Error(), `not even its first word "sum"`))
	assert.Check(t, is.Contains(mm.Error(), "nothing like it"))
}

func FuzzMatcher(f *testing.F) {
	f.Add("a b", "xx a  b yy")
	f.Add("f(x)|[y]*", "f(x)|[y]*")
	f.Add("\x1b[1m", "bold")
	f.Add("\xff\xfe", "\xff\xfe")
	f.Fuzz(func(t *testing.T, expected, output string) {
		m, err := NewMatcher(expected)
		if err != nil {
			return
		}
		got := m.Match(output)
		if (m.Explain(output) == nil) != got {
			t.Fatalf("Match and Explain disagree for %q in %q", expected, output)
		}
		// The expected text's own normal form always matches itself.
		if !m.Match(strings.Join(strings.Fields(expected), " ")) && CleanConsole(expected) == expected && utf8.ValidString(expected) {
			t.Fatalf("%q does not match itself", expected)
		}
	})
}
