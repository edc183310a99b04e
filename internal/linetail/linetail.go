// Package linetail keeps the last lines of a program's output, made safe to print.
package linetail

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Tail keeps the last n lines written to it, each cut to maxLineLen, in bounded memory
// whatever is written (a gigabyte without a newline included). The lines come from recipes and
// unikernels and end up on terminals, in report.json and in junit.xml, so they are made
// printable: invalid UTF-8 becomes U+FFFD and control characters are shown escaped (\x1b), so
// a recipe's output can neither steer the user's terminal nor break a report.
type Tail struct {
	mu    sync.Mutex
	n     int
	lines []string
	cur   []byte
}

const maxLineLen = 512

func New(n int) *Tail { return &Tail{n: n} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	written := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLineLen - len(t.cur); room > 0 {
			t.cur = append(t.cur, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			break
		}
		t.push(string(t.cur))
		t.cur = t.cur[:0]
		p = p[i+1:]
	}
	return written, nil
}

func (t *Tail) push(line string) {
	t.lines = append(t.lines, Printable(line))
	if len(t.lines) > t.n {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-t.n:]...)
	}
}

// Lines returns the last lines, including an unfinished last one.
func (t *Tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if len(t.cur) > 0 {
		out = append(out, Printable(string(t.cur)))
		if len(out) > t.n {
			out = out[len(out)-t.n:]
		}
	}
	return out
}

// Last returns the latest non-empty line, for the live view.
func (t *Tail) Last() string {
	l := t.Lines()
	for i := len(l) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(l[i]); s != "" {
			return s
		}
	}
	return ""
}

// ansiSequence matches terminal escape sequences: CSI (colours, cursor moves), OSC (titles)
// and two-byte escapes.
var ansiSequence = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]`)

// StripANSI drops terminal escape sequences, for output read as text (a build's colours).
func StripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiSequence.ReplaceAllString(s, "")
}

// Printable drops a line's trailing carriage returns, replaces invalid UTF-8 with U+FFFD and
// escapes control characters other than tab.
func Printable(line string) string {
	line = strings.ToValidUTF8(strings.TrimRight(line, "\r"), "\uFFFD")
	if !strings.ContainsFunc(line, isControl) {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isControl reports C0 and C1 control characters and DEL, except tab.
func isControl(r rune) bool {
	return r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0))
}
