package driver_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// badCase is one directory of testdata/bad-recipes (see its README.md).
type badCase struct {
	dir    string   // the case directory
	name   string   // the recipe name (the directory's name unless expect.txt renames it)
	status string   // the build status it must end with
	phase  string   // the phase it must fail in ("" for built)
	errors []string // substrings the recipe's error must hold
	dirs   []string // sub-directories copied into the first, second, ... recipes directory
}

// loadBadCases reads every case and its expect.txt.
func loadBadCases(t *testing.T) []badCase {
	t.Helper()
	root := filepath.Join(testutil.RepoRoot(), "testdata", "bad-recipes")
	entries, err := os.ReadDir(root)
	assert.NilError(t, err)
	var cases []badCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := badCase{dir: filepath.Join(root, e.Name()), name: e.Name()}
		f, err := os.Open(filepath.Join(c.dir, "expect.txt"))
		assert.NilError(t, err, "case %s", e.Name())
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			key, value, ok := strings.Cut(line, ": ")
			assert.Assert(t, ok, "%s/expect.txt: %q is not 'key: value'", e.Name(), line)
			switch key {
			case "name":
				c.name = value
			case "status":
				c.status = value
			case "phase":
				c.phase = value
			case "error":
				c.errors = append(c.errors, value)
			case "dirs":
				c.dirs = strings.Fields(value)
			default:
				t.Fatalf("%s/expect.txt: unknown key %q", e.Name(), key)
			}
		}
		f.Close()
		assert.NilError(t, sc.Err())
		assert.Assert(t, c.status != "", "%s/expect.txt: no status", e.Name())
		cases = append(cases, c)
	}
	assert.Assert(t, len(cases) > 20, "the corpus is missing")
	return cases
}

// install copies a case into the recipes directories.
func (c badCase) install(t *testing.T, recipeDirs []string) {
	t.Helper()
	if len(c.dirs) == 0 {
		dst := filepath.Join(recipeDirs[0], c.name)
		testutil.CopyDir(t, c.dir, dst)
		assert.NilError(t, os.Remove(filepath.Join(dst, "expect.txt")))
		return
	}
	assert.Assert(t, len(c.dirs) <= len(recipeDirs))
	for i, sub := range c.dirs {
		testutil.CopyDir(t, filepath.Join(c.dir, sub), recipeDirs[i])
	}
}

// hostSecret marks host content that must never reach a package or a report.
const hostSecret = "HOST-SECRET-3f1c"

// victimDir is the host directory the meta-through-symlink case points its meta/ at.
const victimDir = "/tmp/pkgdriver-hardening-victim"

