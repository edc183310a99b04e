package driver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// The unit tests of the stages run the pipeline on enginetest's fake engine. What the
// containers do is scripted here: a recipe's build.sh is read as a small language (below), a
// demo boot prints the console the test gives, the KVM probe exits as told. The integration
// tests prove the same paths on the real engine.

// fakeBaseImage is the base image the fake toolchain is built from.
const fakeBaseImage = "pkgdriver/debian:fake"

// fakeCommit is the OSv commit the fake toolchain reports.
const fakeCommit = "0123456789abcdef0123456789abcdef01234567"

// fakeEnv is one pipeline run's world on the fake engine.
type fakeEnv struct {
	t       *testing.T
	eng     *enginetest.Engine
	recipes string
	result  string
	cfg     *Config
	out     *bytes.Buffer

	mu sync.Mutex
	// console is what a demo boot of a recipe prints after the echoed command line; a recipe
	// without an entry prints "Hello, unikernel!".
	console map[string]string
	// probe is how the KVM probe ends: its exit status (0: KVM works).
	probe int
	// started is closed when the first recipe build starts (for cancel tests).
	started chan struct{}
	once    sync.Once
	// booted has a channel per recipe, closed when its demo's boot starts.
	booted map[string]chan struct{}
}

// bootStarted is closed when name's demo boot starts.
func (env *fakeEnv) bootStarted(name string) chan struct{} {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.booted == nil {
		env.booted = map[string]chan struct{}{}
	}
	ch, ok := env.booted[name]
	if !ok {
		ch = make(chan struct{})
		env.booted[name] = ch
	}
	return ch
}

// fakeLoader is a file with a boot signature, which is all packager.Compose checks of a loader.
func fakeLoader() []byte {
	b := make([]byte, 64<<10)
	b[510], b[511] = 0x55, 0xAA
	return b
}

// toolchainFiles are what every image the fake builds holds: the facts the Dockerfile writes,
// the kernel files the loader stage delivers, a dpkg database.
func toolchainFiles() map[string]enginetest.File {
	files := map[string]enginetest.File{
		toolchainFacts:                 {Data: []byte("commit=" + fakeCommit + "\ncommit_time=1704164645\ndescribe=v0.57.0-fake\nplatform=Debian-12\n")},
		"/var/lib/dpkg/status":         {Data: []byte("Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.2\n\n")},
		"/usr/share/doc/gcc/copyright": {Data: []byte("License: GPL-3+\n")},
	}
	for _, f := range kernelFiles {
		files[path.Join(osvBuildDir, f)] = enginetest.File{Data: fakeLoader()}
	}
	return files
}

// newFakeEnv makes a fake engine, a recipe directory and a configuration of a run of every
// recipe in it; the test adds recipes with env.recipe.
func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	env := &fakeEnv{
		t: t, eng: enginetest.New(), recipes: t.TempDir(), result: t.TempDir(),
		out: &bytes.Buffer{}, console: map[string]string{}, started: make(chan struct{}),
	}
	env.eng.BuildFiles = toolchainFiles()
	env.eng.AddImage(engine.Image{Tags: []string{fakeBaseImage}}, nil)
	env.eng.RunScript = env.run
	capstan := filepath.Join(t.TempDir(), "capstan")
	assert.NilError(t, os.WriteFile(capstan, []byte("#!/bin/sh\n"), 0o755))
	env.cfg = &Config{
		ResultDir:      env.result,
		RecipeDirs:     []recipe.Dir{{Path: env.recipes}},
		Recipes:        recipe.Selection{All: true},
		SkipTests:      true,
		KeepRecipes:    true,
		Silent:         true,
		Jobs:           2,
		Timeout:        time.Minute,
		TestTimeout:    time.Minute,
		Accel:          AccelTCG,
		MaxPackageSize: 1 << 30,
		Image: ImageConfig{
			BaseImage: fakeBaseImage, OSVRepo: "https://example.invalid/osv.git", OSVRef: fakeCommit,
			Repository: "pkgdriver-unit/toolchain", Capstan: capstan,
		},
		RunID:   fmt.Sprintf("unit-%d", time.Now().UnixNano()),
		Version: "test",
		Log:     zerolog.New(zerolog.NewTestWriter(t)),
		Out:     env.out,
	}
	return env
}

// recipe adds a recipe whose build.sh is the given lines of the fake's language:
//
//	echo TEXT         print TEXT
//	file REL TEXT     write TEXT (and a newline) to $PACKAGE_RESULT_DIR/REL
//	init              write meta/package.yaml, as capstan package init does
//	exit N            end with status N (0 after the lines by default)
//	oom               end killed for memory
//	hang              run until stopped
//	rmresult          remove $PACKAGE_RESULT_DIR
//	special KIND REL  list REL as a special file (p: pipe, s: socket) in the result
//	sleep MS          wait MS milliseconds
//	awaitboot NAME    wait until NAME's demo boots (exit 3 after 20 s)
func (env *fakeEnv) recipe(name string, lines []string, files map[string]string) {
	env.t.Helper()
	testutil.Recipe(env.t, env.recipes, name, "#!/bin/sh\n"+strings.Join(lines, "\n")+"\n", files)
}

// demo adds a recipe that builds and has a demo expecting "Hello, unikernel!".
func (env *fakeEnv) demo(name string) {
	env.t.Helper()
	env.demoRequiring(name, []string{"file " + name + " program", "init"})
}

