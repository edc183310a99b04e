package driver

import (
	"os"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
)

func TestBuildOrder(t *testing.T) {
	t.Parallel()
	prev := func(took map[string]float64) map[string]float64 { return took }
	tests := []struct {
		name string
		sel  []string
		prev map[string]float64
		want []string
	}{
		{name: "no previous run keeps the selection order", sel: []string{"d", "b", "a", "c"}, want: []string{"d", "b", "a", "c"}},
		{name: "empty history", sel: []string{"b", "a"}, prev: map[string]float64{}, want: []string{"b", "a"}},
		{
			name: "longest first, unknown ones after in their order",
			sel:  []string{"a", "b", "c", "d", "e"},
			prev: prev(map[string]float64{"c": 10, "a": 5, "e": 0.5, "gone": 100}),
			want: []string{"c", "a", "e", "b", "d"},
		},
		{
			name: "equal durations stay in selection order",
			sel:  []string{"x", "y", "z"},
			prev: prev(map[string]float64{"x": 2, "y": 2, "z": 3}),
			want: []string{"z", "x", "y"},
		},
		{name: "nothing selected", sel: nil, prev: prev(map[string]float64{"a": 1}), want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sel []*recipe.Recipe
			for _, n := range tc.sel {
				sel = append(sel, &recipe.Recipe{Name: n})
			}
			orig := append([]*recipe.Recipe(nil), sel...)
			got := []string{}
			for _, r := range buildOrder(sel, tc.prev) {
				got = append(got, r.Name)
			}
			assert.DeepEqual(t, got, tc.want)
			// The selection itself (the report's order) is left alone.
			for i := range sel {
				assert.Equal(t, sel[i], orig[i])
			}
		})
	}
}

func TestRunJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		jobs, cpus int
		want       int
	}{
		{name: "--jobs wins", jobs: 3, cpus: 8, want: 3},
		{name: "engine CPUs by default", cpus: 8, want: 8},
		{name: "at least one", want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Jobs: tc.jobs}, EngineCPUs: tc.cpus}
			assert.Equal(t, r.jobs(), tc.want)
		})
	}
}

func TestDurationsHistory(t *testing.T) {
	t.Parallel()
	l := resultdir.Layout{Root: t.TempDir()}
	assert.DeepEqual(t, readDurations(l), map[string]float64{})
	assert.NilError(t, os.MkdirAll(l.State(), 0o755))
	assert.NilError(t, resultdir.WriteState(l.Durations(), map[string]float64{"a": 12.5}))
	assert.DeepEqual(t, readDurations(l), map[string]float64{"a": 12.5})
	assert.NilError(t, os.WriteFile(l.Durations(), []byte("{not json"), 0o644))
	assert.DeepEqual(t, readDurations(l), map[string]float64{}) // a broken file is no history
}
