package driver

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// noLinkBetween is the guard for a link above the entry being written.

// What build.sh leaves that cannot be packaged fails the recipe in gather, naming the cause.
func TestGatherFailuresOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("gone", []string{"rmresult"}, nil)
	env.recipe("empty", []string{"echo nothing"}, nil)
	env.recipe("nometa", []string{"file f x"}, nil)
	env.recipe("pipe", []string{"file f x", "init", "special p fifo"}, nil)
	env.recipe("ships", []string{"file f x"}, map[string]string{"meta/package.yaml": "name: ships\ntitle: T\nauthor: tests\nversion: \"1.0\"\n"})
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	for name, want := range map[string]string{
		"gone":   "$PACKAGE_RESULT_DIR is gone",
		"empty":  "the result directory is empty",
		"nometa": "meta/package.yaml: missing",
		"pipe":   "fifo",
	} {
		r := result(t, rep, name)
		assert.Check(t, is.Equal(r.Status, StatusFailed), name)
		assert.Check(t, is.Contains(r.Error, want), name)
	}
	assert.Check(t, is.Equal(result(t, rep, "ships").Status, StatusBuilt), result(t, rep, "ships").Error)
}
