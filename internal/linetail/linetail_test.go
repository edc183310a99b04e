package linetail

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestLineTailLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxLineLen+100)
	tests := []struct {
		name   string
		n      int
		writes []string
		want   []string
	}{
		{name: "nothing written", n: 3, want: []string{}},
		{name: "fewer lines than n", n: 3, writes: []string{"a\nb\n"}, want: []string{"a", "b"}},
		{name: "keeps the last n", n: 3, writes: []string{"a\nb\nc\nd\ne\n"}, want: []string{"c", "d", "e"}},
		{name: "lines split across writes", n: 3, writes: []string{"he", "llo\nwo", "rld\n"}, want: []string{"hello", "world"}},
		{name: "CRLF endings are stripped", n: 3, writes: []string{"a\r\nb\r\n"}, want: []string{"a", "b"}},
		{name: "CR before LF in the next write", n: 3, writes: []string{"a\r", "\nb\n"}, want: []string{"a", "b"}},
		{name: "empty lines are kept", n: 3, writes: []string{"a\n\nb\n"}, want: []string{"a", "", "b"}},
		{name: "unfinished last line is included", n: 3, writes: []string{"a\nb\npart"}, want: []string{"a", "b", "part"}},
		{name: "unfinished last line counts toward n", n: 2, writes: []string{"a\nb\npart"}, want: []string{"b", "part"}},
		{name: "long line is cut", n: 2, writes: []string{long + "\nshort\n"}, want: []string{long[:maxLineLen], "short"}},
		{name: "long line cut across writes", n: 2, writes: []string{long[:300], long[300:], "\n"}, want: []string{long[:maxLineLen]}},
		{name: "n of zero keeps nothing", n: 0, writes: []string{"a\nb\npart"}, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tail := New(tc.n)
			for _, w := range tc.writes {
				n, err := tail.Write([]byte(w))
				assert.NilError(t, err)
				assert.Equal(t, n, len(w))
			}
			got := tail.Lines()
			if got == nil {
				got = []string{}
			}
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestLineTailLast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write string
		want  string
	}{
		{name: "empty", write: "", want: ""},
		{name: "last complete line", write: "one\ntwo\n", want: "two"},
		{name: "skips blank lines", write: "one\n\n   \n\t\n", want: "one"},
		{name: "unfinished line wins", write: "one\npart", want: "part"},
		{name: "trims spaces", write: "  spaced  \n", want: "spaced"},
		{name: "only blanks", write: "\n \n", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tail := New(5)
			_, _ = tail.Write([]byte(tc.write))
			assert.Equal(t, tail.Last(), tc.want)
		})
	}
}

// A build that prints megabytes without a newline (a progress bar, a binary dumped to the
// terminal) must not make the tail grow with it.
func TestLineTailBoundedMemory(t *testing.T) {
	t.Parallel()
	tail := New(3)
	big := bytes.Repeat([]byte("y"), 10<<20)
	n, err := tail.Write(big)
	assert.NilError(t, err)
	assert.Equal(t, n, len(big))
	lines := tail.Lines()
	assert.Equal(t, len(lines), 1)
	assert.Assert(t, len(lines[0]) <= maxLineLen, "unfinished line is %d bytes", len(lines[0]))
	assert.Assert(t, cap(tail.cur) <= 2*maxLineLen, "buffer grew to %d bytes", cap(tail.cur))

	// The newline that finally comes ends the cut line; the next line starts afresh.
	_, _ = tail.Write([]byte("\nnext\n"))
	assert.DeepEqual(t, tail.Lines(), []string{strings.Repeat("y", maxLineLen), "next"})

	// Many short lines keep only n of them, and the slice does not keep growing either.
	for i := 0; i < 100000; i++ {
		_, _ = tail.Write([]byte("line\n"))
	}
	assert.Equal(t, len(tail.lines), 3)
	assert.Assert(t, cap(tail.lines) <= 16, "line slice grew to %d", cap(tail.lines))
}

// The live view reads the tail while the container's output is written into it.
func TestLineTailConcurrent(t *testing.T) {
	t.Parallel()
	tail := New(10)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				_, _ = tail.Write([]byte("line\n"))
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				_ = tail.Last()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, len(tail.Lines()), 10)
}

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
