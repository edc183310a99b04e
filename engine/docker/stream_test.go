package docker

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// jsonStream joins engine messages the way ImageBuild's response body carries them.
func jsonStream(msgs ...string) string {
	return strings.Join(msgs, "\n") + "\n"
}

func TestReadBuildStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stream  string
		wantID  string
		wantLog []string // substrings of what reaches the log
		// With wantErr set, the error must be a *BuildError with this message, step and tail.
		wantErr  string
		wantStep string
		wantTail []string
	}{
		{
			name: "success with the image ID in aux",
			stream: jsonStream(
				`{"stream":"Step 1/2 : FROM debian\n"}`,
				`{"stream":" ---\u003e 1234\n"}`,
				`{"status":"Pulling fs layer","id":"abc"}`,
				`{"stream":"Step 2/2 : RUN true\n"}`,
				`{"aux":{"ID":"sha256:feedface"}}`,
				`{"stream":"Successfully built feedface\n"}`,
			),
			wantID:  "sha256:feedface",
			wantLog: []string{"Step 1/2 : FROM debian\n", "Pulling fs layer\n", "Successfully built feedface\n"},
		},
		{
			name: "the last aux ID wins",
			stream: jsonStream(
				`{"aux":{"ID":"sha256:first"}}`,
				`{"aux":{"ID":"sha256:second"}}`,
			),
			wantID: "sha256:second",
		},
		{
			name: "error after a step",
			stream: jsonStream(
				`{"stream":"Step 1/5 : FROM debian\n"}`,
				`{"stream":"Step 2/5 : RUN true\n"}`,
				`{"stream":"Step 3/5 : RUN false\n"}`,
				`{"stream":" ---\u003e Running in 0123\n"}`,
				`{"stream":"oops\r\n"}`,
				`{"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"}`,
				`{"aux":{"ID":"sha256:never-read"}}`,
			),
			wantErr:  "The command '/bin/sh -c false' returned a non-zero code: 1",
			wantStep: "Step 3/5 : RUN false",
			wantTail: []string{"Step 1/5 : FROM debian", "Step 2/5 : RUN true", "Step 3/5 : RUN false", " ---> Running in 0123", "oops"},
			wantLog:  []string{"ERROR: The command '/bin/sh -c false'"},
		},
		{
			name:     "error with only the error field",
			stream:   jsonStream(`{"stream":"Step 1/1 : FROM nothing\n"}`, `{"error":"pull access denied"}`),
			wantErr:  "pull access denied",
			wantStep: "Step 1/1 : FROM nothing",
			wantTail: []string{"Step 1/1 : FROM nothing"},
		},
		{
			name:     "stream ends without an image ID",
			stream:   jsonStream(`{"stream":"Step 1/1 : FROM debian\n"}`, `{"stream":"half"}`),
			wantErr:  "the engine reported no image ID",
			wantStep: "Step 1/1 : FROM debian",
			wantTail: []string{"Step 1/1 : FROM debian", "half"},
		},
		{
			name: "colour codes are dropped from the log, the tail and the error",
			stream: jsonStream(
				`{"stream":"Step 1/1 : RUN make\n"}`,
				`{"stream":"\u001b[1;31merror:\u001b[0m no rule\n"}`,
				`{"error":"\u001b[31mThe command returned a non-zero code: 2\u001b[0m"}`,
			),
			wantErr:  "The command returned a non-zero code: 2",
			wantStep: "Step 1/1 : RUN make",
			wantTail: []string{"Step 1/1 : RUN make", "error: no rule"},
			wantLog:  []string{"error: no rule\n", "ERROR: The command returned"},
		},
		{
			name:     "empty stream",
			stream:   "",
			wantErr:  "the engine reported no image ID",
			wantTail: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log strings.Builder
			id, err := readBuildStream(strings.NewReader(tc.stream), &log, nil)
			for _, s := range tc.wantLog {
				assert.Check(t, is.Contains(log.String(), s))
			}
			assert.Check(t, !strings.Contains(log.String(), "\x1b"), "an escape code reached the log: %q", log.String())
			if err != nil {
				assert.Check(t, !strings.Contains(err.Error(), "\x1b"), "an escape code reached the error: %q", err)
			}
			if tc.wantErr == "" {
				assert.NilError(t, err)
				assert.Equal(t, id, tc.wantID)
				return
			}
			assert.Equal(t, id, "")
			var be *engine.BuildError
			assert.Assert(t, errors.As(err, &be), "error %v (%T) is not a *BuildError", err, err)
			assert.Equal(t, be.Message, tc.wantErr)
			assert.Equal(t, be.Step, tc.wantStep)
			tail := be.Tail
			if tail == nil {
				tail = []string{}
			}
			assert.DeepEqual(t, tail, tc.wantTail)
			assert.Check(t, is.Contains(err.Error(), tc.wantErr))
			if tc.wantStep != "" {
				assert.Check(t, is.Contains(err.Error(), "at "+tc.wantStep))
			}
		})
	}
}

func TestReadBuildStreamMalformed(t *testing.T) {
	t.Parallel()
	_, err := readBuildStream(strings.NewReader(`{"stream":"Step 1/1 : FROM x\n"}{"stream":`), &strings.Builder{}, nil)
	assert.ErrorContains(t, err, "reading the engine's output")
	var be *engine.BuildError
	assert.Assert(t, !errors.As(err, &be), "a broken stream is not a build failure: %v", err)
}

// The tail keeps only the last buildTailLines lines of a long build.
func TestReadBuildStreamTailIsBounded(t *testing.T) {
	t.Parallel()
	var msgs []string
	for i := 0; i < 3*buildTailLines; i++ {
		msgs = append(msgs, `{"stream":"line\n"}`)
	}
	msgs = append(msgs, `{"error":"boom"}`)
	_, err := readBuildStream(strings.NewReader(jsonStream(msgs...)), &strings.Builder{}, nil)
	var be *engine.BuildError
	assert.Assert(t, errors.As(err, &be))
	assert.Equal(t, len(be.Tail), buildTailLines)
}

// stepRecorder is a buildObserver that keeps what it hears.
type stepRecorder struct {
	strings.Builder
	steps []string
}

func (r *stepRecorder) Step(n, total int, instruction string) {
	r.steps = append(r.steps, fmt.Sprintf("%d/%d %s", n, total, instruction))
}

func TestReadBuildStreamObserver(t *testing.T) {
	t.Parallel()
	var obs stepRecorder
	_, err := readBuildStream(strings.NewReader(jsonStream(
		`{"stream":"Step 1/3 : FROM debian\n"}`,
		`{"stream":"Step 2/3 : RUN apt-get install -y \u001b[32mgcc\u001b[0m\n"}`,
		`{"stream":"Setting up gcc\n"}`,
		`{"stream":"Step 3/3 : RUN true\n"}`,
		`{"aux":{"ID":"sha256:feedface"}}`,
	)), &strings.Builder{}, &obs)
	assert.NilError(t, err)
	assert.DeepEqual(t, obs.steps, []string{"1/3 FROM debian", "2/3 RUN apt-get install -y gcc", "3/3 RUN true"})
	assert.Check(t, is.Contains(obs.String(), "Setting up gcc\n"))
}
