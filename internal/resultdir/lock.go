package resultdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// One run at a time per result directory.
//
// The lock is the file <result-dir>/.pkgdriver/lock together with an flock(2) on it:
//
//   - Ownership is the flock, never the file's content. The kernel drops an flock when its holder
//     exits however it exits (crash, kill -9, power loss ends the whole machine anyway), so a dead
//     holder never blocks anyone, and a PID that was reused or lives in another PID namespace
//     cannot fool the check. The JSON inside only names the holder in messages.
//   - The file appears complete: a run writes its JSON into a private temporary file, flocks it,
//     and only then links it to the lock's name. link(2) fails when the name exists, so of two
//     runs racing for a free directory exactly one wins, and a loser always reads a finished file.
//   - A file whose flock nobody holds was left by a run that died. The taker holds that flock
//     while it renames its own (already flocked) file over the name, so two takers cannot both
//     succeed: the second one either fails to get the flock or finds a different file under the
//     name and starts again.
//   - Release removes the name while still holding the flock. A waiter that opened the old file
//     and gets its flock afterwards sees that the name no longer leads to it and starts again.

// LockInfo is what the lock file says about the run holding it.
type LockInfo struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Start time.Time `json:"start"`
	RunID string    `json:"run_id"`
}

// String names the holder for people.
func (i LockInfo) String() string {
	if i.PID == 0 {
		return "an unknown run (the lock file is unreadable)"
	}
	return fmt.Sprintf("run %s (pid %d on host %s, started %s)", i.RunID, i.PID, i.Host,
		i.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
}

// ThisProcess describes the calling process as a lock holder, for a run (or other work) id.
func ThisProcess(runID string) LockInfo {
	host, _ := os.Hostname()
	return LockInfo{PID: os.Getpid(), Host: host, Start: time.Now().UTC(), RunID: runID}
}

// LockedError says that another run holds the result directory. It is the user's to resolve (wait
// or pick another directory): the command line marks it a usage error (exit status 2).
type LockedError struct {
	Path   string
	Holder LockInfo
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("the result directory is in use: %s holds %s; use --wait to wait for it", e.Holder, e.Path)
}

// LockOptions say what to do when the lock is held.
type LockOptions struct {
	// Wait polls, with backoff, until the holder releases the lock or ctx ends.
	Wait bool
	// Log receives the "waiting" notice and the warning about a lock left by a dead run.
	Log zerolog.Logger
}

// Polling bounds of LockOptions.Wait. A nightly run waits for hours at most; two seconds
// between looks costs nothing.
const (
	lockPollMin = 50 * time.Millisecond
	lockPollMax = 2 * time.Second
	// lockRaces bounds how often one attempt starts again because the lock changed hands while
	// it looked; each retry means another run made progress.
	lockRaces = 100
)

// ResultLock is a held lock. Release it exactly once; it is not for concurrent use.
type ResultLock struct {
	path string
	f    *os.File
	info LockInfo
	// created are the directories AcquireLock made, deepest first: Release removes those left
	// empty, so a command that fails (publish of a directory without a run, run of an unknown
	// recipe) leaves no .pkgdriver/ behind in a directory it never used.
	created []string
}

// Info is what the lock file says about this holder.
func (l *ResultLock) Info() LockInfo { return l.info }

// AcquireLock takes the lock at path for the run info describes. When another run holds it, it
// returns a *LockedError at once, or with opt.Wait waits until the lock is free or ctx ends.
func AcquireLock(ctx context.Context, path string, info LockInfo, opt LockOptions) (*ResultLock, error) {
	created := missingDirs(filepath.Dir(path))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	own, err := newLockCandidate(path, info)
	if err != nil {
		removeEmptyDirs(created)
		return nil, err
	}
	delay := lockPollMin
	for waited := false; ; waited = true {
		lock, err := own.claim(ctx, opt.Log)
		var locked *LockedError
		if err == nil || !errors.As(err, &locked) || !opt.Wait {
			if err != nil {
				own.discard()
				removeEmptyDirs(created)
			} else {
				lock.created = created
			}
			return lock, err
		}
		if !waited {
			opt.Log.Info().Str("holder_run", locked.Holder.RunID).Int("holder_pid", locked.Holder.PID).
				Str("holder_host", locked.Holder.Host).Time("holder_start", locked.Holder.Start).
				Msg("waiting for the run that holds the result directory")
		}
		t := time.NewTimer(delay + rand.N(delay/4+1))
		select {
		case <-ctx.Done():
			t.Stop()
			own.discard()
			removeEmptyDirs(created)
			return nil, fmt.Errorf("waiting for %s: %w", locked.Holder, context.Cause(ctx))
		case <-t.C:
		}
		delay = min(2*delay, lockPollMax)
	}
}

// missingDirs are dir and those of its parents that do not exist, deepest first.
func missingDirs(dir string) []string {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, os.ErrNotExist) {
			return missing
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			return missing
		}
	}
}

