package driver

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// buildProgress shows a toolchain image build as it goes, the longest step of a run: on a
// terminal one line redrawn in place (the Dockerfile step, the time since the build started,
// the build's last line of output); otherwise one log event per step.
type buildProgress struct {
	log   zerolog.Logger
	out   io.Writer // the terminal; nil: log events only
	start time.Time
	tail  *linetail.Tail

	mu          sync.Mutex
	base        int // steps of the earlier builds shown by this progress
	step, total int
	instruction string
	stepStart   time.Time
	drawn       bool

	redraw *redrawer // nil without a terminal
}

var _ engine.BuildObserver = (*buildProgress)(nil)

// buildRefresh is how often the terminal line is redrawn.
const buildRefresh = 500 * time.Millisecond

// newBuildProgress starts showing a build; Close ends it. out is the terminal, or nil.
func newBuildProgress(log zerolog.Logger, out io.Writer) *buildProgress {
	now := time.Now()
	p := &buildProgress{log: log, out: out, start: now, stepStart: now, tail: linetail.New(1)}
	if out != nil {
		p.redraw = startRedraw(buildRefresh, p.draw)
	}
	return p
}

// Write takes the build's output; the engine's own bookkeeping lines (" ---> Running in ...",
// "Removing intermediate container ...", the step lines) are not what a user waits to see.
func (p *buildProgress) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		s := strings.TrimSpace(line)
		if s == "" || strings.HasPrefix(s, "---> ") || strings.HasPrefix(s, "Step ") ||
			strings.HasPrefix(s, "Removing intermediate container") {
			continue
		}
		p.tail.Write([]byte(line))
	}
	return len(b), nil
}

// Step is called as each Dockerfile instruction starts.
func (p *buildProgress) Step(n, total int, instruction string) {
	p.mu.Lock()
	n, total = p.base+n, p.base+total
	p.step, p.total, p.instruction, p.stepStart = n, total, instruction, time.Now()
	p.mu.Unlock()
	if p.out == nil {
		p.log.Info().Int("step", n).Int("steps", total).Str("instruction", truncate(instruction, 120)).
			Float64("elapsed_seconds", time.Since(p.start).Round(time.Second).Seconds()).Msg("toolchain image build")
	}
}

// nextBuild starts showing the next build of the same image (the toolchain's kernel, then capstan
// added to it): its steps are numbered after the earlier builds'.
func (p *buildProgress) nextBuild() {
	p.mu.Lock()
	p.base = p.total
	p.mu.Unlock()
}

// Close stops the terminal line and clears it.
func (p *buildProgress) Close() { p.redraw.Stop() }

// draw rewrites the line drawn last time; the final draw clears it.
func (p *buildProgress) draw(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.out, "\r\x1b[K")
		p.drawn = false
	}
	if final {
		return
	}
	fmt.Fprint(p.out, p.line(time.Now()))
	p.drawn = true
}

// line is the terminal line: "toolchain image  step 5/12 RUN ...  3m02s  last output".
func (p *buildProgress) line(now time.Time) string {
	step := "preparing"
	if p.total > 0 {
		step = fmt.Sprintf("step %d/%d %s", p.step, p.total, truncate(p.instruction, 40))
	}
	s := fmt.Sprintf("  toolchain image  %s  %s  %s", step, now.Sub(p.start).Round(time.Second), p.tail.Last())
	return truncate(s, 120)
}