// TestBadRecipeCorpus runs every case of testdata/bad-recipes in one run through the real
// engine, next to two good recipes, and checks each case's status, phase and error in the
// report; then that nothing escaped: host files untouched, no package of a failed recipe, valid
// report.json and junit.xml, bounded memory while a recipe printed 1 GiB without a newline.
func TestBadRecipeCorpus(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	first, second, result := t.TempDir(), t.TempDir(), t.TempDir()
	cases := loadBadCases(t)
	for _, c := range cases {
		c.install(t, []string{first, second})
	}
	testutil.Recipe(t, first, "good-package", script(
		`mkdir -p "$PACKAGE_RESULT_DIR/usr/lib"`,
		`echo payload > "$PACKAGE_RESULT_DIR/usr/lib/libgood.so"`,
		`ln -s usr/lib/libgood.so "$PACKAGE_RESULT_DIR/libgood.so"`,
		packageInit,
	), map[string]string{"meta/README.md": "# good\n"})
	// Built after osv-delete (one job, name order): its OSv tree must be whole.
	testutil.Recipe(t, first, "osv-intact", script(
		`test -e "$OSV_BUILD_DIR/loader.img"`,
		`test -d "$OSV_DIR/scripts"`,
		`echo tree intact`,
		packageInit,
	), nil)

	assert.NilError(t, os.MkdirAll(victimDir, 0o755))
	// A descriptor the meta-dir-link-host case points its meta/ at: never to be read.
	assert.NilError(t, os.WriteFile(filepath.Join(victimDir, "package.yaml"),
		[]byte("name: meta-dir-link-host\ntitle: "+hostSecret+"\nauthor: host\n"), 0o644))
	victimBefore := listDir(t, victimDir)
	hostFiles := []string{"/etc/passwd", "/etc/debian_version", "/etc/hostname"}
	hostBefore := map[string][]byte{}
	for _, f := range hostFiles {
		hostBefore[f], _ = os.ReadFile(f)
	}

	cfg, out := testConfig(t, first, result)
	cfg.RecipeDirs = []recipe.Dir{{Path: first}, {Path: second}}
	cfg.Jobs = 1
	cfg.Timeout = 3 * time.Minute
	cfg.MaxPackageSize = 1 << 20
	cfg.NoCache = true
	// The test stage runs too: no demo in the corpus may reach it (and crash it).
	cfg.SkipTests = false
	cfg.TestTimeout = time.Minute
	cfg.Accel = driver.AccelTCG

	peak := sampleHeap(t)
	rep, err := execute(t, ctx, api, cfg)
	heapPeak := peak()
	assert.NilError(t, err)
	t.Log(out.String())
	t.Logf("peak Go heap in use during the run: %d MiB", heapPeak>>20)
	assert.Check(t, heapPeak < 256<<20, "the heap reached %d MiB while a recipe printed 1 GiB", heapPeak>>20)

	for _, c := range cases {
		res := resultOf(t, rep, recipe.DisplayName(c.name)) // reports show refused names quoted
		t.Logf("%-28s %-8s %-9s %s", c.name, res.Status, res.Phase, res.Error)
		assert.Check(t, is.Equal(string(res.Status), c.status), "case %s: %s", c.name, res.Error)
		assert.Check(t, is.Equal(res.Phase, c.phase), "case %s: %s", c.name, res.Error)
		for _, want := range c.errors {
			assert.Check(t, is.Contains(res.Error, want), "case %s", c.name)
		}
		_, err := os.Lstat(filepath.Join(result, "packages", c.name+".mpm"))
		if report.Status(c.status).OK() {
			assert.Check(t, err, "case %s: its package", c.name)
			if check := corpusChecks[c.name]; check != nil {
				check(t, result, res)
			}
		} else {
			assert.Check(t, errors.Is(err, os.ErrNotExist), "case %s failed but left a package", c.name)
			if recipe.ValidateName(c.name) != nil {
				_, err := os.Lstat(filepath.Join(result, "log", c.name+".log"))
				assert.Check(t, errors.Is(err, os.ErrNotExist), "case %s: a refused name became a log file", c.name)
			}
			assert.Check(t, strings.Contains(res.Error, c.name), "case %s: the error names the recipe: %s", c.name, res.Error)
		}
	}
	for _, good := range []string{"good-package", "osv-intact"} {
		res := resultOf(t, rep, good)
		assert.Check(t, is.Equal(res.Status, report.StatusBuilt), "%s: %s", good, res.Error)
	}
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "osv-intact.log")), "tree intact"))

	// Nothing reached the host: files the hostile recipes aimed at are unchanged.
	for _, f := range hostFiles {
		now, _ := os.ReadFile(f)
		assert.Check(t, bytes.Equal(now, hostBefore[f]), "%s changed", f)
	}
	assert.Check(t, is.DeepEqual(listDir(t, victimDir), victimBefore), "something was written through meta -> %s", victimDir)
	// The package of the symlinked package.yaml case never read the host's /etc/passwd.
	assert.Check(t, !strings.Contains(string(readOptional(filepath.Join(result, "report.json"))), "root:x:0:0"))
	// Nor did a package or a report get the host's package.yaml behind a symlinked meta/.
	assert.Check(t, !strings.Contains(string(readOptional(filepath.Join(result, "report.json"))), hostSecret))
	assert.Check(t, !strings.Contains(string(readOptional(filepath.Join(result, "junit.xml"))), hostSecret))

	// Every report stays well-formed whatever the recipes printed.
	report := readOptional(filepath.Join(result, "report.json"))
	assert.Check(t, json.Valid(report), "report.json is not valid JSON")
	assert.Check(t, xmlWellFormed(readOptional(filepath.Join(result, "junit.xml"))))
	assert.Check(t, !hasAnyByte(out.Bytes(), "\x1b\x07\x00"), "the summary passes a recipe's control characters to the terminal")
	// Only packages of built recipes, and nothing half-written, in packages/.
	built := map[string]bool{}
	for _, r := range rep.Recipes {
		if r.Status.OK() {
			for _, suffix := range []string{".mpm", ".yaml", ".spdx.json", ".intoto.jsonl"} {
				built[r.Name+suffix] = true
			}
		}
	}
	for _, name := range listDir(t, filepath.Join(result, "packages")) {
		assert.Check(t, built[name], "unexpected file packages/%s", name)
	}
}

