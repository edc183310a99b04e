package driver

import (
	"bytes"
	"strings"
	"sync"
)

// lineTail keeps the last n lines written to it, each cut to maxLineLen, in bounded memory
// whatever is written (a gigabyte without a newline included).
type lineTail struct {
	mu    sync.Mutex
	n     int
	lines []string
	cur   []byte
}

const maxLineLen = 512

func newLineTail(n int) *lineTail { return &lineTail{n: n} }

func (t *lineTail) Write(p []byte) (int, error) {
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

func (t *lineTail) push(line string) {
	line = strings.TrimRight(line, "\r")
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-t.n:]...)
	}
}

// Lines returns the last lines, including an unfinished last one.
func (t *lineTail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if len(t.cur) > 0 {
		out = append(out, strings.TrimRight(string(t.cur), "\r"))
		if len(out) > t.n {
			out = out[len(out)-t.n:]
		}
	}
	return out
}

// Last returns the latest non-empty line, for the live view.
func (t *lineTail) Last() string {
	l := t.Lines()
	for i := len(l) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(l[i]); s != "" {
			return s
		}
	}
	return ""
}
