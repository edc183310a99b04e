package resultdir

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// The lock tests run real second processes: this test binary started again with
// lockHelperEnv set runs TestLockHelperProcess, which takes the lock the way a second pkgdriver
// would.
const (
	lockHelperEnv     = "PKGDRIVER_LOCK_HELPER"
	lockHelperPathEnv = "PKGDRIVER_LOCK_HELPER_PATH"
)

// TestLockHelperProcess is not a test: it is the second process of the lock tests. Modes:
//
//	hold:  take the lock, print "locked", hold it until stdin closes, release it.
//	crash: take the lock, print "locked", exit without releasing it.
//	race:  wait for a line on stdin, try once, print "won" or "lost <holder pid> <holder run>";
//	       a winner then holds until stdin closes.
func TestLockHelperProcess(t *testing.T) {
	mode := os.Getenv(lockHelperEnv)
	if mode == "" {
		return
	}
	path := os.Getenv(lockHelperPathEnv)
	in := bufio.NewReader(os.Stdin)
	if mode == "race" {
		_, _ = in.ReadString('\n')
	}
	info := ThisProcess("helper-" + strconv.Itoa(os.Getpid()))
	lock, err := AcquireLock(context.Background(), path, info, LockOptions{Log: zerolog.Nop()})
	var locked *LockedError
	switch {
	case errors.As(err, &locked) && mode == "race":
		fmt.Printf("lost %d %s\n", locked.Holder.PID, locked.Holder.RunID)
		os.Exit(0)
	case err != nil:
		fmt.Printf("error %v\n", err)
		os.Exit(4)
	}
	if mode == "race" {
		fmt.Println("won")
	} else {
		fmt.Println("locked")
	}
	if mode == "crash" {
		os.Exit(3) // the kernel drops the flock; the file stays
	}
	_, _ = io.Copy(io.Discard, in)
	if err := lock.Release(); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(5)
	}
	os.Exit(0)
}

// lockHelper is a running second process.
type lockHelper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startLockHelper(t *testing.T, mode, path string) *lockHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+mode, lockHelperPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	assert.NilError(t, err)
	stdout, err := cmd.StdoutPipe()
	assert.NilError(t, err)
	assert.NilError(t, cmd.Start())
	h := &lockHelper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		_ = h.stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return h
}

// line is the helper's next line of output.
func (h *lockHelper) line(t *testing.T) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := h.out.ReadString('\n')
		ch <- result{strings.TrimSpace(s), err}
	}()
	select {
	case r := <-ch:
		assert.NilError(t, r.err, "helper %d output", h.cmd.Process.Pid)
		return r.s
	case <-time.After(30 * time.Second):
		t.Fatalf("helper %d said nothing", h.cmd.Process.Pid)
		return ""
	}
}

func lockPathFor(t *testing.T) string {
	return Layout{Root: filepath.Join(t.TempDir(), "result")}.Lock()
}

func acquireNow(t *testing.T, path, runID string) (*ResultLock, error) {
	t.Helper()
	return AcquireLock(context.Background(), path, ThisProcess(runID), LockOptions{Log: zerolog.Nop()})
}

// lockDirClean checks that only the lock itself (when held) is in its directory: no temporary
// files of candidates.
func lockDirClean(t *testing.T, path string, held bool) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if !held && errors.Is(err, os.ErrNotExist) {
		return // removed with the lock, having been made for it
	}
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if held {
		assert.DeepEqual(t, names, []string{"lock"})
	} else {
		assert.Equal(t, len(names), 0, "left: %v", names)
	}
}

func readLockFile(t *testing.T, path string) LockInfo {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	var info LockInfo
	assert.NilError(t, json.Unmarshal(data, &info))
	return info
}

func TestLockAcquireRelease(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	lock, err := acquireNow(t, path, "run-1")
	assert.NilError(t, err)
	info := readLockFile(t, path)
	host, _ := os.Hostname()
	assert.Equal(t, info.PID, os.Getpid())
	assert.Equal(t, info.Host, host)
	assert.Equal(t, info.RunID, "run-1")
	assert.Check(t, time.Since(info.Start) < time.Minute)
	assert.Equal(t, lock.Info().RunID, "run-1")
	lockDirClean(t, path, true)

	assert.NilError(t, lock.Release())
	lockDirClean(t, path, false)
	assert.NilError(t, lock.Release(), "a second release is a no-op")
	assert.NilError(t, (*ResultLock)(nil).Release())

	again, err := acquireNow(t, path, "run-2")
	assert.NilError(t, err, "free again after release")
	assert.Equal(t, readLockFile(t, path).RunID, "run-2")
	assert.NilError(t, again.Release())
}