// removeEmptyDirs removes those of dirs that are empty; a directory anything was written to
// stays (os.Remove does not remove a directory that holds something).
func removeEmptyDirs(dirs []string) {
	for _, d := range dirs {
		os.Remove(d)
	}
}

// Release gives the lock up: the name goes first, then the flock.
func (l *ResultLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	var err error
	if samePath(l.f, l.path) {
		err = ignoreNotExist(os.Remove(l.path))
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	removeEmptyDirs(l.created)
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}

// lockCandidate is a run's own lock file before it gets the lock's name: complete and flocked.
type lockCandidate struct {
	path string // the lock's name
	tmp  *os.File
	info LockInfo
}

func newLockCandidate(path string, info LockInfo) (*lockCandidate, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	c := &lockCandidate{path: path, tmp: tmp, info: info}
	data, _ := json.Marshal(info)
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		var held bool
		held, err = tryFlock(tmp)
		if held {
			err = errors.New("a fresh temporary file is locked by someone else")
		}
	}
	if err != nil {
		c.discard()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return c, nil
}

func (c *lockCandidate) discard() {
	_ = os.Remove(c.tmp.Name())
	_ = c.tmp.Close()
}

// claim makes one attempt: link the candidate to a free name, or take over the name from a dead
// holder, or report the live holder.
func (c *lockCandidate) claim(ctx context.Context, log zerolog.Logger) (*ResultLock, error) {
	busy := 0
	for range lockRaces {
		err := os.Link(c.tmp.Name(), c.path)
		if err == nil {
			_ = os.Remove(c.tmp.Name())
			return &ResultLock{path: c.path, f: c.tmp, info: c.info}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock: %w", err)
		}
		f, err := os.Open(c.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released since the link failed
		}
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		held, err := tryFlock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", c.path, err)
		}
		holder, _ := readLockInfo(f)
		if held {
			f.Close()
			if busy++; holder.gone() && busy < 20 && ctx.Err() == nil {
				// Its named holder is dead, yet someone holds the flock: another run is taking
				// the file over right now. Look again in a moment to name that run instead.
				time.Sleep(lockPollMin / 5)
				continue
			}
			return nil, &LockedError{Path: c.path, Holder: holder}
		}
		if !samePath(f, c.path) {
			f.Close() // released or taken over between open and flock
			continue
		}
		// Nobody holds the flock of the file under the name: its run ended without releasing
		// it. Holding that flock, put our file under the name.
		err = os.Rename(c.tmp.Name(), c.path)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("lock: take over %s: %w", c.path, err)
		}
		warnTakeover(log, c.path, holder)
		return &ResultLock{path: c.path, f: c.tmp, info: c.info}, nil
	}
	return nil, fmt.Errorf("lock %s: it changed hands %d times while being taken; giving up", c.path, lockRaces)
}

func warnTakeover(log zerolog.Logger, path string, holder LockInfo) {
	ev := log.Warn().Str("lock", path)
	switch {
	case holder.PID == 0:
		ev.Msg("taking over a result directory lock with unreadable content that nobody holds")
	case holder.gone():
		ev.Int("dead_pid", holder.PID).Str("run", holder.RunID).Time("start", holder.Start).
			Msg(fmt.Sprintf("taking over the result directory lock of run %s: its process %d is dead", holder.RunID, holder.PID))
	default:
		// Not running as the holder any more: a reused PID, or a run on another host or in
		// another PID namespace that died. The flock says so either way.
		ev.Int("pid", holder.PID).Str("host", holder.Host).Str("run", holder.RunID).
			Msg(fmt.Sprintf("taking over the result directory lock that run %s (pid %d on host %s) left behind; it no longer holds it", holder.RunID, holder.PID, holder.Host))
	}
}

// gone reports whether the holder was a process on this host that no longer exists.
func (i LockInfo) gone() bool {
	host, _ := os.Hostname()
	if i.PID <= 0 || i.Host != host {
		return false
	}
	return errors.Is(syscall.Kill(i.PID, 0), syscall.ESRCH)
}

func readLockInfo(f *os.File) (LockInfo, error) {
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return LockInfo{}, err
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return LockInfo{}, err
	}
	return info, nil
}

// tryFlock takes an exclusive flock without blocking; held reports that someone else has it.
func tryFlock(f *os.File) (held bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	}); err != nil {
		return false, err
	}
	if errors.Is(ferr, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if ferr != nil {
		return false, fmt.Errorf("flock: %w", ferr)
	}
	return false, nil
}

// samePath reports whether path still names the open file f.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}
