package driver

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
)

// errStage is a stage that fails with err.
type errStage struct {
	name string
	err  error
}

func (s errStage) String() string                  { return s.name }
func (s errStage) Run(context.Context, *Run) error { return s.err }

// A stage's failure is prefixed with its name once, and a usage error not at all: the message
// says what to change.
func TestRunStagesErrorPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "plain", err: errors.New("engine went away"), want: "toolchain image: engine went away"},
		{name: "names the stage already", err: &BuildError{Message: "boom"}, want: "toolchain image build failed: boom"},
		{name: "usage", err: usageError(errors.New(`unknown recipe: "x"`)), want: `unknown recipe: "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Log: zerolog.Nop()}}
			err := runStages(context.Background(), r, []Stage{errStage{name: "toolchain image", err: tc.err}})
			assert.Error(t, err, tc.want)
			assert.Check(t, errors.Is(err, tc.err))
		})
	}
}
