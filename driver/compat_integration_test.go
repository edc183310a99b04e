package driver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestOldContainerRecipes runs recipes of the container pkgdriver replaces, unchanged (copies in
// testdata/capstan-packages), through a recipe directory with the OSv stand-in: those that need
// only the OSv tree build; the one that clones from GitHub fails at once, naming the address.
func TestOldContainerRecipes(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := filepath.Join(t.TempDir(), "recipes"), t.TempDir()
	testutil.CopyDir(t, filepath.Join(testutil.RepoRoot(), "testdata", "capstan-packages"), recipes)
	cfg, out := testConfig(t, recipes, result)
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())

	for _, name := range []string{"sample-0.1", "osv.compose-remote", "osv.compose-remote-base", "osv.httpserver-api"} {
		res := resultOf(t, rep, name)
		assert.Check(t, res.Status == report.StatusBuilt, "%s: %s %s", name, res.Status, res.Error)
		arch, err := packager.VerifyFile(filepath.Join(result, "packages", name+".mpm"))
		if assert.Check(t, err) {
			assert.Check(t, is.Equal(arch.Package.Name, name))
			assert.Check(t, is.Equal(arch.Package.Author, "MIKELANGELO Project (info@mikelangelo-project.eu)"))
		}
	}
	// build.sh's own files and the recipe's meta/ both reach the package.
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "intermediate", "sample-0.1", "hello-world.txt")), "Hello world\n"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "intermediate", "osv.compose-remote-base", "meta", "run.yaml")), "/tools/cpiod.so --prefix /"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "sample-0.1.log")), "PACKAGE_NAME=sample-0.1"))

	py := resultOf(t, rep, "python-2.7")
	assert.Check(t, is.Equal(py.Status, report.StatusFailed))
	assert.Check(t, py.Duration < 60, "an offline clone fails at once, not after %.0f s", py.Duration)
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "python-2.7.log")), "github.com"))
	assert.Check(t, is.Contains(py.Error, "recipe python-2.7: needs the network: https://github.com/python/cpython.git/ ("), py.Error)
}

// oldStyleDownload is build.sh as the old container's recipes wrote it, around a download made
// the way OSv's scripts/build makes it for a module: the failure is reported and the build goes
// on to exit 0, with an empty package (here after two minutes, which a stopped build never
// reaches). Only 127.0.0.1 is contacted, where nothing listens.
const oldStyleDownload = `#!/usr/bin/env bash
set -o errexit
set -o nounset
set -o pipefail
set -o errtrace

echo "Exporting %[1]s"
cd ${OSV_DIR}
( %[2]s ) || echo "./scripts/build failed: make failed for %[1]s"
sleep 120

cd ${PACKAGE_RESULT_DIR}
capstan package init --name "${PACKAGE_NAME}" \
    --title "%[1]s" \
    --author "MIKELANGELO Project (info@mikelangelo-project.eu)" \
    --version 0.2 \
    --platform ${PLATFORM}
echo "Done"
`

// TestOldRecipeNeedsNetwork: an old-style recipe whose download fails inside the build (curl,
// wget or git, as OSv's module Makefiles run them) is stopped at once and fails naming the
// address, although its build.sh would exit 0; one whose output only talks about the network
// builds.
func TestOldRecipeNeedsNetwork(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), t.TempDir()
	for name, cmd := range map[string]string{
		"ncurses-curl": "mkdir -p /tmp/download && cd /tmp/download && curl --remote-name --remote-time http://127.0.0.1:1/pub/gnu/ncurses/ncurses-5.9.tar.gz",
		"erlang-wget":  `wget -c -O /tmp/otp_src_18.0.tar.gz.temp "http://127.0.0.1:1/download/otp_src_18.0.tar.gz"`,
		"apps-git":     "git clone -q http://127.0.0.1:1/cloudius-systems/osv-apps.git /tmp/apps",
		"offline":      "echo 'Resolving deltas: 100% (12/12), done.'; echo 'checking for getaddrinfo... yes'",
		// OSv's scripts/build fails the way it does for a module current OSv lacks: its ERR
		// trap prints "$0 failed: COMMAND" and exits with echo's status, 0.
		"open-mpi-module": `mkdir -p /tmp/scripts && printf '%s\n' '#!/bin/bash' 'trap '"'"'echo "$0 failed: $BASH_COMMAND" >&2; exit $?'"'"' ERR' 'python3 -c "raise Exception(\"Module not found: open-mpi\")"' 'echo built' >/tmp/scripts/build && chmod +x /tmp/scripts/build && /tmp/scripts/build image=open-mpi`,
	} {
		script := fmt.Sprintf(oldStyleDownload, name, cmd)
		if name == "offline" {
			script = strings.Replace(script, "sleep 120", "touch ${PACKAGE_RESULT_DIR}/built", 1)
		}
		assert.NilError(t, os.MkdirAll(filepath.Join(recipes, name), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(recipes, name, "build.sh"), []byte(script), 0o755))
	}
	cfg, out := testConfig(t, recipes, result)
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())

	for name, addr := range map[string]string{
		"ncurses-curl": "127.0.0.1",
		"erlang-wget":  "127.0.0.1",
		"apps-git":     "http://127.0.0.1:1/cloudius-systems/osv-apps.git/",
	} {
		res := resultOf(t, rep, name)
		assert.Check(t, is.Equal(res.Status, report.StatusFailed), name)
		assert.Check(t, is.Equal(res.Phase, "build"), name)
		assert.Check(t, is.Contains(res.Error, "recipe "+name+": needs the network: "+addr+" ("), name)
		assert.Check(t, is.Contains(res.Error, "see log/"+name+".log"), name)
		assert.Check(t, res.Duration < 60, "%s: stopped at once, not after %.0f s", name, res.Duration)
		_, err := os.Stat(filepath.Join(result, "packages", name+".mpm"))
		assert.Check(t, os.IsNotExist(err), "%s: no package", name)
		assert.Check(t, !strings.Contains(readFile(t, filepath.Join(result, "log", name+".log")), "Done"), name)
	}
	res := resultOf(t, rep, "offline")
	assert.Check(t, is.Equal(res.Status, report.StatusBuilt), res.Error)

	res = resultOf(t, rep, "open-mpi-module")
	assert.Check(t, is.Equal(res.Status, report.StatusFailed))
	assert.Check(t, is.Contains(res.Error, `recipe open-mpi-module: OSv's scripts/build failed, although it exits 0, and the build was stopped: "/tmp/scripts/build failed: python3 -c`), res.Error)
	assert.Check(t, is.Contains(res.Error, `after "Exception: Module not found: open-mpi" (see log/open-mpi-module.log)`), res.Error)
	assert.Check(t, res.Duration < 60, "stopped at once, not after %.0f s", res.Duration)
	assert.Check(t, !strings.Contains(readFile(t, filepath.Join(result, "log", "open-mpi-module.log")), "built"))
}
