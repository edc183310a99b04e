package docker

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// message is one message of the engine's JSON progress stream (image build, push, pull).
type message struct {
	Stream   string `json:"stream"`
	Status   string `json:"status"`
	ID       string `json:"id"`
	Progress *struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// isProgressBar tells a progress update (many per layer) from a status line ("Pushed").
func (m *message) isProgressBar() bool {
	return m.Progress != nil && (m.Progress.Current > 0 || m.Progress.Total > 0)
}

// streamError is an error message the engine sent inside a progress stream.
type streamError struct{ Message string }

func (e *streamError) Error() string { return e.Message }

// readStream reads a progress stream of the engine to its very end, since failures arrive
// inside it. Its text and status lines (not the progress bars) go to log with terminal escape
// codes removed; text also goes to onText, and every aux message to onAux (both may be nil).
// An error message in the stream ends it as a *streamError.
func readStream(r io.Reader, log io.Writer, onText func(string), onAux func(json.RawMessage)) error {
	dec := json.NewDecoder(r)
	for {
		var msg message
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's output: %w", err)
		}
		switch {
		case msg.ErrorDetail != nil || msg.Error != "":
			text := msg.Error
			if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
				text = msg.ErrorDetail.Message
			}
			text = linetail.StripANSI(text)
			fmt.Fprintln(log, "ERROR:", text)
			return &streamError{Message: text}
		case msg.Stream != "":
			text := linetail.StripANSI(msg.Stream)
			io.WriteString(log, text)
			if onText != nil {
				onText(text)
			}
		case msg.Status != "" && !msg.isProgressBar():
			if msg.ID != "" {
				fmt.Fprintf(log, "%s: %s\n", msg.ID, linetail.StripANSI(msg.Status))
			} else {
				fmt.Fprintln(log, linetail.StripANSI(msg.Status))
			}
		}
		if len(msg.Aux) > 0 && onAux != nil {
			onAux(msg.Aux)
		}
	}
}

const buildTailLines = 20

// stepLine is how the classic builder announces a Dockerfile instruction.
var stepLine = regexp.MustCompile(`^Step (\d+)/(\d+) : (.*)$`)

// readBuildStream reads an ImageBuild response into log to its end and returns the built
// image's ID; a failed build is an *engine.BuildError with the step and the last lines of its
// output. obs, when not nil, hears the output and the steps.
func readBuildStream(r io.Reader, log io.Writer, obs engine.BuildObserver) (string, error) {
	tail := linetail.New(buildTailLines)
	var id, step string
	err := readStream(r, log, func(text string) {
		tail.Write([]byte(text))
		if obs != nil {
			io.WriteString(obs, text)
		}
		if s := strings.TrimSpace(text); strings.HasPrefix(s, "Step ") {
			step = s
			if m := stepLine.FindStringSubmatch(s); m != nil && obs != nil {
				n, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				obs.Step(n, total, m[3])
			}
		}
	}, func(aux json.RawMessage) {
		var a struct{ ID string }
		if json.Unmarshal(aux, &a) == nil && a.ID != "" {
			id = a.ID
		}
	})
	if se, ok := err.(*streamError); ok {
		return "", &engine.BuildError{Step: step, Message: se.Message, Tail: tail.Lines()}
	}
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", &engine.BuildError{Step: step, Message: "the engine reported no image ID", Tail: tail.Lines()}
	}
	return id, nil
}
