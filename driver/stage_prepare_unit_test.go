package driver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// unitDeadPID returns the PID of a process that has exited.
func unitDeadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	assert.NilError(t, cmd.Run())
	return cmd.ProcessState.Pid()
}

func TestRemoveDeadStaging(t *testing.T) {
	t.Parallel()
	l := resultdir.Layout{Root: t.TempDir()}
	staging := filepath.Join(l.State(), "staging")
	live := "20240101T000000-" + strconv.Itoa(os.Getppid()) // `go test` itself, still running
	dead := "20240101T000000-" + strconv.Itoa(unitDeadPID(t))
	// A directory named after this process cannot be a live run of another process, and this
	// process makes its own staging directory only after cleaning up.
	own := "20240101T000000-" + strconv.Itoa(os.Getpid())
	for _, d := range []string{live, dead, own, "no-pid-here", "20240101T000000-x"} {
		assert.NilError(t, os.MkdirAll(filepath.Join(staging, d, "recipe", "tree"), 0o755))
	}
	assert.NilError(t, os.WriteFile(filepath.Join(staging, "stray-file"), nil, 0o644))

	removeDeadStaging(l)

	entries, err := os.ReadDir(staging)
	assert.NilError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.DeepEqual(t, left, []string{live})
}

func TestRemoveDeadStagingNothingThere(t *testing.T) {
	t.Parallel()
	removeDeadStaging(resultdir.Layout{Root: filepath.Join(t.TempDir(), "missing")}) // no panic, no error
}

func TestPrepareStage(t *testing.T) {
	t.Parallel()
	l := resultdir.Layout{Root: filepath.Join(t.TempDir(), "result")}
	assert.NilError(t, os.MkdirAll(l.Root, 0o755))
	r := &Run{Config: &Config{RunID: "now-1", KeepRecipes: true, Log: zerolog.Nop()}, Layout: l}

	assert.NilError(t, prepareStage{}.Run(t.Context(), r))

	for _, d := range []string{l.LogDir(), l.Packages(), l.Intermediates(), l.Staging("now-1")} {
		fi, err := os.Stat(d)
		assert.NilError(t, err)
		assert.Check(t, fi.IsDir(), d)
	}
}

// dropOthers is KEEP_RECIPES=no: results of recipes outside this run go, selected ones stay
// until their rebuild replaces them.
func TestDropOthers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		interactive bool
		silent      bool
		answer      string
		wantErr     error
		wantLeft    []string // packages/ after
	}{
		{name: "not a terminal: no question", wantLeft: []string{"keep.mpm", "keep.yaml"}},
		{name: "silent: no question", interactive: true, silent: true, wantLeft: []string{"keep.mpm", "keep.yaml"}},
		{name: "confirmed", interactive: true, answer: "Yes\n", wantLeft: []string{"keep.mpm", "keep.yaml"}},
		{
			name: "refused", interactive: true, answer: "n\n", wantErr: errInterrupted,
			wantLeft: []string{"drop.mpm", "drop.yaml", "keep.mpm", "keep.yaml"},
		},
		{
			name: "no answer", interactive: true, answer: "", wantErr: errInterrupted,
			wantLeft: []string{"drop.mpm", "drop.yaml", "keep.mpm", "keep.yaml"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := resultdir.Layout{Root: t.TempDir()}
			unitInstalled(t, l, "keep", "k")
			unitInstalled(t, l, "drop", "d")
			var out bytes.Buffer
			r := &Run{
				Config: &Config{
					RunID: "now-1", Interactive: tc.interactive, Silent: tc.silent,
					Out: &out, In: strings.NewReader(tc.answer), Log: zerolog.Nop(),
				},
				Layout:   l,
				Selected: []*recipe.Recipe{{Name: "keep"}},
			}
			err := dropOthers(r)
			if tc.wantErr != nil {
				assert.Assert(t, errors.Is(err, tc.wantErr), "%v", err)
			} else {
				assert.NilError(t, err)
			}
			if tc.interactive && !tc.silent {
				assert.Check(t, is.Contains(out.String(), "(drop)"))
			} else {
				assert.Equal(t, out.String(), "")
			}
			entries, err := os.ReadDir(l.Packages())
			assert.NilError(t, err)
			var left []string
			for _, e := range entries {
				left = append(left, e.Name())
			}
			assert.DeepEqual(t, left, tc.wantLeft)
			_, err = os.Stat(l.Intermediate("drop"))
			assert.Equal(t, err == nil, tc.wantErr != nil, "intermediate/drop: %v", err)
		})
	}
}

func TestRemoveDeadTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := fmt.Sprintf("%s%d-1.tar", contextTempPrefix, os.Getpid())
	for _, name := range []string{live, contextTempPrefix + "999999999-2.tar", "someone-elses"} {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	removeDeadTemp(dir)
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.DeepEqual(t, names, []string{live, "someone-elses"})
}

// unitInstalled puts an earlier package for name in place, as a previous run left it.
func unitInstalled(t *testing.T, l resultdir.Layout, name, content string) {
	t.Helper()
	assert.NilError(t, l.Create())
	assert.NilError(t, os.MkdirAll(filepath.Join(l.Intermediate(name), "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(l.Intermediate(name), content+".txt"), []byte(content), 0o644))
	assert.NilError(t, os.WriteFile(l.MPM(name), []byte(content+" mpm"), 0o644))
	assert.NilError(t, os.WriteFile(l.Descriptor(name), []byte(content+" yaml"), 0o644))
}
