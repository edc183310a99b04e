package driver_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

var runCounter atomic.Int64

// imageConfig is the toolchain every integration test shares: the OSv stand-in on the
// debootstrapped base, without OSv's build dependencies. Its inputs are the same in every test,
// so the image is built once and then reused by input hash.
func imageConfig(t *testing.T) driver.ImageConfig {
	return driver.ImageConfig{
		BaseImage:    testutil.BaseImage,
		OSVSrc:       testutil.StandinOSv(t),
		OSVBuildArgs: "fs=rofs image=native-example",
		BuildArgs:    map[string]string{"OSV_DEPS": "", "APP_PACKAGES": ""},
		Capstan:      testutil.Pkgdriver(t),
		Repository:   "pkgdriver-test/toolchain",
	}
}

// testConfig is a run of the recipes in recipesDir into resultDir.
func testConfig(t *testing.T, recipesDir, resultDir string) (*driver.Config, *bytes.Buffer) {
	var out bytes.Buffer
	return &driver.Config{
		ResultDir:      resultDir,
		RecipeDirs:     []recipe.Dir{{Path: recipesDir}},
		Recipes:        recipe.Selection{All: true},
		SkipTests:      true,
		KeepRecipes:    true,
		Silent:         true,
		Jobs:           3,
		Timeout:        5 * time.Minute,
		Accel:          driver.AccelAuto,
		MaxPackageSize: 1 << 30,
		Image:          imageConfig(t),
		RunID:          fmt.Sprintf("test-%d-%d-%d", time.Now().UnixNano(), os.Getpid(), runCounter.Add(1)),
		Version:        "test",
		Log:            zerolog.New(zerolog.NewTestWriter(t)),
		Out:            &out,
	}, &out
}

// execute runs the pipeline and checks that nothing of the run is left on the engine.
func execute(t *testing.T, ctx context.Context, api client.APIClient, cfg *driver.Config) (*report.Report, error) {
	t.Helper()
	rep, err := driver.Execute(ctx, cfg, docker.Wrap(api))
	containers, volumes := testutil.Leftovers(t, api, cfg.RunID)
	assert.Check(t, len(containers) == 0, "containers left: %v", containers)
	assert.Check(t, len(volumes) == 0, "volumes left: %v", volumes)
	staging, _ := os.ReadDir(filepath.Join(cfg.ResultDir, ".pkgdriver", "staging"))
	assert.Check(t, len(staging) == 0, "staging left: %v", staging)
	return rep, err
}

// resultOf returns a recipe's result in rep; a recipe the report lacks fails the test.
func resultOf(t *testing.T, rep *report.Report, name string) report.RecipeResult {
	t.Helper()
	r, ok := rep.Recipe(name)
	if !ok {
		t.Fatalf("no result for %s in %+v", name, rep.Recipes)
	}
	return r
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	return string(data)
}

// packageInit is the line recipes end with, as the old recipes do.
const packageInit = `cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"`

func script(lines ...string) string {
	return "#!/bin/sh\nset -e\n" + strings.Join(lines, "\n") + "\n"
}

// runArgs are the arguments of a `pkgdriver run` with the test toolchain.
func runArgs(t *testing.T, recipes, result string) []string {
	img := imageConfig(t)
	args := []string{"run", "--builtin-recipes=false", "--recipes-dir", recipes, "--result-dir", result,
		"--osv-src", img.OSVSrc, "--base-image", img.BaseImage,
		"--osv-build-args", img.OSVBuildArgs, "--toolchain-repository", img.Repository,
		"--capstan-binary", testutil.Pkgdriver(t), "--skip-tests", "--silent", "--log-format", "json"}
	for k, v := range img.BuildArgs {
		args = append(args, "--image-build-arg", k+"="+v)
	}
	return args
}
