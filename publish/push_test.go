package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
)

// TestPublishPushRetries: a transient failure is tried again, a refused one is not; the stream
// itself is read by the engine (engine/docker's TestPushImageStream).
func TestPublishPushRetries(t *testing.T) {
	ok := func() (engine.Pushed, error) { return engine.Pushed{Digest: "sha256:1111", Size: 528}, nil }
	fail := func(err error) func() (engine.Pushed, error) {
		return func() (engine.Pushed, error) { return engine.Pushed{}, err }
	}
	unauthorized := fail(fmt.Errorf("unauthorized: authentication required: %w", engine.ErrUnauthorized))
	noAuth := fail(fmt.Errorf("no basic auth credentials: %w", engine.ErrUnauthorized))
	missing := fail(fmt.Errorf("An image does not exist locally with the tag: r/x: %w", engine.ErrNotFound))
	transient := fail(errors.New("received unexpected HTTP status: 503 Service Unavailable"))
	noDigest := fail(errors.New("the engine reported no digest for the pushed image"))
	truncated := fail(errors.New("reading the engine's output: unexpected EOF"))
	for _, tc := range []struct {
		name    string
		answers []func() (engine.Pushed, error)
		calls   int
		kind    error
		err     string
	}{
		{name: "ok", answers: []func() (engine.Pushed, error){ok}, calls: 1},
		{name: "unauthorized is permanent", answers: []func() (engine.Pushed, error){unauthorized, ok}, calls: 1, kind: ErrRegistryUnauthorized, err: "unauthorized: authentication required"},
		{name: "no credentials is permanent", answers: []func() (engine.Pushed, error){noAuth, ok}, calls: 1, kind: ErrRegistryUnauthorized},
		{name: "missing image is permanent", answers: []func() (engine.Pushed, error){missing, ok}, calls: 1, kind: ErrRegistryNotFound},
		{name: "transient then ok", answers: []func() (engine.Pushed, error){transient, ok}, calls: 2},
		{name: "transient every time", answers: []func() (engine.Pushed, error){transient}, calls: 3, err: "503"},
		{name: "no digest", answers: []func() (engine.Pushed, error){noDigest}, calls: 3, err: "no digest"},
		{name: "truncated stream", answers: []func() (engine.Pushed, error){truncated}, calls: 3, err: "reading the engine's output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := enginetest.New()
			calls := 0
			fake.PushScript = func(_ context.Context, ref string, _ engine.RegistryAuth, log io.Writer) (engine.Pushed, error) {
				answer := tc.answers[min(calls, len(tc.answers)-1)]
				calls++
				return answer()
			}
			var progress bytes.Buffer
			p := &pusher{Engine: fake, Log: zerolog.Nop(), Progress: &progress, Attempts: 3, Backoff: time.Millisecond}
			got, err := p.push(context.Background(), "r/x:latest")
			assert.Check(t, is.Equal(calls, tc.calls))
			assert.Check(t, is.Contains(progress.String(), "push r/x:latest\n"))
			if tc.err == "" && tc.kind == nil {
				assert.NilError(t, err)
				assert.Check(t, is.DeepEqual(got, PushedImage{Ref: "r/x:latest", Digest: "sha256:1111", Size: 528}))
				return
			}
			var pe *PushError
			assert.Assert(t, errors.As(err, &pe), "%v", err)
			assert.Check(t, is.Equal(pe.Ref, "r/x:latest"))
			if tc.kind != nil {
				assert.Check(t, errors.Is(err, tc.kind))
				assert.Check(t, pe.Permanent())
			} else {
				assert.Check(t, !pe.Permanent())
			}
			assert.Check(t, is.ErrorContains(err, tc.err))
		})
	}
}

// A cancelled push stops waiting between attempts.
func TestPublishPushCancelledBetweenAttempts(t *testing.T) {
	fake := enginetest.New()
	ctx, cancel := context.WithCancel(context.Background())
	fake.PushScript = func(context.Context, string, engine.RegistryAuth, io.Writer) (engine.Pushed, error) {
		cancel()
		return engine.Pushed{}, errors.New("503")
	}
	p := &pusher{Engine: fake, Log: zerolog.Nop(), Progress: io.Discard, Attempts: 3, Backoff: time.Hour}
	_, err := p.push(ctx, "r/x:latest")
	assert.Check(t, errors.Is(err, context.Canceled), "%v", err)
}