// corpusChecks are the extra checks of cases that must build.
var corpusChecks = map[string]func(t *testing.T, result string, res report.RecipeResult){
	"symlink-etc": func(t *testing.T, result string, _ report.RecipeResult) {
		entries := mpmEntries(t, result, "symlink-etc")
		assert.Check(t, is.Equal(entries["thatlink"].Type, byte(tar.TypeSymlink)))
		assert.Check(t, is.Equal(entries["thatlink"].Linkname, "/etc"))
		assert.Check(t, is.Equal(entries["passwd-link"].Type, byte(tar.TypeSymlink)))
		assert.Check(t, is.Equal(entries["passwd-link"].Linkname, "/etc/passwd"))
		for name := range entries {
			assert.Check(t, !strings.HasPrefix(name, "thatlink/"), "the link was followed: %s", name)
		}
		for link, target := range map[string]string{"thatlink": "/etc", "passwd-link": "/etc/passwd"} {
			got, err := os.Readlink(filepath.Join(result, "intermediate", "symlink-etc", link))
			assert.Check(t, err)
			assert.Check(t, is.Equal(got, target))
		}
	},
	"meta-through-symlink": func(t *testing.T, result string, _ report.RecipeResult) {
		meta := filepath.Join(result, "intermediate", "meta-through-symlink", "meta")
		fi, err := os.Lstat(meta)
		assert.NilError(t, err)
		assert.Check(t, fi.IsDir(), "meta/ is still a %s", fi.Mode().Type())
		assert.Check(t, is.Equal(readFile(t, filepath.Join(meta, "probe.txt")), "written by pkgdriver into the package\n"))
		assert.Check(t, is.Equal(mpmEntries(t, result, "meta-through-symlink")["meta/probe.txt"].Type, byte(tar.TypeReg)))
	},
	"hardlink-out": func(t *testing.T, result string, _ report.RecipeResult) {
		dir := filepath.Join(result, "intermediate", "hardlink-out")
		a, b := readFile(t, filepath.Join(dir, "hardlinked")), readFile(t, filepath.Join(dir, "again"))
		assert.Check(t, strings.HasPrefix(a, "12"), "the container's /etc/debian_version, copied: %q", a)
		assert.Check(t, is.Equal(a, b))
	},
	"setuid-file": func(t *testing.T, result string, _ report.RecipeResult) {
		e := mpmEntries(t, result, "setuid-file")["tool"]
		assert.Check(t, is.Equal(e.Mode&0o7777, int64(0o755)), "mode %o", e.Mode)
		fi, err := os.Stat(filepath.Join(result, "intermediate", "setuid-file", "tool"))
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky), os.FileMode(0)))
	},
	"gib-no-newline": func(t *testing.T, result string, _ report.RecipeResult) {
		fi, err := os.Stat(filepath.Join(result, "log", "gib-no-newline.log"))
		assert.NilError(t, err)
		assert.Check(t, fi.Size() >= 1<<30, "the log holds %d bytes, not all of the 1 GiB", fi.Size())
		f, err := os.Open(filepath.Join(result, "log", "gib-no-newline.log"))
		assert.NilError(t, err)
		defer f.Close()
		head := make([]byte, 4096)
		_, err = io.ReadFull(f, head)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(string(head), strings.Repeat("x", 4096)))
	},
	"background-processes": func(t *testing.T, _ string, res report.RecipeResult) {
		assert.Check(t, res.Duration < 60, "the build took %.1fs: it waited for processes build.sh left running", res.Duration)
	},
	"recipe-link-inside": func(t *testing.T, result string, _ report.RecipeResult) {
		got := readFile(t, filepath.Join(result, "intermediate", "recipe-link-inside", "seen.txt"))
		assert.Check(t, is.Equal(got, "reached through a link\nreached through a link\n"))
	},
	"odd-file-names": func(t *testing.T, result string, _ report.RecipeResult) {
		entries := mpmEntries(t, result, "odd-file-names")
		for _, name := range []string{"bad\xffname", "new\nline", `back\slash`} {
			assert.Check(t, is.Equal(entries[name].Type, byte(tar.TypeReg)), "%q", name)
		}
	},
}

