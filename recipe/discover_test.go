package recipe

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// discover runs Discover over the given directories with no hook.
func discover(t *testing.T, dirs ...Dir) *Catalog {
	t.Helper()
	cat, err := Discover(context.Background(), dirs, DiscoverOptions{})
	assert.NilError(t, err)
	return cat
}

func TestDiscoverCatalogue(t *testing.T) {
	root := t.TempDir()
	builtin := filepath.Join(root, "builtin")
	user := filepath.Join(root, "user")
	merge(
		prefixed("zlib", minimal()),
		prefixed("erlang", merge(minimal(), withDemo(), withMeta())),
		prefixed("common", tree{"fix.patch": file("x")}),
		prefixed(".git", tree{"HEAD": file("ref: main\n")}),
		prefixed(".github", tree{"workflows/ci.yml": file("on: push\n")}),
		tree{
			".DS_Store": file("junk"),
			"README.md": file("# recipes\n"),
		},
	).write(t, builtin)
	merge(
		prefixed("app", minimal()),
		prefixed("common", tree{"other.patch": file("y")}),
		prefixed(".evil", minimal()),
		prefixed("docs", tree{"index.md": file("")}),
		tree{"target/build.sh": script(goodBuild)},
	).write(t, user)
	assert.NilError(t, os.Symlink(filepath.Join(user, "target"), filepath.Join(user, "linked")))
	assert.NilError(t, os.Symlink("nowhere", filepath.Join(user, "dangling")))

	cat := discover(t, Dir{Path: builtin, Builtin: true}, Dir{Path: user})

	assert.DeepEqual(t, cat.Names(), []string{".evil", "app", "docs", "erlang", "linked", "target", "zlib"})
	assert.DeepEqual(t, cat.CommonDirs, []string{filepath.Join(builtin, "common"), filepath.Join(user, "common")})

	erlang := cat.Get("erlang")
	assert.NilError(t, erlang.Err)
	assert.Equal(t, erlang.Source, builtin)
	assert.Equal(t, erlang.Builtin, true)
	assert.Assert(t, erlang.Demo != nil)
	assert.Assert(t, erlang.HasMeta)

	app := cat.Get("app")
	assert.NilError(t, app.Err)
	assert.Equal(t, app.Source, user)
	assert.Equal(t, app.Builtin, false)

	linked := cat.Get("linked")
	assert.NilError(t, linked.Err)
	assert.Equal(t, linked.Dir, filepath.Join(user, "linked"))

	evil := cat.Get(".evil")
	assert.Assert(t, errors.Is(evil.Err, ErrBadName), "%v", evil.Err)
	var e *Error
	assert.Assert(t, errors.As(evil.Err, &e))
	assert.Equal(t, e.Recipe, ".evil")
	assert.Equal(t, e.File, "")

	docs := cat.Get("docs")
	assert.Assert(t, errors.Is(docs.Err, ErrMissing), "%v", docs.Err)

	assert.Assert(t, cat.Get("common") == nil)
	assert.Assert(t, cat.Get("nope") == nil)
}

func TestDiscoverBadRecipeNames(t *testing.T) {
	for _, name := range []string{"has space", "tab\tname", "new\nline", "a..b", "j\u0430va", "ctl\x01", ".dot", "-dash", "all"} {
		t.Run(name, func(t *testing.T) {
			recipes := t.TempDir()
			prefixed(name, minimal()).write(t, recipes)
			cat := discover(t, Dir{Path: recipes})
			r := cat.Get(name)
			assert.Assert(t, r != nil, "%q not in %q", name, cat.Names())
			assert.Assert(t, errors.Is(r.Err, ErrBadName), "%v", r.Err)
			var e *Error
			assert.Assert(t, errors.As(r.Err, &e))
			assert.Equal(t, e.Recipe, name)
		})
	}
}

func TestDiscoverDuplicate(t *testing.T) {
	root := t.TempDir()
	var dirs []Dir
	var paths []string
	for _, d := range []string{"one", "two", "three"} {
		full := filepath.Join(root, d)
		merge(prefixed("erlang", minimal()), prefixed("only-"+d, minimal())).write(t, full)
		dirs = append(dirs, Dir{Path: full})
		paths = append(paths, filepath.Join(full, "erlang"))
	}

	cat := discover(t, dirs...)

	assert.DeepEqual(t, cat.Names(), []string{"erlang", "only-one", "only-three", "only-two"})
	r := cat.Get("erlang")
	assert.Equal(t, r.Dir, paths[0], "the first keeps its place")
	assert.Assert(t, errors.Is(r.Err, ErrDuplicate))
	var de *DuplicateError
	assert.Assert(t, errors.As(r.Err, &de))
	assert.Equal(t, de.Name, "erlang")
	assert.DeepEqual(t, de.Paths, paths)
	for _, p := range paths {
		assert.Assert(t, strings.Contains(r.Err.Error(), p), "%v does not name %s", r.Err, p)
	}
	assert.NilError(t, cat.Get("only-two").Err)
}

func TestDiscoverErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) []Dir
		is    error
		names string // a path the message must contain, relative to root
	}{
		{
			name:  "missing directory",
			setup: func(t *testing.T, root string) []Dir { return []Dir{{Path: filepath.Join(root, "nope")}} },
			is:    fs.ErrNotExist,
			names: "nope",
		},
		{
			name: "missing second directory",
			setup: func(t *testing.T, root string) []Dir {
				prefixed("ok/app", minimal()).write(t, root)
				return []Dir{{Path: filepath.Join(root, "ok")}, {Path: filepath.Join(root, "user")}}
			},
			is:    fs.ErrNotExist,
			names: "user",
		},
		{
			name: "directory is a file",
			setup: func(t *testing.T, root string) []Dir {
				tree{"recipes": file("")}.write(t, root)
				return []Dir{{Path: filepath.Join(root, "recipes")}}
			},
			is:    ErrNotDir,
			names: "recipes",
		},
		{
			name: "common is a file",
			setup: func(t *testing.T, root string) []Dir {
				tree{"recipes/common": file("")}.write(t, root)
				return []Dir{{Path: filepath.Join(root, "recipes")}}
			},
			is:    ErrNotDir,
			names: "recipes",
		},
		{
			name: "common holds a link to a host file",
			setup: func(t *testing.T, root string) []Dir {
				tree{"recipes/common/host": link("/etc/hostname")}.write(t, root)
				return []Dir{{Path: filepath.Join(root, "recipes")}}
			},
			is:    ErrLinkOutside,
			names: "recipes\": common/host: symlink to \"/etc/hostname\"",
		},
		{
			name: "common is a link outside its recipes directory",
			setup: func(t *testing.T, root string) []Dir {
				tree{"shared/x.patch": file("x"), "recipes/common": link("../shared")}.write(t, root)
				return []Dir{{Path: filepath.Join(root, "recipes")}}
			},
			is:    ErrLinkOutside,
			names: "recipes\": common: symlink to \"../shared\"",
		},
		{
			name: "common is a dangling link",
			setup: func(t *testing.T, root string) []Dir {
				tree{"recipes/app/build.sh": script(goodBuild), "recipes/common": link("gone")}.write(t, root)
				return []Dir{{Path: filepath.Join(root, "recipes")}}
			},
			is:    ErrNotDir, // a dangling common is not a directory, as before
			names: "recipes",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dirs := tc.setup(t, root)
			cat, err := Discover(context.Background(), dirs, DiscoverOptions{})
			assert.Assert(t, cat == nil)
			assert.Assert(t, errors.Is(err, tc.is), "%v", err)
			assert.ErrorContains(t, err, filepath.Join(root, tc.names))
		})
	}
}

func TestDiscoverSameDirectoryTwice(t *testing.T) {
	root := t.TempDir()
	prefixed("recipes/app", minimal()).write(t, root)
	recipes := filepath.Join(root, "recipes")
	assert.NilError(t, os.Symlink(recipes, filepath.Join(root, "alias")))
	_, err := Discover(context.Background(), []Dir{{Path: recipes}, {Path: filepath.Join(root, "alias")}}, DiscoverOptions{})
	assert.ErrorContains(t, err, "listed twice")
	assert.ErrorContains(t, err, recipes)
}

func TestDiscoverUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	root := t.TempDir()
	recipes := filepath.Join(root, "recipes")
	prefixed("app", minimal()).write(t, recipes)
	assert.NilError(t, os.Chmod(recipes, 0))
	t.Cleanup(func() { os.Chmod(recipes, 0o755) })
	_, err := Discover(context.Background(), []Dir{{Path: recipes}}, DiscoverOptions{})
	assert.Assert(t, errors.Is(err, fs.ErrPermission), "%v", err)
	assert.ErrorContains(t, err, recipes)
}

func TestDiscoverRelativePathIsMadeAbsolute(t *testing.T) {
	root := t.TempDir()
	prefixed("recipes/app", minimal()).write(t, root)
	t.Chdir(root)
	cat := discover(t, Dir{Path: "recipes"})
	assert.Equal(t, cat.Get("app").Dir, filepath.Join(root, "recipes", "app"))
	assert.Equal(t, cat.Get("app").Source, filepath.Join(root, "recipes"))
}

func TestDiscoverCancelled(t *testing.T) {
	recipes := t.TempDir()
	prefixed("app", minimal()).write(t, recipes)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Discover(ctx, []Dir{{Path: recipes}}, DiscoverOptions{})
	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestDiscoverNoDirectories(t *testing.T) {
	cat := discover(t)
	assert.Equal(t, len(cat.Recipes), 0)
	assert.Equal(t, len(cat.CommonDirs), 0)
}

// TestDiscoverLinkedTrees: a recipe directory or common/ that is a link into its recipes
// directory is taken as what it points to; one leading outside is refused, naming the link.
func TestDiscoverLinkedTrees(t *testing.T) {
	root := t.TempDir()
	merge(
		prefixed("recipes/.store/app", minimal()),
		prefixed("recipes/.store/common", tree{"x.patch": file("x")}),
		prefixed("elsewhere/far", minimal()),
		tree{
			"recipes/app":    link(".store/app"),
			"recipes/common": link(".store/common"),
			"recipes/far":    link("../elsewhere/far"),
		},
	).write(t, root)
	cat := discover(t, Dir{Path: filepath.Join(root, "recipes")})
	assert.NilError(t, cat.Get("app").Err)
	assert.DeepEqual(t, cat.CommonDirs, []string{filepath.Join(root, "recipes", "common")})
	far := cat.Get("far").Err
	assert.Assert(t, errors.Is(far, ErrLinkOutside), "%v", far)
	assert.ErrorContains(t, far, `recipe "far": symlink to "../elsewhere/far"`)
}
