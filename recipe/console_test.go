package recipe

import (
	"strings"
	"testing"
)

// The consoles are shaped as real OSv prints them (loader.cc, core/app.cc, runtime.cc) and as the
// OSv stand-in does (testdata/osv-standin).
func TestParseConsole(t *testing.T) {
	const banner = "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from Hard Disk...\r\nOSv v0.57.0-398-g0e34e4dc\r\nBooted up in 0.00 ms\r\n"
	tests := []struct {
		name        string
		console     string
		started     bool
		wantStarted bool
		wantProgram string
		wantFailure string
	}{
		{
			name:        "program output only",
			console:     banner + "Cmdline: /hello $ARGS\r\nHello from pkgdriver\r\nsum = 42\r\n",
			wantStarted: true, wantProgram: "Hello from pkgdriver\nsum = 42\n",
		},
		{
			name:        "never reached the command line",
			console:     banner,
			wantStarted: false,
		},
		{
			name:        "expectation only in the echoed command line",
			console:     banner + "Cmdline: /does-not-exist proof-of-life\r\nFailed to load object: /does-not-exist. Powering off.\r\n",
			wantStarted: true, wantProgram: "",
			wantFailure: `OSv could not load the program /does-not-exist (it does not exist, or is not an executable OSv can load)`,
		},
		{
			name:        "error status (verbose OSv)",
			console:     banner + "Cmdline: /tool\nworking\nprogram /tool returned 3\nPowering off.\n",
			wantStarted: true, wantProgram: "working\n", wantFailure: "the program /tool exited with status 3",
		},
		{
			name: "verbose loading notes are the kernel's",
			console: banner + "Cmdline: /tool\n/tool: ignoring missing symbol __cxa_thread_atexit_impl\ncould not load libfoo.so\nok\n" +
				"program /tool returned 0\n",
			wantStarted: true, wantProgram: "ok\n",
		},
		{
			name: "verbose OSv notes between and after the program's lines (real OSv 0e34e4dc)",
			console: banner + "Cmdline: /hello $ARGS\r\nrandom: device unblocked.\r\nHello from pkgdriver's native example\r\n" +
				"sum of squares 1..1000 = 333833500\r\nVFS: unmounting /dev\r\nROFS: hit ratio is 93.10%\r\nPowering off.\r\n",
			wantStarted: true, wantProgram: "Hello from pkgdriver's native example\nsum of squares 1..1000 = 333833500\n",
		},
		{
			name:        "status 0 is no failure",
			console:     banner + "Cmdline: /tool\nok\nprogram /tool returned 0\n",
			wantStarted: true, wantProgram: "ok\n",
		},
		{
			name: "abort with backtrace",
			console: banner + "Cmdline: /node app.js\nstarted\nAssertion failed: pte (core/mmu.cc: procfs_maps: 1234)\n\n[backtrace]\n" +
				"0x000000004022a3bc <__assert_fail+28>\n0x00000000403a1c2d <procfs_maps()+461>\n",
			wantStarted: true, wantProgram: "started\n\n", wantFailure: "OSv aborted: Assertion failed: pte (core/mmu.cc: procfs_maps: 1234)",
		},
		{
			name: "a crash after the output (real OSv, Open MPI's MPI_Finalize)",
			console: banner + "Cmdline: $PROGRAM\r\nmpi-hello: rank 0 of 1: allreduce sum = 42\r\n[osv:00002] *** Process received signal ***\r\n" +
				"Uncaught signal 11 (\"Segmentation fault\"). Powering off.\r\n",
			wantStarted: true, wantProgram: "mpi-hello: rank 0 of 1: allreduce sum = 42\n[osv:00002] *** Process received signal ***\n",
			wantFailure: "the program crashed: signal 11 (Segmentation fault)",
		},
		{
			name:        "other launch error",
			console:     banner + "Cmdline: /lib.so\nFailed looking up main. Powering off.\n",
			wantStarted: true, wantFailure: "OSv could not start the program: Failed looking up main",
		},
		{
			name:        "stand-in: no such program",
			console:     "OSv v0.0.1-standin\r\nCmdline: /nope x\r\nstand-in: /nope: no such file\r\n",
			wantStarted: true, wantFailure: "the kernel could not load the program /nope (no such file)",
		},
		{
			name:        "kept part of a long console",
			console:     "tail of the program's output\n",
			started:     true,
			wantStarted: true, wantProgram: "tail of the program's output\n",
		},
		{
			name:        "colours and a control character in a path",
			console:     "Cmdline: /x\n\x1b[1mbold\x1b[0m\nFailed to load object: /a\x07b. Powering off.\n",
			wantStarted: true, wantProgram: "bold\n", wantFailure: "OSv could not load the program /a?b (it does not exist, or is not an executable OSv can load)",
		},
		{
			name:        "only the first echo starts the program",
			console:     "Cmdline: /a\nCmdline: printed by the program\n",
			wantStarted: true, wantProgram: "Cmdline: printed by the program\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseConsole(tt.console, tt.started)
			if c.Started != tt.wantStarted || c.Program != tt.wantProgram || c.Failure != tt.wantFailure {
				t.Fatalf("ParseConsole =\n  Started %v, Program %q, Failure %q\nwant\n  Started %v, Program %q, Failure %q",
					c.Started, c.Program, c.Failure, tt.wantStarted, tt.wantProgram, tt.wantFailure)
			}
		})
	}
}

func TestMismatchCutsLongExpectations(t *testing.T) {
	long := strings.Repeat("word ", 100000)
	m, err := NewMatcher(long)
	if err != nil {
		t.Fatal(err)
	}
	mm := m.Explain("something else entirely")
	if mm == nil {
		t.Fatal("no mismatch")
	}
	msg := mm.Error()
	if len(msg) > ExpectedShown+2000 {
		t.Fatalf("the message has %d bytes for a %d-byte expectation", len(msg), len(long))
	}
	if !strings.Contains(msg, "bytes in all: the test log has the whole text") {
		t.Fatalf("the message does not say it was cut:\n%s", msg[:200])
	}
}
