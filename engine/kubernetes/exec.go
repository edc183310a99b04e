package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// exitStatus is the status exec reports for a process, or -1 with the error when the stream
// broke before the process ended.
func exitStatus(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitStatus(), nil
	}
	return -1, err
}

// exec runs cmd in pod id's container with the streams given (stdin may be nil) and returns its
// exit status. The stream goes API server → kubelet → container runtime; websocket first, SPDY
// for API servers that do not speak it.
func (e *Engine) exec(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if e.rest == nil {
		return -1, fmt.Errorf("kubernetes: exec needs a cluster connection: %w", engine.ErrNotSupported)
	}
	req := e.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(e.ns).Name(id).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: containerName, Command: cmd,
		Stdin: stdin != nil, Stdout: true, Stderr: true,
	}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(e.rest, "POST", req.URL())
	if err != nil {
		return -1, err
	}
	ws, err := remotecommand.NewWebSocketExecutor(e.rest, "GET", req.URL().String())
	if err != nil {
		return -1, err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return -1, err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	code, err := exitStatus(ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr}))
	if ctx.Err() != nil {
		return code, err
	}
	// A stream whose pod was deleted may end without an error or a status: only the pod can say
	// whether the process really ended.
	if why := e.gone(ctx, id); why != nil {
		return -1, why
	}
	return code, err
}

