package driver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestRecipeTreeLinks: symlinks in a recipe tree that resolve inside the recipes directory reach
// the build container as what they point to (a file's content, a directory's tree; common/
// itself a link), and the cache key covers those targets: editing a link's target rebuilds. A
// link to a host file is refused before any container, naming the path and the target.
func TestRecipeTreeLinks(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(recipes, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	link := func(target, rel string) {
		assert.NilError(t, os.Symlink(target, filepath.Join(recipes, rel)))
	}
	// Dot-directories are not recipes: a place for shared files.
	write(".shared/data.txt", "sibling data one\n")
	write(".shared/sub/deep.txt", "deep\n")
	write(".store/common/patch.txt", "common through a link\n")
	link(".store/common", "common")
	testutil.Recipe(t, recipes, "linked", script(
		`for f in data.txt dir dir/sub/deep.txt; do test ! -L "$f" || { echo "$f is a link"; exit 1; }; done`,
		`test ! -L "$COMMON_DIR" && test -d "$COMMON_DIR"`,
		`cat data.txt dir/sub/deep.txt "$COMMON_DIR/patch.txt" > "$PACKAGE_RESULT_DIR/seen.txt"`,
		packageInit,
	), nil)
	link("../.shared/data.txt", "linked/data.txt")
	link("../.shared", "linked/dir")
	// The recipe's meta/ is copied into the package as the build sees it: content, not links.
	write(".shared/README.md", "# shared readme\n")
	assert.NilError(t, os.MkdirAll(filepath.Join(recipes, "linked", "meta"), 0o755))
	link("../../.shared/README.md", "linked/meta/README.md")
	testutil.Recipe(t, recipes, "hostlink", script(packageInit), nil)
	assert.NilError(t, os.MkdirAll(filepath.Join(recipes, "hostlink", "data"), 0o755))
	link("/etc/hostname", "hostlink/data/host")

	cfg, _ := testConfig(t, recipes, result)
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	res := resultOf(t, rep, "linked")
	assert.Assert(t, is.Equal(res.Status, report.StatusBuilt), "%s\n%s", res.Error, readFile(t, filepath.Join(result, "log", "linked.log")))
	seen := filepath.Join(result, "intermediate", "linked", "seen.txt")
	assert.Check(t, is.Equal(readFile(t, seen), "sibling data one\ndeep\ncommon through a link\n"))
	readme := filepath.Join(result, "intermediate", "linked", "meta", "README.md")
	if fi, err := os.Lstat(readme); assert.Check(t, err) {
		assert.Check(t, fi.Mode().IsRegular(), "meta/README.md is a %s in the package", fi.Mode().Type())
	}
	assert.Check(t, is.Equal(readFile(t, readme), "# shared readme\n"))

	host := resultOf(t, rep, "hostlink")
	assert.Check(t, is.Equal(host.Status, report.StatusFailed))
	assert.Check(t, is.Equal(host.Phase, "validate"))
	assert.Check(t, is.Contains(host.Error, `recipe "hostlink": data/host: symlink to "/etc/hostname": leads outside the recipes directory`))
	assert.Check(t, host.ExitCode == nil, "a container ran")

	// The cache key covers the link's target: editing it rebuilds, with the new content.
	write(".shared/data.txt", "sibling data two\n")
	cfg, _ = testConfig(t, recipes, result)
	cfg.Recipes.All, cfg.Recipes.Names = false, []string{"linked"}
	rep, err = execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	res = resultOf(t, rep, "linked")
	assert.Check(t, is.Equal(res.Status, report.StatusBuilt), "the edited link target did not change the cache key")
	assert.Check(t, is.Equal(readFile(t, seen), "sibling data two\ndeep\ncommon through a link\n"))
}

// TestRefusedNamesMakeNoFiles runs the real binary on recipe directories whose names the name
// rule refuses (terminal escape sequences, a newline, a leading dot or dash, 255 bytes) next to
// a good recipe: `list` and the run's summary show each name escaped, no log/, intermediate/ or
// packages/ file is made for them, each fails by the name rule (not "file name too long"), and
// report.json and junit.xml carry the escaped names.
func TestRefusedNamesMakeNoFiles(t *testing.T) {
	testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	long := strings.Repeat("n", 255)
	refused := []string{"evil\x1b]0;pwned\x07title", "\x1b[2J\x1b[31mred", "new\nline", ".hidden", "-lead", long}
	for _, name := range append(refused, "good") {
		testutil.Recipe(t, recipes, name, script(packageInit), nil)
	}

	list := exec.Command(bin, "list", "--builtin-recipes=false", "--recipes-dir", recipes)
	out, err := list.CombinedOutput()
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v: %s", err, out)
	assert.Check(t, is.Equal(exit.ExitCode(), 1))
	assert.Check(t, !hasAnyByte(out, "\x1b\x07"), "list printed a raw name: %q", out)
	for _, name := range refused {
		assert.Check(t, is.Contains(string(out), strconv.Quote(name)+" "))
	}
	assert.Check(t, is.Contains(string(out), "longer than 200 bytes"))

	cmd := exec.Command(bin, runArgs(t, recipes, result)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	assert.Assert(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
	assert.Check(t, is.Equal(exit.ExitCode(), 1), "%s", stderr.String())
	for what, data := range map[string][]byte{"summary": stdout.Bytes(), "log": stderr.Bytes()} {
		assert.Check(t, !hasAnyByte(data, "\x1b\x07"), "the %s holds a raw name: %q", what, data)
	}
	summary := stdout.String()
	for _, name := range refused {
		assert.Check(t, is.Contains(summary, strconv.Quote(name)+" "), "the summary does not show %q", name)
	}
	assert.Check(t, !strings.Contains(summary, "new\nline"))
	assert.Check(t, !strings.Contains(stderr.String()+summary, "file name too long"))

	// Files only for the good recipe (and log/toolchain.log when the image was built, not reused).
	for dir, want := range map[string][]string{
		"log":          {"good.log"},
		"intermediate": {"good"},
		"packages":     {"good.intoto.jsonl", "good.mpm", "good.spdx.json", "good.yaml"},
	} {
		got := slices.DeleteFunc(listDir(t, filepath.Join(result, dir)), func(n string) bool { return n == "toolchain.log" })
		assert.Check(t, is.DeepEqual(got, want), "%s/", dir)
	}

	var rep report.Report
	assert.NilError(t, json.Unmarshal(readOptional(filepath.Join(result, "report.json")), &rep))
	for _, name := range refused {
		res := resultOf(t, &rep, strconv.Quote(name))
		assert.Check(t, is.Equal(res.Status, report.StatusFailed))
		assert.Check(t, is.Equal(res.Phase, "validate"))
		assert.Check(t, is.Equal(res.Log, ""), "%q has a log", name)
		assert.Check(t, is.Contains(res.Error, "invalid package name"))
	}
	assert.Check(t, is.Equal(resultOf(t, &rep, "good").Status, report.StatusBuilt))
	junit := readOptional(filepath.Join(result, "junit.xml"))
	assert.Check(t, xmlWellFormed(junit))
	assert.Check(t, is.Contains(string(junit), `name="&#34;evil\x1b]0;pwned\atitle&#34;"`))
}