// A lock leaves no directory it made behind (a command that failed leaves the result directory
// as it was), and removes nothing that was there before or that holds something.
func TestLockRemovesOnlyEmptyDirectoriesItMade(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "new", "result")
	lock, err := acquireNow(t, Layout{Root: root}.Lock(), "run-1")
	assert.NilError(t, err)
	assert.NilError(t, lock.Release())
	_, err = os.Stat(filepath.Join(parent, "new"))
	assert.Check(t, errors.Is(err, os.ErrNotExist), "made for the lock and left behind: %v", err)

	// A result directory that existed stays; so does a .pkgdriver/ the run wrote into.
	root = filepath.Join(parent, "existing")
	assert.NilError(t, os.MkdirAll(root, 0o755))
	lock, err = acquireNow(t, Layout{Root: root}.Lock(), "run-2")
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(Layout{Root: root}.State(), "cache.json"), []byte("{}"), 0o644))
	assert.NilError(t, lock.Release())
	_, err = os.Stat(filepath.Join(Layout{Root: root}.State(), "cache.json"))
	assert.NilError(t, err)
}

func TestLockHeldFailsAtOnce(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	first, err := acquireNow(t, path, "first")
	assert.NilError(t, err)
	defer first.Release()

	start := time.Now()
	_, err = acquireNow(t, path, "second")
	assert.Check(t, time.Since(start) < time.Second, "took %s", time.Since(start))
	var locked *LockedError
	assert.Assert(t, errors.As(err, &locked), "%v", err)
	assert.Equal(t, locked.Holder.RunID, "first")
	assert.Equal(t, locked.Holder.PID, os.Getpid())
	msg := err.Error()
	host, _ := os.Hostname()
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "host " + host, "run first",
		first.Info().Start.UTC().Format("2006-01-02 15:04:05"), "--wait"} {
		assert.Check(t, is.Contains(msg, want))
	}
	assert.Equal(t, readLockFile(t, path).RunID, "first", "the loser did not touch the lock")
	lockDirClean(t, path, true)
}

// Goroutines race for a free lock: one wins, every other one names the winner.
func TestLockRaceGoroutines(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		path := lockPathFor(t)
		const n = 8
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []*ResultLock
			losers  []LockInfo
		)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				l, err := AcquireLock(context.Background(), path, ThisProcess(fmt.Sprintf("g%d", i)), LockOptions{Log: zerolog.Nop()})
				mu.Lock()
				defer mu.Unlock()
				var locked *LockedError
				switch {
				case err == nil:
					winners = append(winners, l)
				case errors.As(err, &locked):
					losers = append(losers, locked.Holder)
				default:
					t.Errorf("round %d: %v", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		assert.Equal(t, len(winners), 1, "round %d", round)
		assert.Equal(t, len(losers), n-1)
		for _, h := range losers {
			assert.Equal(t, h.RunID, winners[0].Info().RunID, "a loser names the winner")
		}
		lockDirClean(t, path, true)
		assert.NilError(t, winners[0].Release())
		lockDirClean(t, path, false)
	}
}

// Waiters take turns: never two holders at once, and every one of them gets it.
func TestLockWaitMutualExclusion(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	const n = 6
	var holders, maxHolders, got atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			l, err := AcquireLock(ctx, path, ThisProcess(fmt.Sprintf("w%d", i)), LockOptions{Wait: true, Log: zerolog.Nop()})
			if err != nil {
				t.Error(err)
				return
			}
			h := holders.Add(1)
			for {
				m := maxHolders.Load()
				if h <= m || maxHolders.CompareAndSwap(m, h) {
					break
				}
			}
			if info := readLockFile(t, path); info.RunID != l.Info().RunID {
				t.Errorf("holder %s, file says %s", l.Info().RunID, info.RunID)
			}
			time.Sleep(20 * time.Millisecond)
			holders.Add(-1)
			got.Add(1)
			if err := l.Release(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, got.Load(), int32(n))
	assert.Equal(t, maxHolders.Load(), int32(1))
	lockDirClean(t, path, false)
}