// CopyIn extracts the tar stream content under dir in the pod, making dir first, with the
// image's tar (ownership and modes as the stream has them, as Docker does for root).
func (e *Engine) CopyIn(ctx context.Context, id, dir string, content io.Reader) error {
	var stderr bytes.Buffer
	code, err := e.exec(ctx, id, []string{"/bin/sh", "-c", `mkdir -p "$1" && exec tar -xf - -C "$1"`, "sh", dir}, content, io.Discard, &stderr)
	if err != nil {
		return execFailed(id, "copy files into "+dir, err)
	}
	if code != 0 {
		return fmt.Errorf("kubernetes: pod %s: copy files into %s: tar exited %d: %s", id, dir, code, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// notFoundStatus is what the CopyOut command exits with when the path does not exist.
const notFoundStatus = 3

// copyOutScript writes the tar of $2 (in directory $1) to stdout, and its length in bytes to the
// file $3 once it is all written. With $4 > 0 it writes only the bytes from offset $4 on: GNU tar
// with sorted names makes the same stream again for a tree that did not change.
var copyOutScript = `cd "$1" && { [ -e "$2" ] || [ -L "$2" ]; } || exit ` + strconv.Itoa(notFoundStatus) + `
{ tar --sort=name -cf - "$2" | tee /dev/fd/3 | wc -c >"$3"; } 3>&1 | tail -c +$(($4 + 1))`

// maxResumes bounds how often a cut stream is taken up again where it stopped.
const maxResumes = 5

// CopyOut streams path out of the pod as a tar whose top entry is path's base name. The command
// says first whether the path exists, so that a missing one is engine.ErrNotFound at once rather
// than an empty stream.
//
// An exec stream can end before all of a process's output arrived when the process exits right
// after writing it (kubectl cp has the same trouble). So the pod also records how long the stream
// was, and a stream that came short is taken up again from where it stopped; a copy that cannot
// be completed is an error, never a short tar.
func (e *Engine) CopyOut(ctx context.Context, id, p string) (io.ReadCloser, error) {
	dir, base := path.Split(path.Clean(p))
	if dir == "" {
		dir = "."
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	sizeFile := "/tmp/.pkgdriver-copyout-" + hex.EncodeToString(b[:])
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		pw.CloseWithError(e.copyOut(ctx, id, p, dir, base, sizeFile, pw))
	}()
	br := bufio.NewReader(pr)
	if _, err := br.Peek(1); err != nil {
		cancel()
		pr.Close()
		if err == io.EOF {
			return nil, fmt.Errorf("kubernetes: pod %s: copy %s out: empty stream", id, p)
		}
		return nil, err
	}
	return &readCloser{Reader: br, close: func() error { cancel(); return pr.Close() }}, nil
}

// copyOut writes the tar of base to w, resuming a stream that came short.
func (e *Engine) copyOut(ctx context.Context, id, p, dir, base, sizeFile string, w io.Writer) error {
	defer func() {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = e.exec(cleanup, id, []string{"rm", "-f", sizeFile}, nil, nil, nil)
	}()
	cw := &countingWriter{w: w}
	for attempt := 0; ; attempt++ {
		var stderr bytes.Buffer
		code, err := e.exec(ctx, id, []string{"/bin/sh", "-c", copyOutScript, "sh", dir, base, sizeFile, strconv.FormatInt(cw.n, 10)}, nil, cw, &stderr)
		switch {
		case err != nil:
			return execFailed(id, "copy "+p+" out", err)
		case code == notFoundStatus:
			return fmt.Errorf("kubernetes: pod %s: %s: %w", id, p, engine.ErrNotFound)
		case code != 0:
			return fmt.Errorf("kubernetes: pod %s: copy %s out: tar exited %d: %s", id, p, code, strings.TrimSpace(stderr.String()))
		}
		var out bytes.Buffer
		if code, err := e.exec(ctx, id, []string{"cat", sizeFile}, nil, &out, nil); err != nil || code != 0 {
			return fmt.Errorf("kubernetes: pod %s: copy %s out: the stream's length is unknown (%v, exit %d)", id, p, err, code)
		}
		size, err := strconv.ParseInt(strings.TrimSpace(out.String()), 10, 64)
		switch {
		case err != nil:
			return fmt.Errorf("kubernetes: pod %s: copy %s out: the stream's length: %w", id, p, err)
		case cw.n == size:
			return nil
		case cw.n > size:
			return fmt.Errorf("kubernetes: pod %s: copy %s out: %d bytes came, the tar has %d: the tree changed while it was copied", id, p, cw.n, size)
		case attempt == maxResumes:
			return fmt.Errorf("kubernetes: pod %s: copy %s out: the stream stopped at %d of %d bytes %d times", id, p, cw.n, size, maxResumes+1)
		}
	}
}

// countingWriter counts what it passes on.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }

// Run executes the spec's command in the pod, streaming its output, and returns its exit status.
// When ctx ends first the pod is deleted (killing the command) and the context's cause returned.
// A stream that breaks because the pod went away says so.
func (e *Engine) Run(ctx context.Context, id string, stdout, stderr io.Writer) (engine.Exit, error) {
	e.mu.Lock()
	p := e.pods[id]
	e.mu.Unlock()
	if p == nil {
		return engine.Exit{}, fmt.Errorf("kubernetes: pod %s was not made by this engine: %w", id, engine.ErrNotFound)
	}
	if len(p.cmd) == 0 {
		return engine.Exit{}, nil
	}
	code, err := e.exec(ctx, id, p.cmd, nil, stdout, stderr)
	if ctx.Err() != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = e.Remove(cleanup, id)
		return engine.Exit{Code: code}, context.Cause(ctx)
	}
	if err != nil {
		return engine.Exit{Code: code}, execFailed(id, "run "+p.cmd[0], err)
	}
	exit := engine.Exit{Code: code}
	if code == 137 {
		exit.OOMKilled = e.oomKilled(ctx, id)
	}
	return exit, nil
}

// oomKilled reports whether the kernel's OOM killer killed a process in the pod's container (a
// command killed with status 137 may have been): the keep-alive survives, so the pod's status
// does not say it; the memory cgroup's counter does.
func (e *Engine) oomKilled(ctx context.Context, id string) bool {
	var out bytes.Buffer
	code, err := e.exec(ctx, id, []string{"/bin/sh", "-c",
		"cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null"}, nil, &out, io.Discard)
	if err != nil || code > 1 {
		return false
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok && strings.TrimSpace(n) != "0" {
			return true
		}
	}
	return false
}
