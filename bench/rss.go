package main

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
// memory a process had before exec, here the bench's own, into the child's maxrss.

// rssPollInterval is how often VmHWM is read; the mark only grows, so a sample missed at the
// very end loses at most what the process gained in its last interval.
const rssPollInterval = 20 * time.Millisecond

// watchPeakRSS polls the process's VmHWM until stop is closed, then sends the highest value
// seen, in bytes (0 when none could be read).
func watchPeakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(rssPollInterval)
		defer t.Stop()
		for {
			if v, err := vmHWM(pid); err == nil && v > peak {
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

// vmHWM reads a process's peak resident set size, in bytes.
func vmHWM(pid int) (int64, error) {
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
