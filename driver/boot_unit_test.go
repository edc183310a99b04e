package driver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

func TestVerdict(t *testing.T) {
	const echo = "OSv v0.57.0\nCmdline: /prog proof-of-life\n"
	timedOut := errTimedOut{time.Minute}
	tests := []struct {
		name      string
		console   string
		exit      int
		err       error
		wantErr   string // "" passes
		wantPhase string
	}{
		{name: "printed by the program", console: echo + "proof-of-life\n", exit: 0},
		{name: "server matched, then stopped", console: echo + "proof-of-life\n", err: errMatched},
		{name: "server matched before the timeout", console: echo + "proof-of-life\n", err: timedOut},
		{name: "only in the echoed command line", console: echo + "Failed to load object: /prog. Powering off.\n",
			wantErr: "OSv could not load the program /prog", wantPhase: "run"},
		{name: "only in the kernel banner", console: "OSv proof-of-life\nCmdline: /prog\nother\n",
			wantErr: "not even its first word", wantPhase: "match"},
		{name: "printed, then an error status", console: echo + "proof-of-life\nprogram /prog returned 1\n",
			wantErr: "exited with status 1", wantPhase: "run"},
		{name: "printed, then aborted", console: echo + "proof-of-life\nAborted\n\n[backtrace]\n", err: errMatched,
			wantErr: "OSv aborted: Aborted", wantPhase: "run"},
		{name: "stand-in status", console: echo + "proof-of-life\n", exit: 7, wantErr: "the program exited with status 3", wantPhase: "run"},
		{name: "stand-in clean power-off", console: echo + "proof-of-life\n", exit: 1},
		{name: "never started", console: "SeaBIOS\n", exit: 0, wantErr: "before the kernel echoed its command line", wantPhase: "boot"},
		{name: "hung before starting", console: "SeaBIOS\n", err: timedOut, wantErr: "never echoed its command line", wantPhase: "boot"},
		{name: "hung after starting", console: echo + "other\n", err: timedOut, wantErr: "neither printed the expected output nor powered off", wantPhase: "boot"},
		{name: "engine error", console: echo, err: errors.New("engine gone"), wantErr: "engine gone", wantPhase: "boot"},
	}
	m, err := recipe.NewMatcher("proof-of-life")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &demoTest{recipe: &recipe.Recipe{Name: "demo"}, res: &report.TestResult{}}
			err := d.verdict(recipe.ParseConsole(tt.console, false), m, engine.Exit{Code: tt.exit}, tt.err)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("failed: %v", err)
			case tt.wantErr == "":
				return
			case err == nil:
				t.Fatalf("passed, want an error containing %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "recipe demo"):
				t.Fatalf("err = %v, want it to name the recipe and contain %q", err, tt.wantErr)
			case d.res.Phase != tt.wantPhase:
				t.Fatalf("phase = %q, want %q", d.res.Phase, tt.wantPhase)
			}
		})
	}
}

// A console longer than what is kept still remembers that the program started and a failure
// seen in the part that was dropped.
func TestConsoleWatchKeepsStartAndFailure(t *testing.T) {
	m, err := recipe.NewMatcher("never printed")
	if err != nil {
		t.Fatal(err)
	}
	w := newConsoleWatch(m, func() {})
	defer w.Stop()
	w.Write([]byte("Cmdline: /prog\nAborted\n"))
	chunk := []byte(strings.Repeat("x", 1<<20) + "\n")
	for range 6 {
		w.Write(chunk)
	}
	c := w.Console()
	if !c.Started || c.Failure != "OSv aborted: Aborted" {
		t.Fatalf("Console() = Started %v, Failure %q; want the start and the failure remembered", c.Started, c.Failure)
	}
}

// A kernel with a PVH entry is booted directly, with the composed image as its disk and the
// image's command line; otherwise the firmware boots the image's boot sector.
func TestQEMUArgsBoot(t *testing.T) {
	const cmdline = `--rootfs=rofs --verbose /prog "a b"`
	for _, tc := range []struct {
		direct bool
		want   string
		absent string
	}{
		{direct: false, want: " -device virtio-blk-pci,drive=hd0,bootindex=0 ", absent: "-kernel"},
		{direct: true, want: " -device virtio-blk-pci,drive=hd0 -device virtio-rng-pci -kernel " + imageKernel + " -append " + cmdline, absent: "bootindex"},
	} {
		r := &Run{Config: &Config{TestMemory: 1 << 30}, Accel: AccelTCG, DirectKernel: tc.direct}
		args := r.qemuArgs(cmdline)
		got := strings.Join(args, " ") + " "
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.absent) {
			t.Errorf("direct=%v: %s\nwant %q and no %q", tc.direct, got, tc.want, tc.absent)
		}
		if tc.direct && args[len(args)-1] != cmdline {
			t.Errorf("the command line is not one argument: %q", args[len(args)-1])
		}
	}
}
