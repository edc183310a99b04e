package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/docker/docker/client"
)

// Long engine streams (the toolchain build, a push) have no time limit of their own: a real OSv
// build takes as long as it takes, and apt-get may print nothing for minutes. What bounds them
// is the engine's liveness: when a stream has been silent for engineWatchEvery, the engine is
// pinged, and an engine that does not answer within engineWatchTimeout ends the stream.
const (
	watchEveryDefault   = time.Minute
	watchTimeoutDefault = 30 * time.Second
)

// errEngineGone is the cause of a stream ended because the engine stopped answering.
var errEngineGone = errors.New("the docker engine stopped answering")

// engineWatch is the liveness check of one stream. Ctx is the context to make the engine call
// with; Reader wraps its response body so reading counts as activity.
type engineWatch struct {
	Ctx    context.Context
	cancel context.CancelCauseFunc
	last   atomic.Int64 // Unix nanoseconds of the last byte read
	done   chan struct{}
}

// watch starts watching a stream of e; stop ends it.
func (e *Engine) watch(ctx context.Context) *engineWatch {
	return watchEngine(ctx, e.api, e.watchEvery, e.watchTimeout)
}

// watchEngine starts watching; stop ends it. every and timeout of 0 take the defaults.
func watchEngine(ctx context.Context, engine client.APIClient, every, timeout time.Duration) *engineWatch {
	if every <= 0 {
		every = watchEveryDefault
	}
	if timeout <= 0 {
		timeout = watchTimeoutDefault
	}
	w := &engineWatch{done: make(chan struct{})}
	w.Ctx, w.cancel = context.WithCancelCause(ctx)
	w.touch()
	go w.run(engine, every, timeout)
	return w
}

func (w *engineWatch) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *engineWatch) run(engine client.APIClient, every, timeout time.Duration) {
	t := time.NewTicker(every / 4)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-w.Ctx.Done():
			return
		case <-t.C:
		}
		silent := time.Since(time.Unix(0, w.last.Load()))
		if silent < every {
			continue
		}
		pctx, cancel := context.WithTimeout(w.Ctx, timeout)
		_, err := engine.Ping(pctx)
		cancel()
		if err != nil && w.Ctx.Err() == nil {
			w.cancel(fmt.Errorf("%w: no output for %s and no answer to a ping within %s (%v)",
				errEngineGone, silent.Round(time.Second), timeout, err))
			return
		}
		w.touch() // it answered: wait another interval before asking again
	}
}

// Reader wraps the stream's body: every read that returns data is activity.
func (w *engineWatch) Reader(r io.Reader) io.Reader { return watchedReader{r, w} }

// Err returns the watch's verdict in place of err when the engine was found gone.
func (w *engineWatch) Err(err error) error {
	if cause := context.Cause(w.Ctx); err != nil && errors.Is(cause, errEngineGone) {
		return cause
	}
	return err
}

func (w *engineWatch) stop() {
	close(w.done)
	w.cancel(nil)
}

type watchedReader struct {
	r io.Reader
	w *engineWatch
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.touch()
	}
	return n, err
}
