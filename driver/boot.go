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
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
	"github.com/pkgdriver/pkgdriver/recipe"
)

const containerTestImage = "/pkgdriver/test/image.raw"

// errMatched ends a boot early: the expected output has appeared, so a server that never powers
// off passes as soon as it has said what it must.
var errMatched = errors.New("the expected output appeared")

// imageKernel is the kernel of the delivered loader.img in the toolchain image: OSv's
// loader.img is its boot sector and lzloader.elf, this file compressed.
const imageKernel = osvBuildDir + "/" + kernelStripped

// qemuArgs is the QEMU command line that boots a composed image, whose command line is cmdline,
// with its console on stdout, no network, and KVM when the run found it working.
//
// With r.DirectKernel, QEMU loads the kernel through its PVH entry (-kernel, the command line
// given with -append) and the composed image is only its disk: the same kernel, the same
// command line and the same file system, without the firmware's disk reads and the boot
// loader's decompression of the kernel, which take about 5 s under TCG against under 1 s for
// all the rest of a trivial demo (README: Demo tests). Otherwise, as Capstan does, the firmware
// boots the image's own boot sector.
func (r *Run) qemuArgs(cmdline string) []string {
	disk := "virtio-blk-pci,drive=hd0,bootindex=0"
	if r.DirectKernel {
		disk = "virtio-blk-pci,drive=hd0" // -kernel's option ROM takes boot index 0
	}
	args := []string{"qemu-system-x86_64",
		"-m", strconv.FormatInt(max(r.Config.TestMemory>>20, 256), 10) + "M", "-smp", "2",
		"-display", "none", "-serial", "stdio", "-monitor", "none", "-nodefaults", "-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-drive", "file=" + containerTestImage + ",if=none,id=hd0,format=raw,cache=unsafe",
		"-device", disk,
		"-device", "virtio-rng-pci",
	}
	if r.DirectKernel {
		args = append(args, "-kernel", imageKernel, "-append", cmdline)
	}
	if r.Accel == AccelKVM {
		args = append(args, "-enable-kvm", "-cpu", "host,+x2apic")
	}
	return args
}

// matchGrace is how long a unikernel that printed the expected output may go on before the test
// ends: long enough for a program that exits to power off (so an error status or a crash after
// its output still fails the test), short for a server that never powers off.
const matchGrace = 3 * time.Second

// boot runs the image under QEMU in a container from the toolchain image, the console going to
// log/<recipe>.test.log, until QEMU exits, the expected output has appeared (and matchGrace has
// passed), or --test-timeout. The verdict is taken from what the program printed, after the
// kernel echoed its command line, and from the kernel's own word on the program (see
// recipe.ParseConsole): an expectation met in the boot messages or the echoed command line does
// not count, and a program that cannot load, returns an error status or crashes fails.
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
	watch := newConsoleWatch(matcher, func() {
		time.AfterFunc(matchGrace, func() { cancel(errMatched) })
		if d.release != nil {
			d.release()
		}
	})
	defer watch.Stop()

	id, err := r.Engine.Create(ctx, engine.ContainerSpec{
		Image: r.Toolchain.ID, Cmd: r.qemuArgs(d.res.Cmdline), Labels: r.labels("test", name),
		Devices: r.Devices, NoNetwork: true, CPUs: r.Config.CPUs, PidsLimit: r.Config.PidsLimit,
	})
	if err != nil {
		return d.fail("boot", err)
	}
	defer r.removeContainer(ctx, id)
	d.res.Node = nodeOf(r.Engine, id)
	d.res.Boot = "disk"
	if r.DirectKernel {
		d.res.Boot = "kernel"
	}
	if err := d.copyImage(ctx, id, image); err != nil {
		return d.fail("boot", err)
	}
	out := io.MultiWriter(logf, watch)
	exit, err := r.Engine.Run(tctx, id, out, out)
	watch.Stop()
	d.res.LogTail = watch.tail.Lines()
	if err != nil && !errors.Is(err, errMatched) && ctx.Err() != nil {
		return d.fail("boot", context.Cause(ctx))
	}
	verr := d.verdict(watch.Console(), matcher, exit, err)
	var mm *recipe.Mismatch
	if errors.As(verr, &mm) && len(mm.Expected) > recipe.ExpectedShown {
		// The message shows the start of a long expectation; the test log keeps all of it.
		fmt.Fprintf(logf, "\npkgdriver: the expected output (demo/expected-stdout.txt), whole:\n%s\n", mm.Expected)
	}
	return verr
}

