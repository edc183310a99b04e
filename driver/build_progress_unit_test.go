package driver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// Without a terminal, each Dockerfile step is one log event, with the step, the count and the
// time since the build started.
func TestBuildProgressLogsEachStep(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	p := newBuildProgress(zerolog.New(&logs), nil)
	p.Step(1, 2, "FROM debian")
	p.Write([]byte("output\n"))
	p.Step(2, 2, "RUN make")
	p.Close()

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	assert.Equal(t, len(lines), 2, logs.String())
	for i, want := range []string{"FROM debian", "RUN make"} {
		var ev map[string]any
		assert.NilError(t, json.Unmarshal([]byte(lines[i]), &ev))
		assert.Equal(t, ev["message"], "toolchain image build")
		assert.Equal(t, ev["instruction"], want)
		assert.Equal(t, ev["step"], float64(i+1))
		assert.Equal(t, ev["steps"], float64(2))
		assert.Check(t, ev["elapsed_seconds"] != nil)
	}
}

// On a terminal, one line shows the step, the elapsed time and the last output line, and is
// cleared when the build ends; no log events are written.
func TestBuildProgressTerminalLine(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var term testutil.SyncBuffer
	p := newBuildProgress(zerolog.New(&logs), &term)
	p.Step(4, 12, "RUN ./scripts/build fs=rofs")
	p.Write([]byte("CC core/mmu.cc\nLD loader.elf\n"))
	p.Write([]byte(" ---> Running in 0123456789ab\n"))
	line := p.line(p.start.Add(3*time.Minute + 2*time.Second))
	assert.Check(t, is.Contains(line, "step 4/12 RUN ./scripts/build fs=rofs"))
	assert.Check(t, is.Contains(line, "3m2s"))
	assert.Check(t, is.Contains(line, "LD loader.elf"))
	time.Sleep(2 * buildRefresh)
	p.Close()
	assert.Check(t, is.Contains(term.String(), "step 4/12"), "the line was drawn")
	assert.Check(t, strings.HasSuffix(term.String(), "\r\x1b[K"), "the line was cleared: %q", term.String())
	assert.Equal(t, logs.String(), "")
}
