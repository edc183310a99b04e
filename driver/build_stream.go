package driver

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/docker/docker/pkg/jsonmessage"
)

// BuildError is a failed image build: the step that failed and the last lines of its output.
type BuildError struct {
	Step    string
	Message string
	Tail    []string
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "toolchain image build failed")
	if e.Step != "" {
		fmt.Fprintf(&b, " at %s", e.Step)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\n  last lines of its output:\n    %s", strings.Join(e.Tail, "\n    "))
	}
	return b.String()
}

const buildTailLines = 20

// buildObserver hears a build as it goes: its output and each Dockerfile step as it starts.
type buildObserver interface {
	io.Writer
	Step(n, total int, instruction string)
}

// stepLine is how the classic builder announces a Dockerfile instruction.
var stepLine = regexp.MustCompile(`^Step (\d+)/(\d+) : (.*)$`)

// readBuildStream copies an ImageBuild response into log to its very end (build errors arrive
// inside the stream, not as the call's error) and returns the built image's ID. Colour codes
// of the build's tools are dropped: the log and the error are read as plain text. obs, when not
// nil, hears the output and the steps.
func readBuildStream(r io.Reader, log io.Writer, obs buildObserver) (string, error) {
	dec := json.NewDecoder(r)
	tail := newLineTail(buildTailLines)
	out := io.MultiWriter(log, tail)
	if obs != nil {
		out = io.MultiWriter(log, tail, obs)
	}
	var id, step string
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("toolchain image build: reading the engine's output: %w", err)
		}
		if text := stripANSI(msg.Stream); text != "" {
			io.WriteString(out, text)
			if s := strings.TrimSpace(text); strings.HasPrefix(s, "Step ") {
				step = s
				if m := stepLine.FindStringSubmatch(s); m != nil && obs != nil {
					n, _ := strconv.Atoi(m[1])
					total, _ := strconv.Atoi(m[2])
					obs.Step(n, total, m[3])
				}
			}
		}
		if msg.Status != "" {
			fmt.Fprintln(log, stripANSI(msg.Status))
		}
		if msg.Error != nil || msg.ErrorMessage != "" {
			text := msg.ErrorMessage
			if msg.Error != nil {
				text = msg.Error.Message
			}
			text = stripANSI(text)
			fmt.Fprintln(log, "ERROR:", text)
			return "", &BuildError{Step: step, Message: text, Tail: tail.Lines()}
		}
		if msg.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*msg.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
	if id == "" {
		return "", &BuildError{Step: step, Message: "the engine reported no image ID", Tail: tail.Lines()}
	}
	return id, nil
}

// readFileFromContainer returns one regular file of a (possibly never started) container.
func readFileFromContainer(ctx context.Context, run Runner, id, path string, limit int64) ([]byte, error) {
	rc, err := run.CopyOut(ctx, id, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if hdr.Size > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", path, hdr.Size, limit)
	}
	return io.ReadAll(tr)
}