// verdict judges a boot from the program's part of the console, the kernel's word on the
// program, and how QEMU ended (err from the container's run, exit its status).
func (d *demoTest) verdict(con recipe.Console, matcher *recipe.Matcher, exit engine.Exit, err error) error {
	var timedOut errTimedOut
	switch {
	case con.Failure != "":
		d.res.Phase = "run"
		return fmt.Errorf("recipe %s: demo: %s", d.recipe.Name, con.Failure)
	case err == nil && standinStatus(exit.Code) > 0:
		d.res.Phase = "run"
		return fmt.Errorf("recipe %s: demo: the program exited with status %d", d.recipe.Name, standinStatus(exit.Code))
	case (err == nil || errors.Is(err, errMatched) || errors.As(err, &timedOut)) && matcher.Match(con.Program):
		return nil
	case !con.Started && errors.As(err, &timedOut):
		return d.fail("boot", fmt.Errorf("%w: the kernel never echoed its command line (it did not get as far as starting the program)", err))
	case errors.As(err, &timedOut):
		return d.fail("boot", fmt.Errorf("%w: the program neither printed the expected output nor powered off", err))
	case err != nil:
		return d.fail("boot", err)
	case !con.Started:
		return d.fail("boot", fmt.Errorf("QEMU exited with status %d before the kernel echoed its command line (the program never started)", exit.Code))
	}
	mm := matcher.Explain(con.Program)
	d.res.Phase = "match"
	return fmt.Errorf("recipe %s: demo: QEMU exited with status %d; %w", d.recipe.Name, exit.Code, mm)
}

// standinStatus is the status a kernel reported through QEMU's isa-debug-exit device (QEMU exits
// with status*2+1), or 0. OSv itself powers off through ACPI (QEMU exits with 0); the OSv
// stand-in reports its program's status this way.
func standinStatus(qemuExit int) int {
	if qemuExit > 1 && qemuExit%2 == 1 {
		return (qemuExit - 1) / 2
	}
	return 0
}

func (d *demoTest) copyImage(ctx context.Context, id, image string) error {
	pr, pw := io.Pipe()
	go func() {
		tw := tarball.NewWriter(pw)
		err := tw.File(ctx, image, path.Join(containerTestImage[1:]))
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := d.run.Engine.CopyIn(ctx, id, "/", pr)
	pr.CloseWithError(err)
	return err
}

// consoleWatch keeps the console (bounded) and calls matched once the expected text is in what
// the program printed. Matching runs in its own goroutine so a fast console never waits for the
// regular expression.
type consoleWatch struct {
	matcher *recipe.Matcher
	tail    *linetail.Tail

	mu      sync.Mutex
	buf     []byte
	started bool   // the command line was echoed in a part of buf already dropped
	failure string // a failure seen in a part of buf already dropped
	matched bool
	kick    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// consoleKeep bounds what is kept for matching; the expected text is small and near the end.
const consoleKeep = 4 << 20

func newConsoleWatch(m *recipe.Matcher, matched func()) *consoleWatch {
	w := &consoleWatch{matcher: m, tail: linetail.New(failureTailLines), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-w.done:
				return
			case <-w.kick:
				if m.Match(w.Console().Program) {
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
		// What is dropped still counts: whether the command line was echoed, and a failure.
		c := recipe.ParseConsole(string(w.buf), w.started)
		w.started = c.Started
		if w.failure == "" {
			w.failure = c.Failure
		}
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-consoleKeep/2:]...)
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return len(p), nil
}

// Console is the console kept so far, split into the kernel's part and the program's.
func (w *consoleWatch) Console() recipe.Console {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := recipe.ParseConsole(string(w.buf), w.started)
	if w.failure != "" {
		c.Failure = w.failure
	}
	return c
}

func (w *consoleWatch) Stop() { w.once.Do(func() { close(w.done) }) }
