package recipe

import (
	"regexp"
	"strings"
)

// Console is a booted unikernel's console split into what the kernel said and what the program
// printed, so that a demo passes only on what its program printed.
type Console struct {
	// Started reports that the kernel echoed the command line ("Cmdline: ..."): it got as far as
	// starting the program.
	Started bool
	// Program is what followed the echoed command line, without the kernel's own lines.
	Program string
	// Failure says why the program did not run or run well, from the kernel's own lines: it
	// could not be loaded, it returned an error status, or the kernel aborted. Empty when none
	// was seen.
	Failure string
}

// cmdlineEcho is the line OSv's loader (and the stand-in) prints before it runs the command line.
var cmdlineEcho = regexp.MustCompile(`(?m)^Cmdline: .*$`)

// kernelLine is one kind of line the kernel prints after the command line, and what it means.
type kernelLine struct {
	re *regexp.Regexp
	// failure turns the submatches into a reason; nil for lines that are only noise.
	failure func(m []string) string
}

// kernelLines are OSv's messages about the program (loader.cc, core/app.cc, runtime.cc,
// core/mmu.cc) and the OSv stand-in's equivalents (testdata/osv-standin). Each line is matched
// whole, after terminal escapes and carriage returns are removed.
var kernelLines = []kernelLine{
	{regexp.MustCompile(`^Failed to load object: (.*)\. Powering off\.$`), func(m []string) string {
		return "OSv could not load the program " + quoteProgram(m[1]) + " (it does not exist, or is not an executable OSv can load)"
	}},
	{regexp.MustCompile(`^stand-in: (.*): (no such file|not a stand-in program)$`), func(m []string) string {
		return "the kernel could not load the program " + quoteProgram(m[1]) + " (" + m[2] + ")"
	}},
	{regexp.MustCompile(`^program (\S+) returned (-?[0-9]+)$`), func(m []string) string {
		if m[2] == "0" {
			return ""
		}
		return "the program " + quoteProgram(m[1]) + " exited with status " + m[2]
	}},
	{regexp.MustCompile(`^Uncaught signal ([0-9]+) \("(.*)"\)\. Powering off\.$`), func(m []string) string {
		return "the program crashed: signal " + m[1] + " (" + m[2] + ")"
	}},
	{regexp.MustCompile(`^(.*)\. Powering off\.$`), func(m []string) string {
		return "OSv could not start the program: " + m[1]
	}},
	{regexp.MustCompile(`^stand-in: (.*)$`), func(m []string) string { return "the kernel failed: " + m[1] }},
	{regexp.MustCompile(`^(Aborted|Assertion failed: .*|page fault outside application.*)$`), func(m []string) string {
		return "OSv aborted: " + m[1]
	}},
	{regexp.MustCompile(`^\[backtrace\]$`), nil},
	// --verbose: OSv's notes on loading, which are not failures by themselves.
	{regexp.MustCompile(`^\S+: ignoring missing symbol \S+$`), nil},
	{regexp.MustCompile(`^could not load \S+$`), nil},
	// --verbose: the kernel's own notes, which can land between a program's lines (the random
	// device unblocking) or follow them (unmounting, ROFS statistics at power-off).
	{regexp.MustCompile(`^(random|VFS|ROFS|devfs): .*$`), nil},
	{regexp.MustCompile(`^0x[0-9a-f]+ <.*>$`), nil},
	{regexp.MustCompile(`^(Powering off\.|Halting\.|Requested termination of .*, waiting\.\.\.)$`), nil},
}

// ParseConsole splits a console. started says the command line was already echoed before the
// start of output (a console kept only in part); otherwise the program's output starts after the
// first echoed command line, and nothing before it (firmware, kernel banner, the command line
// itself) counts. The first failure seen is kept.
func ParseConsole(output string, started bool) Console {
	out := strings.ReplaceAll(CleanConsole(output), "\r", "")
	c := Console{Started: started}
	if !started {
		loc := cmdlineEcho.FindStringIndex(out)
		if loc == nil {
			return c
		}
		c.Started = true
		out = strings.TrimPrefix(out[loc[1]:], "\n")
	}
	var kept []string
	for _, line := range strings.SplitAfter(out, "\n") {
		if k, m := matchKernelLine(strings.TrimRight(line, "\n")); k != nil {
			if k.failure != nil && c.Failure == "" {
				c.Failure = k.failure(m)
			}
			continue
		}
		kept = append(kept, line)
	}
	c.Program = strings.Join(kept, "")
	return c
}

func matchKernelLine(line string) (*kernelLine, []string) {
	for i := range kernelLines {
		if m := kernelLines[i].re.FindStringSubmatch(line); m != nil {
			return &kernelLines[i], m
		}
	}
	return nil, nil
}

// quoteProgram keeps a program path readable in a message without letting it carry control
// characters.
func quoteProgram(p string) string {
	const max = 200
	if len(p) > max {
		p = p[:max] + "…"
	}
	return strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, p), "?")
}