// TestBadRecipeNonUTF8Output checks what report.json, junit.xml and the summary make of a recipe
// printing invalid UTF-8 and control characters: the log keeps the bytes, the rest stays valid.
func TestBadRecipeNonUTF8Output(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), t.TempDir()
	for _, c := range loadBadCases(t) {
		if c.name == "non-utf8-output" {
			c.install(t, []string{recipes})
		}
	}
	cfg, out := testConfig(t, recipes, result)
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	res := resultOf(t, rep, "non-utf8-output")
	assert.Equal(t, res.Status, report.StatusFailed)
	assert.Check(t, is.DeepEqual(res.LogTail, []string{
		"bad bytes: \uFFFD",
		`escape: \x1b]0;pwned\x07 \x1b[31mred\x1b[0m nul:\x00: bell:\x07:`,
		"last line \uFFFD",
	}))
	report := readOptional(filepath.Join(result, "report.json"))
	assert.Check(t, json.Valid(report))
	assert.Check(t, !bytes.Contains(report, []byte{0xff}))
	junit := readOptional(filepath.Join(result, "junit.xml"))
	assert.Check(t, xmlWellFormed(junit))
	assert.Check(t, is.Contains(string(junit), `escape: \x1b]0;pwned`))
	assert.Check(t, !hasAnyByte(out.Bytes(), "\x1b\x07\x00\xff"), "summary: %q", out.String())
	// The log itself keeps the bytes exactly as printed.
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "non-utf8-output.log")), "bad bytes: \xff\xfe\xc0\n"))
}

// TestUnknownRecipeIsUsageError: an unknown name in RECIPES stops `pkgdriver run` with exit
// status 2 and names it, before anything is built.
func TestUnknownRecipeIsUsageError(t *testing.T) {
	testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "known", script(packageInit), nil)
	cmd := exec.Command(bin, append(runArgs(t, recipes, result), "--recipes", "known,nosuch")...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
	assert.Check(t, is.Equal(exit.ExitCode(), 2))
	assert.Check(t, is.Contains(errorMessages(t, stderr.String()), `unknown recipe: "nosuch"`))
	_, err = os.Stat(filepath.Join(result, "packages", "known.mpm"))
	assert.Check(t, errors.Is(err, os.ErrNotExist), "a recipe was built")

	// The same through the environment variable of the old container.
	cmd = exec.Command(bin, runArgs(t, recipes, result)...)
	cmd.Env = append(os.Environ(), "RECIPES=nosuch")
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err = cmd.Run()
	assert.Assert(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
	assert.Check(t, is.Equal(exit.ExitCode(), 2))
	assert.Check(t, is.Contains(errorMessages(t, stderr.String()), `unknown recipe: "nosuch"`))
}

// errorMessages are the messages of the error events of a JSON log (--log-format json: every
// line of stderr is an event, the final error included).
func errorMessages(t *testing.T, log string) string {
	t.Helper()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var ev struct{ Level, Message string }
		if !assert.Check(t, json.Unmarshal([]byte(line), &ev), "not JSON: %q", line) {
			continue
		}
		if ev.Level == "error" {
			msgs = append(msgs, ev.Message)
		}
	}
	return strings.Join(msgs, "\n")
}

// mpmEntries lists a delivered package's entries by name.
func mpmEntries(t *testing.T, result, name string) map[string]packager.Entry {
	t.Helper()
	arch, err := packager.VerifyFile(filepath.Join(result, "packages", name+".mpm"))
	assert.NilError(t, err)
	entries := map[string]packager.Entry{}
	for _, e := range arch.Entries {
		entries[e.Name] = e
	}
	return entries
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// hasAnyByte reports whether data holds any of the bytes of set (bytes, not runes: "\xff" is
// the byte 0xff, not U+FFFD).
func hasAnyByte(data []byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if bytes.IndexByte(data, set[i]) >= 0 {
			return true
		}
	}
	return false
}

func readOptional(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// xmlWellFormed parses a whole document with the standard decoder, which refuses characters
// XML does not allow.
func xmlWellFormed(data []byte) is.Comparison {
	return func() is.Result {
		if len(data) == 0 {
			return is.ResultFailure("empty document")
		}
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				return is.ResultSuccess
			}
			if err != nil {
				return is.ResultFailure("not well-formed XML: " + err.Error())
			}
		}
	}
}

// sampleHeap samples the Go heap in use until the returned function is called, which returns
// the peak.
func sampleHeap(t *testing.T) func() uint64 {
	t.Helper()
	var (
		mu   sync.Mutex
		peak uint64
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop := func() uint64 {
		once.Do(func() { close(done); <-stopped })
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
	t.Cleanup(func() { stop() })
	return stop
}