func envOf(c *enginetest.Container, key string) string {
	for _, kv := range c.Spec.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// run is every container's script.
func (env *fakeEnv) run(ctx context.Context, c *enginetest.Container, stdout, _ io.Writer) (engine.Exit, error) {
	switch c.Spec.Labels[LabelRole] {
	case "build":
		env.once.Do(func() { close(env.started) })
		return env.build(ctx, c, stdout)
	case "test":
		ch := env.bootStarted(c.Spec.Labels[LabelRecipe])
		env.mu.Lock()
		select {
		case <-ch:
		default:
			close(ch)
		}
		console, ok := env.console[c.Spec.Labels[LabelRecipe]]
		env.mu.Unlock()
		if !ok {
			console = "Hello, unikernel!\n"
		}
		if console == "hang\n" {
			<-ctx.Done()
			return engine.Exit{Code: 137}, nil
		}
		fmt.Fprintf(stdout, "OSv v0.57.0-fake\nCmdline: /%s\n%s", c.Spec.Labels[LabelRecipe], console)
		return engine.Exit{}, nil
	case "kvm-probe":
		if env.probe != 0 {
			fmt.Fprintln(stdout, "no banner under KVM")
		} else {
			fmt.Fprintln(stdout, "booted: OSv v0.57.0")
		}
		return engine.Exit{Code: env.probe}, nil
	}
	return engine.Exit{}, nil
}

// build interprets build.sh in the fake's language.
func (env *fakeEnv) build(ctx context.Context, c *enginetest.Container, stdout io.Writer) (engine.Exit, error) {
	dir, name := envOf(c, "PACKAGE_RESULT_DIR"), envOf(c, "PACKAGE_NAME")
	script := c.Files[path.Join(envOf(c, "RECIPE_DIR"), "build.sh")]
	var special strings.Builder
	for _, line := range strings.Split(string(script.Data), "\n") {
		verb, rest, _ := strings.Cut(line, " ")
		switch verb {
		case "echo":
			fmt.Fprintln(stdout, rest)
		case "file":
			rel, text, _ := strings.Cut(rest, " ")
			c.Files[path.Join(dir, rel)] = enginetest.File{Data: []byte(text + "\n"), Mode: 0o755}
		case "init":
			c.Files[path.Join(dir, "meta/package.yaml")] = enginetest.File{Data: []byte(
				"name: " + name + "\ntitle: T " + name + "\nauthor: tests\nversion: \"1.0\"\nplatform: " + envOf(c, "PLATFORM") + "\n")}
		case "exit":
			n, _ := strconv.Atoi(rest)
			return engine.Exit{Code: n}, nil
		case "oom":
			return engine.Exit{Code: 137, OOMKilled: true}, nil
		case "hang":
			<-ctx.Done()
			return engine.Exit{Code: 137}, nil
		case "rmresult":
			for p := range c.Files {
				if p == dir || strings.HasPrefix(p, dir+"/") {
					delete(c.Files, p)
				}
			}
		case "sleep":
			ms, _ := strconv.Atoi(rest)
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-ctx.Done():
				return engine.Exit{Code: 137}, nil
			}
		case "awaitboot":
			select {
			case <-env.bootStarted(rest):
			case <-time.After(20 * time.Second):
				fmt.Fprintln(stdout, "the demo of "+rest+" did not boot")
				return engine.Exit{Code: 3}, nil
			case <-ctx.Done():
				return engine.Exit{Code: 137}, nil
			}
		case "special":
			kind, rel, _ := strings.Cut(rest, " ")
			special.WriteString(kind + " " + rel + "\x00")
		}
	}
	c.Files[specialFiles] = enginetest.File{Data: []byte(special.String())}
	return engine.Exit{}, nil
}

// execute runs the pipeline on the fake and checks that nothing of the run is left on it.
func (env *fakeEnv) execute(ctx context.Context) (*report.Report, error) {
	env.t.Helper()
	rep, err := Execute(ctx, env.cfg, env.eng)
	containers, volumes := env.eng.Live()
	var left []string
	for _, c := range containers {
		left = append(left, c.ID+" "+c.Spec.Labels[LabelRole])
	}
	assert.Check(env.t, len(left) == 0, "containers left: %v", left)
	assert.Check(env.t, len(volumes) == 0, "volumes left: %v", volumes)
	staging, _ := os.ReadDir(filepath.Join(env.result, ".pkgdriver", "staging"))
	assert.Check(env.t, len(staging) == 0, "staging left: %v", staging)
	return rep, err
}

// result returns a recipe's result in rep; a recipe the report lacks fails the test.
func result(t *testing.T, rep *report.Report, name string) report.RecipeResult {
	t.Helper()
	r, ok := rep.Recipe(name)
	if !ok {
		t.Fatalf("no result for %s in %+v", name, rep.Recipes)
	}
	return r
}

// containers returns the containers of role made by run (any run when empty).
func (env *fakeEnv) containers(role, run string) []*enginetest.Container {
	var out []*enginetest.Container
	for _, c := range env.eng.Containers() {
		if c.Spec.Labels[LabelRole] == role && (run == "" || c.Spec.Labels[LabelRun] == run) {
			out = append(out, c)
		}
	}
	return out
}

func readFileT(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	assert.NilError(t, err)
	return string(data)
}
