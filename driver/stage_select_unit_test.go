package driver

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// logEvent is the part of a JSON log line these tests look at.
type logEvent struct {
	Level, Message, Recipe, Reason string
}

func logEvents(t *testing.T, buf *bytes.Buffer) []logEvent {
	t.Helper()
	var out []logEvent
	for line := range strings.Lines(buf.String()) {
		var e logEvent
		assert.NilError(t, json.Unmarshal([]byte(line), &e), line)
		out = append(out, e)
	}
	return out
}

// A known-broken recipe is left out of "all" (logged at info with its reason) and, when named,
// selected with one warning naming it and the reason; the test stage warns only about
// known-broken recipes it tests without their having been built.
func TestSelectStageKnownBroken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"erlang", "mysql"} {
		assert.NilError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name, recipe.BuildScript), []byte("#!/bin/sh\n"), 0o755))
	}
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "erlang", recipe.KnownBrokenFile), []byte("# why\nThe emulator\naborts.\n\nDetails.\n"), 0o644))
	const reason = "The emulator aborts."

	tests := []struct {
		recipes string
		want    []string
		events  []logEvent
	}{
		{recipes: "all", want: []string{"mysql"}, events: []logEvent{
			{Level: "info", Message: "recipes selected"},
			{Level: "info", Message: "left out of all: known to be broken (name it to build it)", Recipe: "erlang", Reason: reason},
		}},
		{recipes: "erlang,mysql", want: []string{"erlang", "mysql"}, events: []logEvent{
			{Level: "info", Message: "recipes selected"},
			{Level: "warn", Message: "selected although known to be broken", Recipe: "erlang", Reason: reason},
		}},
		{recipes: "mysql", want: []string{"mysql"}, events: []logEvent{
			{Level: "info", Message: "recipes selected"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.recipes, func(t *testing.T) {
			t.Parallel()
			sel, err := recipe.ParseSelection(tc.recipes)
			assert.NilError(t, err)
			var logs bytes.Buffer
			r := &Run{Config: &Config{RecipeDirs: []recipe.Dir{{Path: dir}}, Recipes: sel, Log: zerolog.New(&logs)}}
			assert.NilError(t, selectStage{}.Run(t.Context(), r))
			var got []string
			for _, rc := range r.Selected {
				got = append(got, rc.Name)
			}
			assert.DeepEqual(t, got, tc.want)
			assert.DeepEqual(t, logEvents(t, &logs), tc.events)
		})
	}

	// The test stage warns about a known-broken recipe it tests without its having been built,
	// and not again about one the select stage warned about.
	for _, tc := range []struct {
		recipes, tests string
		warn           bool
	}{
		{recipes: "mysql", tests: "erlang", warn: true},
		{recipes: "mysql", tests: "erlang,mysql", warn: true},
		{recipes: "erlang", tests: "erlang,mysql"},
		{recipes: "mysql", tests: "all"},
	} {
		t.Run(tc.recipes+" tests "+tc.tests, func(t *testing.T) {
			t.Parallel()
			sel, err := recipe.ParseSelection(tc.recipes)
			assert.NilError(t, err)
			testSel, err := recipe.ParseSelection(tc.tests)
			assert.NilError(t, err)
			var logs bytes.Buffer
			r := &Run{Config: &Config{RecipeDirs: []recipe.Dir{{Path: dir}}, Recipes: sel, TestRecipes: &testSel, Log: zerolog.New(&logs)}}
			assert.NilError(t, selectStage{}.Run(t.Context(), r))
			logs.Reset()
			_, err = r.testList()
			assert.NilError(t, err)
			var want []logEvent
			if tc.warn {
				want = append(want, logEvent{Level: "warn", Message: "selected although known to be broken", Recipe: "erlang", Reason: reason})
			}
			assert.DeepEqual(t, logEvents(t, &logs), want)
		})
	}
}
