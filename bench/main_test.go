package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		assert.Equal(t, median(tc.in), tc.want, "%v", tc.in)
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		row     Row
		wantMet *bool
	}{
		{"ratio met", Row{Ratio: 0.9, Targets: []Target{{On: "ratio", Op: "<=", Value: 1}}}, ptr(true)},
		{"ratio missed", Row{Ratio: 1.1, Targets: []Target{{On: "ratio", Op: "<=", Value: 1}}}, ptr(false)},
		{"both needed", Row{Ratio: 30, Pkgdriver: 4, Targets: []Target{{On: "ratio", Op: ">=", Value: 20}, {On: "pkgdriver", Op: "<", Value: 3}}}, ptr(false)},
		{"strict bound", Row{Pkgdriver: 0.5, Targets: []Target{{On: "pkgdriver", Op: "<", Value: 0.5}}}, ptr(false)},
		{"reported only", Row{Ratio: 3}, nil},
		{"error", Row{Error: "boom", Targets: []Target{{On: "ratio", Op: ">=", Value: 1}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.row.judge()
			if tc.wantMet == nil {
				assert.Assert(t, tc.row.Met == nil)
				return
			}
			assert.Assert(t, tc.row.Met != nil)
			assert.Equal(t, *tc.row.Met, *tc.wantMet)
		})
	}
}

func ptr(b bool) *bool { return &b }

func TestFirstLineTime(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          time.Time
		wantErr       bool
	}{
		{"date line", "1704164645.123456789\nrest\n", time.Unix(1704164645, 123456789), false},
		{"not a date", "hello\n", time.Time{}, true},
		{"short fraction", "1704164645.12\n", time.Time{}, true},
		{"empty", "", time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".log")
			assert.NilError(t, os.WriteFile(p, []byte(tc.content), 0o644))
			got, err := firstLineTime(p)
			if tc.wantErr {
				assert.Assert(t, err != nil)
				return
			}
			assert.NilError(t, err)
			assert.Assert(t, got.Equal(tc.want), "got %v", got)
		})
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-tree-mb", "128", "-metrics", "pack,logs"})
	assert.NilError(t, err)
	assert.Equal(t, o.scale.TreeMB, 128)
	assert.Equal(t, o.scale.Reps, quickScale().Reps)
	assert.DeepEqual(t, o.metrics, []string{"pack", "logs"})

	_, err = parseFlags([]string{"-metrics", "speed"})
	assert.ErrorContains(t, err, `unknown metric "speed"`)
	_, err = parseFlags([]string{"-reps", "-1"})
	assert.ErrorContains(t, err, "negative")

	// realosv runs only with a real OSv checkout; its commits come in a pair.
	t.Setenv("OSV_SRC", "")
	o, err = parseFlags(nil)
	assert.NilError(t, err)
	assert.Check(t, !slices.Contains(o.metrics, "realosv"))
	o, err = parseFlags([]string{"-osv-src", "/osv"})
	assert.NilError(t, err)
	assert.Check(t, slices.Contains(o.metrics, "realosv"))
	assert.DeepEqual(t, o.osvCommits, []string{"HEAD~1", "HEAD"})
	_, err = parseFlags([]string{"-osv-commits", "HEAD"})
	assert.ErrorContains(t, err, "two commits")
}
