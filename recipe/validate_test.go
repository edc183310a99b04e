package recipe

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
)

// errRejected is what the test run.yaml hook returns.
var errRejected = errors.New("rejected by hook")

// rejectBad is a ValidateRunYAML hook that refuses files containing "bad".
func rejectBad(data []byte, file string) error {
	if strings.Contains(string(data), "bad") {
		return fmt.Errorf("line 1: %w", errRejected)
	}
	return nil
}

// wantErr is one expected problem: the file it names and a cause that
// errors.Is must find.
type wantErr struct {
	file string
	is   error
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		tree     tree
		want     []wantErr
		wantDemo bool
		wantMeta bool
		// wantBroken is the reason the recipe's known-broken file gives.
		wantBroken string
	}{
		{name: "minimal", tree: minimal()},
		{name: "with meta", tree: merge(minimal(), withMeta()), wantMeta: true},
		{name: "with demo", tree: merge(minimal(), withDemo()), wantDemo: true},
		{name: "with meta and demo", tree: merge(minimal(), withMeta(), withDemo()), wantDemo: true, wantMeta: true},
		{name: "empty meta", tree: merge(minimal(), tree{"meta": dir()}), wantMeta: true},
		{
			name: "build.sh symlink inside recipe",
			tree: tree{"build.sh": link("scripts/build.sh"), "scripts/build.sh": script(goodBuild)},
		},
		{
			name: "CRLF without #! is left alone",
			tree: tree{"build.sh": script("echo hi\r\n")},
		},
		{
			name: "CRLF after the first line is left alone",
			tree: tree{"build.sh": script("#!/bin/sh\necho hi\r\n")},
		},
		{name: "missing build.sh", tree: tree{"patch.diff": file("x")}, want: []wantErr{{"build.sh", ErrMissing}}},
		{name: "build.sh is a directory", tree: tree{"build.sh/x": file("")}, want: []wantErr{{"build.sh", ErrNotRegular}}},
		{
			name: "build.sh not executable",
			tree: tree{"build.sh": file(goodBuild)},
			want: []wantErr{{"build.sh", ErrNotExecutable}},
		},
		{
			name: "build.sh group-executable only",
			tree: tree{"build.sh": {content: goodBuild, mode: 0o654}},
			want: []wantErr{{"build.sh", ErrNotExecutable}},
		},
		{
			name: "build.sh CRLF",
			tree: tree{"build.sh": script("#!/bin/bash\r\necho hi\r\n")},
			want: []wantErr{{"build.sh", ErrCRLF}},
		},
		{
			name: "build.sh CRLF single line",
			tree: tree{"build.sh": script("#!/bin/sh\r")},
			want: []wantErr{{"build.sh", ErrCRLF}},
		},
		{
			name: "build.sh CRLF and not executable",
			tree: tree{"build.sh": file("#!/bin/bash\r\n")},
			want: []wantErr{{"build.sh", ErrNotExecutable}, {"build.sh", ErrCRLF}},
		},
		{
			name: "build.sh symlink leaves recipe",
			tree: tree{"build.sh": link("../../outside.sh"), "../../outside.sh": script(goodBuild)},
			want: []wantErr{{"build.sh", ErrLinkOutside}},
		},
		{
			name: "build.sh symlink to the common directory",
			tree: tree{"build.sh": link("../common/build.sh"), "../common/build.sh": script(goodBuild)},
		},
		{
			name: "file symlink to a sibling recipe's file",
			tree: merge(minimal(), tree{"data/shared.txt": link("../../common/data.txt"), "../common/data.txt": file("x")}),
		},
		{
			name: "directory symlink inside the recipes directory",
			tree: merge(minimal(), tree{"patches": link("../common/patches"), "../common/patches/a.patch": file("x")}),
		},
		{
			name: "symlink to a host file",
			tree: merge(minimal(), tree{"data/host": link("/etc/hostname")}),
			want: []wantErr{{"data/host", ErrLinkOutside}},
		},
		{
			name: "dangling symlink deep in the tree",
			tree: merge(minimal(), tree{"a/b/gone": link("../nowhere")}),
			want: []wantErr{{"a/b/gone", ErrBrokenLink}},
		},
		{
			name: "symlink to its own directory",
			tree: merge(minimal(), tree{"sub/again": link(".")}),
			want: []wantErr{{"sub/again", ErrLinkCycle}},
		},
		{
			name: "symlink to the recipes directory",
			tree: merge(minimal(), tree{"all": link("..")}),
			want: []wantErr{{"all", ErrLinkCycle}},
		},
		{
			name: "symlink to itself",
			tree: merge(minimal(), tree{"self": link("self")}),
			want: []wantErr{{"self", ErrLinkCycle}},
		},
		{
			name: "build.sh broken symlink",
			tree: tree{"build.sh": link("nowhere.sh")},
			want: []wantErr{{"build.sh", ErrBrokenLink}},
		},
		{
			name: "meta is a file",
			tree: merge(minimal(), tree{"meta": file("x")}),
			want: []wantErr{{"meta", ErrNotDir}},
		},
		{
			name: "meta is a symlink",
			tree: merge(minimal(), tree{"meta": link("other"), "other/README.md": file("x")}),
			want: []wantErr{{"meta", ErrNotDir}},
		},
		{
			name:     "meta/package.yaml is a directory",
			tree:     merge(minimal(), tree{"meta/package.yaml/x": file("")}),
			want:     []wantErr{{"meta/package.yaml", ErrNotRegular}},
			wantMeta: true,
		},
		{
			name:     "meta/run.yaml rejected by hook",
			tree:     merge(minimal(), withMeta(), tree{"meta/run.yaml": file("bad: yes\n")}),
			want:     []wantErr{{"meta/run.yaml", ErrInvalidConfig}, {"meta/run.yaml", errRejected}},
			wantMeta: true,
		},
		{
			name: "demo is a file",
			tree: merge(minimal(), tree{"demo": file("x")}),
			want: []wantErr{{"demo", ErrNotDir}},
		},
		{
			name: "demo without run.yaml",
			tree: merge(minimal(), without(withDemo(), "demo/pkg/meta/run.yaml")),
			want: []wantErr{{"demo/pkg/meta/run.yaml", ErrMissing}},
		},
		{
			name: "demo without package.yaml.templ",
			tree: merge(minimal(), without(withDemo(), "demo/pkg/meta/package.yaml.templ")),
			want: []wantErr{{"demo/pkg/meta/package.yaml.templ", ErrMissing}},
		},
		{
			name: "demo without expected-stdout.txt",
			tree: merge(minimal(), without(withDemo(), "demo/expected-stdout.txt")),
			want: []wantErr{{"demo/expected-stdout.txt", ErrMissing}},
		},
		{
			name: "empty demo",
			tree: merge(minimal(), tree{"demo": dir()}),
			want: []wantErr{
				{"demo/pkg/meta/package.yaml.templ", ErrMissing},
				{"demo/pkg/meta/run.yaml", ErrMissing},
				{"demo/expected-stdout.txt", ErrMissing},
			},
		},
		{
			name: "demo expected-stdout.txt is a directory",
			tree: merge(minimal(), without(withDemo(), "demo/expected-stdout.txt"), tree{"demo/expected-stdout.txt": dir()}),
			want: []wantErr{{"demo/expected-stdout.txt", ErrNotRegular}},
		},
		{
			name: "empty expected-stdout",
			tree: merge(minimal(), withDemo(), tree{"demo/expected-stdout.txt": file("")}),
			want: []wantErr{{"demo/expected-stdout.txt", ErrEmptyExpected}},
		},
		{
			name: "whitespace expected-stdout",
			tree: merge(minimal(), withDemo(), tree{"demo/expected-stdout.txt": file(" \n\t\r\n")}),
			want: []wantErr{{"demo/expected-stdout.txt", ErrEmptyExpected}},
		},
		{
			name: "demo run.yaml rejected by hook",
			tree: merge(minimal(), withDemo(), tree{"demo/pkg/meta/run.yaml": file("bad: yes\n")}),
			want: []wantErr{{"demo/pkg/meta/run.yaml", ErrInvalidConfig}, {"demo/pkg/meta/run.yaml", errRejected}},
		},
		{
			name:       "known-broken",
			tree:       merge(minimal(), tree{"known-broken": file("# why\n\nIts demo aborts\n  on OSv 0.57.\n\nDetails for people.\n")}),
			wantBroken: "Its demo aborts on OSv 0.57.",
		},
		{
			name:       "known-broken symlink inside the recipes directory",
			tree:       merge(minimal(), tree{"known-broken": link("../common/broken.txt"), "../common/broken.txt": file("shared reason")}),
			wantBroken: "shared reason",
		},
		{
			name: "known-broken without a reason",
			tree: merge(minimal(), tree{"known-broken": file("# TODO\n\n")}),
			want: []wantErr{{"known-broken", ErrNoReason}},
		},
		{
			name: "known-broken is a directory",
			tree: merge(minimal(), tree{"known-broken/why": file("x")}),
			want: []wantErr{{"known-broken", ErrNotRegular}},
		},
		{
			name: "known-broken not UTF-8",
			tree: merge(minimal(), tree{"known-broken": file("fails \xff")}),
			want: []wantErr{{"known-broken", ErrNotUTF8}},
		},
		{
			name: "known-broken with an escape sequence",
			tree: merge(minimal(), tree{"known-broken": file("fails \x1b[31mred")}),
			want: []wantErr{{"known-broken", ErrControlChar}},
		},
		{
			name: "every problem at once",
			tree: tree{"build.sh": file("#!/bin/sh\r\n"), "meta": file(""), "demo/expected-stdout.txt": file("\n")},
			want: []wantErr{
				{"build.sh", ErrNotExecutable},
				{"build.sh", ErrCRLF},
				{"meta", ErrNotDir},
				{"demo/pkg/meta/package.yaml.templ", ErrMissing},
				{"demo/pkg/meta/run.yaml", ErrMissing},
			},
		},
	}
	var messages strings.Builder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			recipes := filepath.Join(root, "a", "recipes")
			tc.tree.write(t, filepath.Join(recipes, "app"))
			cat, err := Discover(context.Background(), []Dir{{Path: recipes}}, DiscoverOptions{ValidateRunYAML: rejectBad})
			assert.NilError(t, err)
			assert.Equal(t, len(cat.Recipes), 1)
			r := cat.Recipes[0]
			assert.Equal(t, r.Name, "app")
			assert.Equal(t, r.Dir, filepath.Join(recipes, "app"))
			assert.Equal(t, r.Source, recipes)
			assert.Equal(t, r.HasMeta, tc.wantMeta)
			assert.Equal(t, r.Demo != nil, tc.wantDemo)
			assert.Equal(t, r.KnownBroken, tc.wantBroken)
			if tc.wantDemo {
				assert.DeepEqual(t, *r.Demo, Demo{
					Dir:             filepath.Join(r.Dir, "demo"),
					PackageTemplate: filepath.Join(r.Dir, "demo/pkg/meta/package.yaml.templ"),
					RunYAML:         filepath.Join(r.Dir, "demo/pkg/meta/run.yaml"),
					ExpectedStdout:  filepath.Join(r.Dir, "demo/expected-stdout.txt"),
				})
			}
			assertProblems(t, r, tc.want)
			if r.Err != nil {
				// Messages name absolute paths; the golden file holds them from the test's root.
				fmt.Fprintf(&messages, "== %s\n%s\n", tc.name, strings.ReplaceAll(r.Err.Error(), root, "$ROOT"))
			}
		})
	}
	// The golden file holds every case; skip it when -run picks a few.
	if !strings.Contains(flag.Lookup("test.run").Value.String(), "/") {
		golden.Assert(t, messages.String(), "validate-errors.golden")
	}
}

