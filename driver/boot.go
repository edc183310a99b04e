package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/pkgdriver/pkgdriver/recipe"
)

const containerTestImage = "/pkgdriver/test/image.raw"

// errMatched ends a boot early: the expected output has appeared, so a server that never powers
// off passes as soon as it has said what it must.
var errMatched = errors.New("the expected output appeared")

// qemuArgs is the QEMU command line that boots a composed image with its console on stdout,
// no network, and KVM when the run found it working.
func (r *Run) qemuArgs() []string {
	args := []string{"qemu-system-x86_64",
		"-m", strconv.FormatInt(max(r.Config.TestMemory>>20, 256), 10) + "M", "-smp", "2",
		"-display", "none", "-serial", "stdio", "-monitor", "none", "-nodefaults", "-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-drive", "file=" + containerTestImage + ",if=none,id=hd0,format=raw,cache=unsafe",
		"-device", "virtio-blk-pci,drive=hd0,bootindex=0",
		"-device", "virtio-rng-pci",
	}
	if r.Accel == AccelKVM {
		args = append(args, "-enable-kvm", "-cpu", "host,+x2apic")
	}
	return args
}

// boot runs the image under QEMU in a container from the toolchain image, the console going to
// log/<recipe>.test.log, until the expected output appears, QEMU exits, or --test-timeout.
func (d *demoTest) boot(ctx context.Context, image string, matcher *recipe.Matcher) error {
	r, name := d.run, d.recipe.Name
	logf, err := os.Create(filepath.Join(r.Layout.Root, d.res.Log))
	if err != nil {
		return d.fail("boot", err)
	}
	defer logf.Close()

	bctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tctx, cancelT := context.WithTimeoutCause(bctx, r.Config.TestTimeout, errTimedOut{r.Config.TestTimeout})
	defer cancelT()
	watch := newConsoleWatch(matcher, func() { cancel(errMatched) })
	defer watch.Stop()

	id, err := r.Runner.Create(ctx, ContainerSpec{
		Image: r.Toolchain.ID, Cmd: r.qemuArgs(), Labels: r.labels("test", name),
		Devices: r.Devices, NoNetwork: true, CPUs: r.Config.CPUs, PidsLimit: r.Config.PidsLimit,
	})
	if err != nil {
		return d.fail("boot", err)
	}
	defer r.removeContainer(ctx, id)
	if err := d.copyImage(ctx, id, image); err != nil {
		return d.fail("boot", err)
	}
	out := io.MultiWriter(logf, watch)
	exit, err := r.Runner.Run(tctx, id, out, out)
	watch.Stop()
	d.res.LogTail = watch.tail.Lines()
	if errors.Is(err, errMatched) || (err == nil && watch.Matched()) {
		return nil
	}
	if err != nil && ctx.Err() != nil {
		return d.fail("boot", context.Cause(ctx))
	}
	var timedOut errTimedOut
	if errors.As(err, &timedOut) {
		if watch.Matched() {
			return nil
		}
		return d.fail("boot", fmt.Errorf("%w: the unikernel neither printed the expected output nor powered off", err))
	}
	if err != nil {
		return d.fail("boot", err)
	}
	if mm := matcher.Explain(watch.Output()); mm != nil {
		d.res.Phase = "match"
		return fmt.Errorf("recipe %s: demo: QEMU exited with status %d; %w", name, exit.Code, mm)
	}
	return nil
}

func (d *demoTest) copyImage(ctx context.Context, id, image string) error {
	pr, pw := io.Pipe()
	go func() {
		tw := newTarWriter(pw)
		err := tw.file(ctx, image, path.Join(containerTestImage[1:]))
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := d.run.Runner.CopyIn(ctx, id, "/", pr)
	pr.CloseWithError(err)
	return err
}

// consoleWatch keeps the console (bounded) and calls matched once the expected text is in it.
// Matching runs in its own goroutine so a fast console never waits for the regular expression.
type consoleWatch struct {
	matcher *recipe.Matcher
	tail    *lineTail

	mu      sync.Mutex
	buf     []byte
	matched bool
	kick    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// consoleKeep bounds what is kept for matching; the expected text is small and near the end.
const consoleKeep = 4 << 20

func newConsoleWatch(m *recipe.Matcher, matched func()) *consoleWatch {
	w := &consoleWatch{matcher: m, tail: newLineTail(failureTailLines), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-w.done:
				return
			case <-w.kick:
				if m.Match(w.Output()) {
					w.mu.Lock()
					first := !w.matched
					w.matched = true
					w.mu.Unlock()
					if first {
						matched()
					}
				}
			}
		}
	}()
	return w
}

func (w *consoleWatch) Write(p []byte) (int, error) {
	w.tail.Write(p)
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > consoleKeep {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-consoleKeep/2:]...)
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return len(p), nil
}

// Output is the console kept so far.
func (w *consoleWatch) Output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// Matched reports whether the expected text appeared, checking once more what arrived last.
func (w *consoleWatch) Matched() bool {
	w.mu.Lock()
	m := w.matched
	w.mu.Unlock()
	return m || w.matcher.Match(w.Output())
}

func (w *consoleWatch) Stop() { w.once.Do(func() { close(w.done) }) }