// A second process holds the lock: we fail naming it; in wait mode we get the lock once it
// lets go.
func TestLockSecondProcess(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	h := startLockHelper(t, "hold", path)
	assert.Equal(t, h.line(t), "locked")
	pid := h.cmd.Process.Pid

	_, err := acquireNow(t, path, "ours")
	var locked *LockedError
	assert.Assert(t, errors.As(err, &locked), "%v", err)
	assert.Equal(t, locked.Holder.PID, pid)
	assert.Equal(t, locked.Holder.RunID, "helper-"+strconv.Itoa(pid))
	assert.Check(t, is.Contains(err.Error(), "pid "+strconv.Itoa(pid)))

	var logBuf testutil.SyncBuffer
	got := make(chan error, 1)
	var lock *ResultLock
	go func() {
		var err error
		lock, err = AcquireLock(context.Background(), path, ThisProcess("waiter"),
			LockOptions{Wait: true, Log: zerolog.New(&logBuf)})
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("got the lock while the helper holds it: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	assert.Check(t, is.Contains(logBuf.String(), "waiting for the run that holds the result directory"))
	assert.Check(t, is.Contains(logBuf.String(), fmt.Sprintf(`"holder_pid":%d`, pid)))

	assert.NilError(t, h.stdin.Close()) // the helper releases and exits
	select {
	case err := <-got:
		assert.NilError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiter did not get the released lock")
	}
	assert.NilError(t, h.cmd.Wait())
	assert.Equal(t, readLockFile(t, path).RunID, "waiter")
	assert.Check(t, !strings.Contains(logBuf.String(), "taking over"), "a released lock is not stale")
	assert.NilError(t, lock.Release())
	lockDirClean(t, path, false)
}

// Processes race for a free lock: exactly one wins, the others name it.
func TestLockRaceProcesses(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	const n = 4
	var helpers []*lockHelper
	for range n {
		helpers = append(helpers, startLockHelper(t, "race", path))
	}
	for _, h := range helpers {
		_, err := io.WriteString(h.stdin, "go\n")
		assert.NilError(t, err)
	}
	// Racing with them: this process too.
	ours, ourErr := acquireNow(t, path, "test-process")

	var winner string
	lost := map[string]int{}
	for _, h := range helpers {
		switch s := h.line(t); {
		case s == "won":
			assert.Equal(t, winner, "", "two winners")
			winner = "helper-" + strconv.Itoa(h.cmd.Process.Pid)
		case strings.HasPrefix(s, "lost "):
			f := strings.Fields(s)
			lost[f[2]]++
			wantPID := strings.TrimPrefix(f[2], "helper-")
			if f[2] == "test-process" {
				wantPID = strconv.Itoa(os.Getpid())
			}
			assert.Equal(t, f[1], wantPID, "pid and run id of the same holder")
		default:
			t.Fatalf("helper: %s", s)
		}
	}
	if ourErr == nil {
		assert.Equal(t, winner, "", "a helper won as well as this process")
		winner = "test-process"
		defer ours.Release()
	} else {
		var locked *LockedError
		assert.Assert(t, errors.As(ourErr, &locked), "%v", ourErr)
		lost[locked.Holder.RunID]++
	}
	assert.Assert(t, winner != "")
	assert.DeepEqual(t, lost, map[string]int{winner: n}) // n+1 contenders, one winner
	assert.Equal(t, readLockFile(t, path).RunID, winner)
}

// A run that died without releasing leaves the file; the next run takes it over and says whose
// it was.
func TestLockStaleTakeover(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	h := startLockHelper(t, "crash", path)
	assert.Equal(t, h.line(t), "locked")
	dead := h.cmd.Process.Pid
	err := h.cmd.Wait()
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit) && exit.ExitCode() == 3, "%v", err)
	assert.Equal(t, readLockFile(t, path).PID, dead, "the dead run's file is still there")

	var logBuf testutil.SyncBuffer
	lock, err := AcquireLock(context.Background(), path, ThisProcess("next"), LockOptions{Log: zerolog.New(&logBuf)})
	assert.NilError(t, err)
	defer lock.Release()
	assert.Equal(t, readLockFile(t, path).RunID, "next")
	lockDirClean(t, path, true)

	var ev map[string]any
	assert.NilError(t, json.Unmarshal([]byte(logBuf.String()), &ev), logBuf.String())
	assert.Equal(t, ev["level"], "warn")
	assert.Equal(t, ev["dead_pid"], float64(dead))
	assert.Check(t, is.Contains(ev["message"], fmt.Sprintf("process %d is dead", dead)))
}

// Lock files nobody holds are taken over whatever they say: the flock decides, not the PID.
func TestLockStaleFiles(t *testing.T) {
	t.Parallel()
	host, _ := os.Hostname()
	tests := []struct {
		name    string
		content string
		wantLog string
	}{
		{name: "live pid, reused", content: fmt.Sprintf(`{"pid":%d,"host":%q,"run_id":"old"}`, os.Getpid(), host), wantLog: "no longer holds it"},
		{name: "other host", content: `{"pid":1,"host":"elsewhere.example","run_id":"old"}`, wantLog: "on host elsewhere.example"},
		{name: "garbage", content: "not json", wantLog: "unreadable content"},
		{name: "empty", content: "", wantLog: "unreadable content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := lockPathFor(t)
			assert.NilError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			assert.NilError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			var logBuf testutil.SyncBuffer
			lock, err := AcquireLock(context.Background(), path, ThisProcess("new"), LockOptions{Log: zerolog.New(&logBuf)})
			assert.NilError(t, err)
			assert.Check(t, is.Contains(logBuf.String(), tc.wantLog))
			assert.Equal(t, readLockFile(t, path).RunID, "new")
			assert.NilError(t, lock.Release())
			lockDirClean(t, path, false)
		})
	}
}

// Waiting ends with the context; the waiter leaves nothing behind.
func TestLockWaitCancelled(t *testing.T) {
	t.Parallel()
	path := lockPathFor(t)
	holder, err := acquireNow(t, path, "holder")
	assert.NilError(t, err)
	defer holder.Release()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = AcquireLock(ctx, path, ThisProcess("waiter"), LockOptions{Wait: true, Log: zerolog.Nop()})
	assert.Check(t, errors.Is(err, context.Canceled), "%v", err)
	var locked *LockedError
	assert.Check(t, !errors.As(err, &locked), "cancelled, not locked: exit status 130, not 2")
	assert.Check(t, is.Contains(err.Error(), "run holder"))
	assert.Check(t, time.Since(start) < 5*time.Second)
	lockDirClean(t, path, true)
	assert.Equal(t, readLockFile(t, path).RunID, "holder")
}
