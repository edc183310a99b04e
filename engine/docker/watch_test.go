package docker

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// hungEngine answers nothing: a ping waits until its context ends, an image build returns a
// body that never yields a byte until the request's context ends.
type hungEngine struct {
	client.APIClient
	alive bool // pings answer at once
	pings atomic.Int32
}

func (e *hungEngine) Ping(ctx context.Context) (types.Ping, error) {
	e.pings.Add(1)
	if e.alive {
		return types.Ping{}, nil
	}
	<-ctx.Done()
	return types.Ping{}, ctx.Err()
}

func (e *hungEngine) ImageBuild(ctx context.Context, _ io.Reader, _ build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	return build.ImageBuildResponse{Body: io.NopCloser(ctxReader{ctx})}, nil
}

// ctxReader blocks until ctx ends, as a response body does when the engine sends nothing.
type ctxReader struct{ ctx context.Context }

func (r ctxReader) Read([]byte) (int, error) {
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

// trickle yields a byte every gap until n bytes.
type trickle struct {
	gap time.Duration
	n   int
}

func (t *trickle) Read(p []byte) (int, error) {
	if t.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(t.gap)
	t.n--
	p[0] = 'x'
	return 1, nil
}

func TestEngineWatch(t *testing.T) {
	t.Parallel()
	const every, timeout = 40 * time.Millisecond, 40 * time.Millisecond
	t.Run("silent stream, engine gone", func(t *testing.T) {
		t.Parallel()
		w := watchEngine(context.Background(), &hungEngine{}, every, timeout)
		defer w.stop()
		select {
		case <-w.Ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a silent stream of a hung engine was not ended")
		}
		err := w.Err(errors.New("reading: context canceled"))
		assert.Check(t, errors.Is(err, errEngineGone), "%v", err)
		assert.Check(t, is.Contains(err.Error(), "no answer to a ping within 40ms"))
	})
	t.Run("silent stream, engine alive", func(t *testing.T) {
		t.Parallel()
		e := &hungEngine{alive: true}
		w := watchEngine(context.Background(), e, every, timeout)
		time.Sleep(20 * every)
		assert.Check(t, w.Ctx.Err() == nil, "a live engine's silent stream was ended")
		assert.Check(t, e.pings.Load() >= 2, "pinged %d times", e.pings.Load())
		w.stop()
		assert.Check(t, is.Equal(w.Err(nil), nil))
	})
	t.Run("talking stream is never pinged", func(t *testing.T) {
		t.Parallel()
		// Slower checks here, so a loaded machine's scheduling never looks like silence.
		e := &hungEngine{}
		w := watchEngine(context.Background(), e, 400*time.Millisecond, timeout)
		defer w.stop()
		n, err := io.Copy(io.Discard, w.Reader(&trickle{gap: 10 * time.Millisecond, n: 100}))
		assert.NilError(t, err)
		assert.Equal(t, n, int64(100))
		assert.Check(t, w.Ctx.Err() == nil)
		assert.Check(t, is.Equal(e.pings.Load(), int32(0)))
	})
	t.Run("the caller's cancellation is not the engine's fault", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		w := watchEngine(ctx, &hungEngine{}, time.Hour, time.Hour)
		defer w.stop()
		cancel()
		<-w.Ctx.Done()
		err := w.Err(context.Canceled)
		assert.Check(t, errors.Is(err, context.Canceled) && !errors.Is(err, errEngineGone), "%v", err)
	})
}

// A build whose engine stops answering ends with that reason instead of waiting for ever.
func TestBuildImageEngineGone(t *testing.T) {
	t.Parallel()
	e := &Engine{api: &hungEngine{}, watchEvery: 40 * time.Millisecond, watchTimeout: 40 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		_, err := e.BuildImage(context.Background(), engine.BuildSpec{Context: strings.NewReader("")})
		done <- err
	}()
	select {
	case err := <-done:
		assert.Check(t, errors.Is(err, errEngineGone), "%v", err)
		assert.Check(t, is.Contains(err.Error(), "stopped answering"))
	case <-time.After(10 * time.Second):
		t.Fatal("the build waited for an engine that does not answer")
	}
}
