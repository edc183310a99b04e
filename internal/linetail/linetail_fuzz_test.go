package linetail

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLineTail writes arbitrary output in arbitrary pieces and compares the tail with a model
// computed from the whole output: the last n lines, each cut to maxLineLen bytes, made
// printable. Every line it keeps is valid UTF-8 without control characters other than tab.
func FuzzLineTail(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), uint8(2), uint8(3))
	f.Add([]byte("no newline at all"), uint8(5), uint8(1))
	f.Add([]byte("bad \xff\xfe bytes\r\n\x1b[31mred\x1b[0m\n\x00\x07\n"), uint8(3), uint8(4))
	f.Add(bytes.Repeat([]byte("x"), 3*maxLineLen), uint8(7), uint8(2))
	f.Add([]byte("\r\r\n\n\r"), uint8(1), uint8(1))
	f.Add([]byte("héllo wörld \u00e9\u0085\n"), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, out []byte, chunk, n uint8) {
		tail := New(int(n % 8))
		step := int(chunk%64) + 1
		for i := 0; i < len(out); i += step {
			w, err := tail.Write(out[i:min(i+step, len(out))])
			if err != nil || w != min(step, len(out)-i) {
				t.Fatalf("Write = %d, %v", w, err)
			}
		}
		got := tail.Lines()
		want := modelTail(out, int(n%8))
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Fatalf("Lines() = %q, want %q", got, want)
		}
		for _, l := range got {
			if !utf8.ValidString(l) {
				t.Fatalf("line %q is not valid UTF-8", l)
			}
			for _, r := range l {
				if r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
					t.Fatalf("line %q holds control character %U", l, r)
				}
			}
		}
	})
}

// modelTail is Tail's behaviour, written the slow and obvious way.
func modelTail(out []byte, n int) []string {
	parts := bytes.Split(out, []byte("\n"))
	last := parts[len(parts)-1]
	parts = parts[:len(parts)-1]
	if len(last) > 0 {
		parts = append(parts, last)
	}
	var lines []string
	for _, p := range parts {
		if len(p) > maxLineLen {
			p = p[:maxLineLen]
		}
		lines = append(lines, Printable(string(p)))
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