// assertProblems checks that r.Err holds exactly the wanted problems, each
// as an *Error naming the recipe and the file, whose message names both.
func assertProblems(t *testing.T, r *Recipe, want []wantErr) {
	t.Helper()
	if len(want) == 0 {
		assert.NilError(t, r.Err)
		return
	}
	assert.Assert(t, r.Err != nil, "want %d problems, got none", len(want))
	got := recipeErrors(r.Err)
	for _, w := range want {
		assert.Assert(t, errors.Is(r.Err, w.is), "%v: want errors.Is %v", r.Err, w.is)
		found := false
		for _, e := range got {
			if e.File == w.file && errors.Is(e, w.is) {
				found = true
				assert.Equal(t, e.Recipe, r.Name)
				assert.Assert(t, strings.Contains(e.Error(), fmt.Sprintf("recipe %q", r.Name)), e.Error())
				assert.Assert(t, strings.Contains(e.Error(), w.file+":"), e.Error())
			}
		}
		assert.Assert(t, found, "no problem with %s matching %v in %v", w.file, w.is, r.Err)
	}
	files := map[string]bool{}
	for _, w := range want {
		files[w.file] = true
	}
	for _, e := range got {
		assert.Assert(t, files[e.File], "unexpected problem: %v", e)
	}
}

