// Package rss measures a process's peak resident set size from /proc.
package rss

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Peak RSS is read from /proc/<pid>/status (VmHWM, the high-water mark of the process's own
// memory), polled until it exits. getrusage's maxrss cannot be used from a Go parent: Go starts
// children with vfork semantics (CLONE_VM), and the kernel carries the high-water mark of the
// memory a process had before exec, the parent's own, into the child's maxrss.

// pollInterval is how often VmHWM is read; the mark only grows, so a sample missed at the
// very end loses at most what the process gained in its last interval.
const pollInterval = 20 * time.Millisecond

// WatchPeak polls the process's VmHWM until stop is closed, then sends the highest value
// seen, in bytes (0 when none could be read).
func WatchPeak(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(pollInterval)
		defer t.Stop()
		for {
			if v, err := VmHWM(pid); err == nil && v > peak {
				peak = v
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// VmHWM reads a process's peak resident set size, in bytes.
func VmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}
