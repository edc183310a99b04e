package recipe

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// node is one entry of a test tree: a file, a directory or a symlink.
type node struct {
	content string
	mode    fs.FileMode
	dir     bool
	link    string
}

func file(content string) node   { return node{content: content, mode: 0o644} }
func script(content string) node { return node{content: content, mode: 0o755} }
func dir() node                  { return node{dir: true, mode: 0o755} }
func link(target string) node    { return node{link: target} }

// tree maps slash-separated paths to entries. Parent directories are made as
// needed, with mode 0755 whatever the umask, so trees hash the same anywhere.
type tree map[string]node

func (tr tree) write(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 0, len(tr))
	for p := range tr {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		n := tr[p]
		full := filepath.Join(root, filepath.FromSlash(p))
		mkdirs(t, root, filepath.Dir(full))
		var err error
		switch {
		case n.dir:
			mkdirs(t, root, full)
		case n.link != "":
			err = os.Symlink(n.link, full)
		default:
			err = os.WriteFile(full, []byte(n.content), n.mode)
			if err == nil {
				err = os.Chmod(full, n.mode)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// mkdirs makes dir and its parents below root, each with mode 0755.
func mkdirs(t *testing.T, root, dir string) {
	t.Helper()
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rel == "." {
		return
	}
	cur := root
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
		if err := os.Chmod(cur, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// merge returns one tree holding the entries of all trees, later ones winning.
func merge(trees ...tree) tree {
	out := tree{}
	for _, tr := range trees {
		for p, n := range tr {
			out[p] = n
		}
	}
	return out
}

// prefixed returns tr with every path moved under dir.
func prefixed(dir string, tr tree) tree {
	out := tree{}
	for p, n := range tr {
		out[dir+"/"+p] = n
	}
	return out
}

const goodBuild = "#!/bin/sh\nset -e\necho built\n"

// minimal is the smallest valid recipe.
func minimal() tree { return tree{"build.sh": script(goodBuild)} }

// withDemo is a complete demo.
func withDemo() tree {
	return tree{
		"demo/pkg/meta/package.yaml.templ": file("name: ${PACKAGE_NAME}-demo\nrequire:\n  - ${PACKAGE_NAME}\n"),
		"demo/pkg/meta/run.yaml":           file("runtime: native\n"),
		"demo/expected-stdout.txt":         file("hello\n"),
	}
}

// withMeta is a meta/ directory with every file the contract names.
func withMeta() tree {
	return tree{
		"meta/README.md":    file("# app\n"),
		"meta/run.yaml":     file("runtime: native\n"),
		"meta/package.yaml": file("name: app\ntitle: App\nauthor: me\n"),
	}
}

// without returns tr minus the given paths.
func without(tr tree, paths ...string) tree {
	out := merge(tr)
	for _, p := range paths {
		delete(out, p)
	}
	return out
}

// recipeErrors flattens a Recipe.Err into its *Error values.
func recipeErrors(err error) []*Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e == err {
		return []*Error{e}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, sub := range j.Unwrap() {
			out = append(out, recipeErrors(sub)...)
		}
		return out
	}
	return nil
}