func TestValidateHookGetsAbsolutePathAndData(t *testing.T) {
	recipes := t.TempDir()
	merge(minimal(), withMeta(), withDemo()).write(t, filepath.Join(recipes, "app"))
	seen := map[string]string{}
	hook := func(data []byte, file string) error {
		seen[file] = string(data)
		return nil
	}
	cat, err := Discover(context.Background(), []Dir{{Path: recipes}}, DiscoverOptions{ValidateRunYAML: hook})
	assert.NilError(t, err)
	assert.NilError(t, cat.Recipes[0].Err)
	app := filepath.Join(recipes, "app")
	assert.DeepEqual(t, seen, map[string]string{
		filepath.Join(app, "meta", "run.yaml"):                "runtime: native\n",
		filepath.Join(app, "demo", "pkg", "meta", "run.yaml"): "runtime: native\n",
	})
}

func TestValidateWithoutHookAcceptsAnyRunYAML(t *testing.T) {
	recipes := t.TempDir()
	merge(minimal(), withDemo(), tree{"demo/pkg/meta/run.yaml": file("bad: [")}).write(t, filepath.Join(recipes, "app"))
	cat, err := Discover(context.Background(), []Dir{{Path: recipes}}, DiscoverOptions{})
	assert.NilError(t, err)
	assert.NilError(t, cat.Recipes[0].Err)
	assert.Assert(t, cat.Recipes[0].Demo != nil)
}
