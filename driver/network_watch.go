package driver

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// A build that needs the network when it is not there must fail at once, naming the address.
// Built-in recipes check first (need_url), but a recipe of the old container downloads inside
// OSv's scripts/build (wget, curl or git in a module's Makefile), and scripts/build reports the
// failed module and still exits 0, leaving an empty package. So the build's output is watched:
// the first line in which a download tool says it could not resolve or reach a host stops the
// build, and the recipe fails with errNeedsNetwork, whatever build.sh would have done next. So
// does scripts/build's own failure line (errOSvBuildFailed), which it also follows by exiting 0.

// errNeedsNetwork is why a build was stopped: Address (a URL, or a host when the tool gave no
// URL) could not be resolved or reached; Line is the tool's own line, for the log reference.
type errNeedsNetwork struct {
	Address, Line, Log string
}

func (e errNeedsNetwork) Error() string {
	return fmt.Sprintf("needs the network: %s (the build could not reach it and was stopped: %q; see %s)", e.Address, e.Line, e.Log)
}

// networkFailures are download tools' own words for "cannot resolve" and "cannot connect", each
// with the address as its first group: curl, git (over HTTP, git:// and ssh), wget, apt, pip
// (urllib3), Maven, and the built-in recipes' need_url.
var networkFailures = []*regexp.Regexp{
	regexp.MustCompile(`fatal: unable to access '([^']+)': (?:Could not resolve|Couldn't resolve|Failed to connect|Could not connect|Couldn't connect|Connection timed out|Resolving timed out)`),
	regexp.MustCompile(`curl: \(\d+\) Could(?: not|n't) resolve (?:host|proxy):? '?([^'\s]+)`),
	regexp.MustCompile(`curl: \(\d+\) Failed to connect to (\S+) port \d+`),
	regexp.MustCompile(`fatal: unable to look up (\S+) \(port \d+\)`),
	regexp.MustCompile(`fatal: unable to connect to ([^\s:]+):`),
	regexp.MustCompile(`ssh: Could not resolve hostname ([^\s:]+)`),
	regexp.MustCompile(`unable to resolve host address [‘'"]([^’'"]+)[’'"]`),
	regexp.MustCompile(`Resolving (\S+) \(\S*\)\.\.\. failed: `),
	regexp.MustCompile(`Connecting to (\S+?)(?: \(\S*\)\|[^|]*\|)?:\d+\.\.\. failed: (?:Connection refused|Connection timed out|Network is unreachable|No route to host)`),
	regexp.MustCompile(`Temporary failure resolving '([^']+)'`),
	regexp.MustCompile(`Could not resolve '([^']+)'`),
	regexp.MustCompile(`Could not connect to ([^\s:]+):\d+ \(`),
	regexp.MustCompile(`host='([^']+)'.*(?:Failed to establish a new connection|Temporary failure in name resolution|Name or service not known)`),
	regexp.MustCompile(`(?:Unknown host|UnknownHostException:?) ([A-Za-z0-9][\w.-]*)`),
	regexp.MustCompile(`needs the network: cannot reach (\S+)`),
}

// errOSvBuildFailed is why a build was stopped: OSv's scripts/build failed. Its ERR trap prints
// "$0 failed: COMMAND" and then exits with echo's status, 0, so the recipe would go on to
// package whatever the failed build left (an old recipe's package was empty).
// Before is the line before it, which usually says what failed (a module's exception).
type errOSvBuildFailed struct {
	Line, Before, Log string
}

func (e errOSvBuildFailed) Error() string {
	if e.Before != "" {
		return fmt.Sprintf("OSv's scripts/build failed, although it exits 0, and the build was stopped: %q after %q (see %s)", e.Line, e.Before, e.Log)
	}
	return fmt.Sprintf("OSv's scripts/build failed, although it exits 0, and the build was stopped: %q (see %s)", e.Line, e.Log)
}

// osvBuildFailed is the line of scripts/build's ERR trap, $0 being how it was called.
var osvBuildFailed = regexp.MustCompile(`^\S*scripts/build failed: `)

// networkFailure returns the address a line of build output says could not be reached, and
// the line from where the tool's message starts (after curl's progress meter, say).
func networkFailure(line string) (addr, msg string, ok bool) {
	for _, re := range networkFailures {
		if m := re.FindStringSubmatchIndex(line); m != nil {
			return strings.TrimSuffix(line[m[2]:m[3]], ":"), strings.TrimSpace(line[m[0]:]), true
		}
	}
	return "", "", false
}

// networkWatch is an io.Writer on a build's output that calls stop with errNeedsNetwork at the
// first network failure (or errOSvBuildFailed at scripts/build's failure line). Lines end at \n or \r (curl redraws its progress with \r) and are
// looked at up to maxWatchedLine bytes, in bounded memory whatever is written.
type networkWatch struct {
	mu    sync.Mutex
	stop  context.CancelCauseFunc
	log   string
	cur   []byte
	prev  string // the last line that was not blank
	found error
}

// maxWatchedLine is longer than the log tail's lines: Maven names the unknown host after some
// 600 bytes of artifact names.
const maxWatchedLine = 8 << 10

func (w *networkWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 && w.found == nil {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			w.cur = append(w.cur, p[:min(len(p), maxWatchedLine-len(w.cur))]...)
			break
		}
		w.cur = append(w.cur, p[:min(i, maxWatchedLine-len(w.cur))]...)
		w.line(string(w.cur))
		w.cur, p = w.cur[:0], p[i+1:]
	}
	return n, nil
}

func (w *networkWatch) line(s string) {
	s = linetail.StripANSI(s) // Maven colours its errors
	var err error
	if addr, msg, ok := networkFailure(s); ok {
		err = errNeedsNetwork{Address: linetail.Printable(addr), Line: linetail.Printable(msg), Log: w.log}
	} else if osvBuildFailed.MatchString(s) {
		err = errOSvBuildFailed{Line: linetail.Printable(strings.TrimSpace(s)), Before: linetail.Printable(w.prev), Log: w.log}
	} else {
		if t := strings.TrimSpace(s); t != "" {
			w.prev = t
		}
		return
	}
	w.found = err
	if w.stop != nil {
		w.stop(err)
	}
}

// err is the network failure seen, or nil.
func (w *networkWatch) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.found
}
