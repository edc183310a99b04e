package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// runBinary runs the built pkgdriver binary, as capstan when prog is "capstan", in a clean
// environment (none of pkgdriver's variables) plus env, and returns what it did.
func runBinary(t *testing.T, prog string, env []string, args ...string) cliResult {
	t.Helper()
	bin := testutil.Pkgdriver(t)
	if prog == "capstan" {
		link := filepath.Join(t.TempDir(), "capstan")
		assert.NilError(t, os.Symlink(bin, link))
		bin = link
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	return runCmd(t, cmd, env)
}

// runCmd runs cmd in a clean environment plus env.
func runCmd(t *testing.T, cmd *exec.Cmd, env []string) cliResult {
	t.Helper()
	for _, kv := range os.Environ() {
		if !ownVariable(kv) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PKGDRIVER_CACHE_DIR="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		assert.NilError(t, err)
	}
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: cmd.Dir}
}

// ownVariable reports an environment variable pkgdriver reads, which the tests set themselves.
func ownVariable(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	switch name {
	case "RECIPES", "TEST_RECIPES", "SKIP_TESTS", "SHARE_OSV_DIR", "KEEP_RECIPES", "SILENT", "SOURCE_DATE_EPOCH":
		return true
	}
	return strings.HasPrefix(name, "PKGDRIVER_")
}

// TestCommandLine runs every command line of issue 14 through the real binary: the exit status,
// what stderr says, and what it must not say (doubled or internal prefixes). Engine-free cases
// point DOCKER_HOST at a socket that does not exist, so reaching the engine (status 1, the
// engine's error) is told apart from a usage error (status 2) that must come first.
func TestCommandLine(t *testing.T) {
	noEngine := "DOCKER_HOST=unix://" + filepath.Join(t.TempDir(), "no-engine.sock")
	// A cluster whose API server does not answer: port 9 of loopback refuses.
	deadCluster := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(deadCluster, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\"}}]\n"+
		"users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mpm := buildPackage(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	writeRecipe(t, dirA, "alpha", 0o755)
	writeRecipe(t, dirB, "beta", 0o755)
	tests := []struct {
		name    string
		prog    string // default pkgdriver
		env     []string
		args    []string
		code    int
		stderr  []string // substrings of stderr
		stdout  []string // substrings of stdout
		notErr  []string // must not be in stderr
		notOut  []string // must not be in stdout
		json    bool     // every stderr line is a JSON object
		noWrite string   // this path (under the working directory) must not exist afterwards
	}{
		// 1. Arguments: unexpected positional arguments are refused, naming them.
		{name: "run with a recipe name", args: []string{"run", "lua"}, code: exitUsage,
			stderr: []string{`pkgdriver: run takes no arguments, got "lua"; to choose recipes give --recipes lua`}},
		{name: "a boolean's value after a space", args: []string{"run", "--skip-tests", "yes"}, code: exitUsage,
			stderr: []string{`run takes no arguments, got "yes"; a boolean flag takes its value after =, as in --skip-tests=yes`}},
		{name: "reap with an argument", args: []string{"reap", "extra"}, code: exitUsage, stderr: []string{`reap takes no arguments, got "extra"`}},
		{name: "list with an argument", args: []string{"list", "extra"}, code: exitUsage, stderr: []string{`list takes no arguments, got "extra"`}},
		{name: "version with an argument", args: []string{"version", "extra"}, code: exitUsage, stderr: []string{`version takes no arguments`}},
		{name: "verify with two files", args: []string{"package", "verify", mpm, "b.mpm"}, code: exitUsage,
			stderr: []string{`package verify takes <file.mpm>, got also "b.mpm"`}},
		{name: "verify without a file", args: []string{"package", "verify"}, code: exitUsage, stderr: []string{"package verify needs <file.mpm>"}},
		{name: "init with two directories", args: []string{"package", "init", "a", "b"}, code: exitUsage, stderr: []string{`package init takes [dir], got also "b"`}},
		{name: "verify-reproducible without recipes", args: []string{"verify-reproducible"}, code: exitUsage, stderr: []string{"verify-reproducible needs RECIPE..."}},
		// Flags after positional arguments.
		{name: "verify --list after the file", args: []string{"package", "verify", mpm, "--list"}, code: exitOK,
			stdout: []string{"usr/lib/x.so\n", "package foo 1.0, 8 entries, valid"}},
		{name: "verify -l after the file", args: []string{"package", "verify", mpm, "-l"}, code: exitOK, stdout: []string{"usr/lib/x.so\n"}},
		{name: "a flag after a recipe name is parsed", args: []string{"verify-reproducible", "hello", "--jobs", "-1"}, code: exitUsage,
			env: []string{noEngine}, stderr: []string{"--jobs -1: must be 1 or more"}},
		{name: "global flags after the command", args: []string{"list", "extra", "--log-format", "json"}, code: exitUsage, json: true},
		// The Kubernetes runner: an API server that does not answer, or no cluster configuration,
		// is exit 2 with the reason; its flags are refused with the Docker runner.
		{name: "kubernetes API server unreachable", args: []string{"run", "--runner", "kubernetes", "--kubeconfig", deadCluster, "--builtin-recipes=no"}, code: exitUsage,
			stderr: []string{"kubernetes API server https://127.0.0.1:9", "engine unavailable", "check --kubeconfig and --namespace"}},
		{name: "no kubeconfig", args: []string{"run", "--runner=kubernetes", "--kubeconfig", "/nonexistent/kubeconfig", "--builtin-recipes=no"}, code: exitUsage,
			stderr: []string{"no cluster configuration in /nonexistent/kubeconfig"}},
		{name: "reap on an unreachable cluster", args: []string{"reap", "--runner", "kubernetes", "--kubeconfig", deadCluster}, code: exitUsage,
			stderr: []string{"kubernetes API server https://127.0.0.1:9"}},
		{name: "unknown runner", args: []string{"run", "--runner", "nomad"}, code: exitUsage, stderr: []string{`--runner "nomad": want docker or kubernetes`}},
		{name: "--kubeconfig with the docker runner", args: []string{"run", "--kubeconfig", deadCluster}, code: exitUsage,
			stderr: []string{"--kubeconfig is for --runner kubernetes"}},
		{name: "bad --kube-kvm", args: []string{"run", "--runner", "kubernetes", "--kube-kvm", "yes"}, code: exitUsage,
			stderr: []string{`--kube-kvm "yes": want none, hostpath or resource:NAME`}},
		// Booleans take yes/no as flags and as variables.
		{name: "--skip-tests=yes", env: []string{noEngine}, args: []string{"run", "--skip-tests=yes", "--builtin-recipes=no"}, code: exitUsage,
			stderr: []string{"does not answer"}},
		{name: "--keep-recipes=n", env: []string{noEngine}, args: []string{"run", "--keep-recipes=n", "--builtin-recipes=0"}, code: exitUsage,
			stderr: []string{"does not answer"}},
		{name: "--skip-tests=maybe", args: []string{"run", "--skip-tests=maybe"}, code: exitUsage,
			stderr: []string{"--skip-tests maybe: want yes/no, y/n, true/false or 1/0"}},
		{name: "SKIP_TESTS=yes", env: []string{noEngine, "SKIP_TESTS=yes"}, args: []string{"run", "--builtin-recipes=no"}, code: exitUsage,
			stderr: []string{"does not answer"}},
		{name: "SKIP_TESTS=maybe", env: []string{"SKIP_TESTS=maybe"}, args: []string{"run"}, code: exitUsage,
			stderr: []string{`SKIP_TESTS="maybe" (for --skip-tests): want yes/no`}},
		{name: "PKGDRIVER_BUILTIN_RECIPES=nope", env: []string{"PKGDRIVER_BUILTIN_RECIPES=nope"}, args: []string{"list"}, code: exitUsage,
			stderr: []string{`PKGDRIVER_BUILTIN_RECIPES="nope" (for --builtin-recipes)`}},
		{name: "PKGDRIVER_RECIPES_DIRS is colon-separated", env: []string{"PKGDRIVER_RECIPES_DIRS=" + dirA + ":" + dirB},
			args: []string{"list", "--builtin-recipes=false"}, code: exitOK, stdout: []string{"alpha ", "beta "}},
		{name: "--recipes-dir wins over PKGDRIVER_RECIPES_DIRS", env: []string{"PKGDRIVER_RECIPES_DIRS=" + dirA},
			args: []string{"list", "--builtin-recipes=false", "--recipes-dir", dirB}, code: exitOK, stdout: []string{"beta "}, notOut: []string{"alpha"}},
		// Conflicting or meaningless combinations name both flags.
		{name: "--skip-tests with --test-recipes", args: []string{"run", "--skip-tests", "--test-recipes", "lua"}, code: exitUsage,
			stderr: []string{"--skip-tests (SKIP_TESTS, PKGDRIVER_SKIP_TESTS) and --test-recipes (TEST_RECIPES, PKGDRIVER_TEST_RECIPES) cannot be used together"}},
		{name: "SKIP_TESTS with TEST_RECIPES", env: []string{"SKIP_TESTS=1", "TEST_RECIPES=lua"}, args: []string{"run"}, code: exitUsage,
			stderr: []string{"cannot be used together"}},
		{name: "--push-on-failure without --push", args: []string{"run", "--push-on-failure"}, code: exitUsage, stderr: []string{"--push-on-failure (PKGDRIVER_PUSH_ON_FAILURE) needs --push"}},
		{name: "--keep-tags without --push", args: []string{"run", "--keep-tags", "3"}, code: exitUsage, stderr: []string{"--keep-tags (PKGDRIVER_KEEP_TAGS) needs --push"}},
		{name: "--repository without --push", args: []string{"run", "--repository", "registry.example.com/x"}, code: exitUsage,
			stderr: []string{"--repository (PKGDRIVER_REPOSITORY) needs --push (PKGDRIVER_PUSH): run only pushes with --push"}},
		{name: "PKGDRIVER_REPOSITORY without --push, for publish", env: []string{noEngine, "PKGDRIVER_REPOSITORY=registry.example.com/x"},
			args: []string{"run", "--builtin-recipes=no"}, code: exitUsage, stderr: []string{"does not answer"}},
		{name: "verify-reproducible takes no push flags", args: []string{"verify-reproducible", "hello", "--push"}, code: exitUsage,
			stderr: []string{"verify-reproducible: unknown flag --push"}},
		{name: "publish --keep-tags without --repository", args: []string{"publish", "--packages-to", "d", "--keep-tags", "3"}, code: exitUsage,
			stderr: []string{"--keep-tags (PKGDRIVER_KEEP_TAGS) needs --repository"}},
		{name: "list --log-format xml", args: []string{"list", "--log-format", "xml"}, code: exitUsage, stderr: []string{`--log-format "xml": want auto, console or json`}},
		{name: "list --log-level verbose", args: []string{"list", "--log-level", "verbose"}, code: exitUsage, stderr: []string{`--log-level "verbose": want debug, info, warn or error`}},
		// 2. Errors: one line a problem, the value, what to do; no doubled or internal prefixes.
		{name: "--push without --repository", args: []string{"run", "--push"}, code: exitUsage, stderr: []string{"pkgdriver: --push needs --repository\n"}},
		{name: "negative limits, each named", args: []string{"run", "--cpus", "-1", "--pids-limit", "-5"}, code: exitUsage,
			stderr: []string{"pkgdriver: --cpus -1: must not be negative (0: no limit)\n", "pkgdriver: --pids-limit -5: must not be negative"}},
		{name: "--timeout without a unit", args: []string{"run", "--timeout", "5"}, code: exitUsage, stderr: []string{"pkgdriver: --timeout 5: a duration needs a unit, e.g. 90m or 2h\n"}},
		{name: "--test-timeout garbage", args: []string{"run", "--test-timeout", "soon"}, code: exitUsage, stderr: []string{"--test-timeout soon: want a duration such as 90s, 90m or 2h"}},
		{name: "PKGDRIVER_TIMEOUT without a unit", env: []string{"PKGDRIVER_TIMEOUT=5"}, args: []string{"run"}, code: exitUsage,
			stderr: []string{`PKGDRIVER_TIMEOUT="5" (for --timeout): a duration needs a unit`}},
		{name: "--jobs not a number", args: []string{"run", "--jobs", "many"}, code: exitUsage, stderr: []string{"--jobs many: want a whole number"}},
		{name: "a flag without its value", args: []string{"run", "--result-dir"}, code: exitUsage, stderr: []string{"--result-dir needs a value"}},
		{name: "engine not answering", env: []string{noEngine}, args: []string{"reap"}, code: exitUsage,
			stderr: []string{"docker engine at unix://", "does not answer", "check that DOCKER_HOST=unix://"}, notErr: []string{"ensure-engine"}},
		{name: "capstan with a pkgdriver command", prog: "capstan", args: []string{"run"}, code: exitUsage,
			stderr: []string{`capstan: unknown command "run"`}, notErr: []string{"pkgdriver:"}},
		{name: "capstan unknown flag", prog: "capstan", args: []string{"package", "init", "--bogus"}, code: exitUsage, stderr: []string{"capstan: package init: unknown flag --bogus"}},
		{name: "package init names every missing flag", prog: "capstan", args: []string{"package", "init"}, code: exitUsage,
			stderr: []string{"capstan: package init needs --name, --title, --author"}},
		{name: "package init names the one missing flag", prog: "capstan", args: []string{"package", "init", "-n", "x", "--title", "T"}, code: exitUsage,
			stderr: []string{"package init needs --author ("}},
		// Suggestions.
		{name: "mistyped command", args: []string{"runn"}, code: exitUsage, stderr: []string{`unknown command "runn" (did you mean "run"?)`}},
		{name: "mistyped subcommand", args: []string{"package", "verfy"}, code: exitUsage, stderr: []string{`unknown command "verfy" (did you mean "verify"?); ` + "`pkgdriver package --help`"}},
		{name: "mistyped flag", args: []string{"run", "--jobz", "2"}, code: exitUsage, stderr: []string{"run: unknown flag --jobz (did you mean --jobs?)"}},
		{name: "mistyped global flag", args: []string{"--log-formt", "json", "list"}, code: exitUsage, stderr: []string{"unknown flag --log-formt (did you mean --log-format?)"}},
		{name: "unknown command, nothing close", args: []string{"compose"}, code: exitUsage, stderr: []string{`unknown command "compose"; ` + "`pkgdriver --help` lists the commands"}},
		// help at every level, defaults said once.
		{name: "help of an unknown command", args: []string{"help", "bogus"}, code: exitUsage, stderr: []string{`pkgdriver: help: unknown command "bogus"`}},
		{name: "help run", args: []string{"help", "run"}, code: exitOK, stdout: []string{"pkgdriver run - build the toolchain image", "--jobs int"}},
		{name: "help package verify", args: []string{"help", "package", "verify"}, code: exitOK, stdout: []string{"pkgdriver package verify - check an .mpm", "--list"}},
		{name: "package help verify", args: []string{"package", "help", "verify"}, code: exitOK, stdout: []string{"pkgdriver package verify - check an .mpm"}},
		{name: "capstan help package", prog: "capstan", args: []string{"help", "package"}, code: exitOK, stdout: []string{"capstan package - make, build and check"}},
		{name: "run --help says each default once", args: []string{"run", "--help"}, code: exitOK,
			stdout: []string{"(default: the engine's CPU count) [$PKGDRIVER_JOBS]", "(default: 2h0m0s)"}, notOut: []string{"(default: 0)", "count) (default", "limit) (default"}},
		// --log-format json: every line on stderr is JSON, the final error included.
		{name: "json usage error", args: []string{"run", "--log-format", "json", "--jobz", "1"}, code: exitUsage, json: true, stderr: []string{`"level":"error"`, "unknown flag --jobz"}},
		{name: "json from the environment", env: []string{"PKGDRIVER_LOG_FORMAT=json"}, args: []string{"run", "lua"}, code: exitUsage, json: true},
		{name: "json engine error", env: []string{noEngine}, args: []string{"--log-format=json", "run", "--builtin-recipes=no"}, code: exitUsage, json: true,
			stderr: []string{"does not answer"}},
		// A refused result directory is left as it was.
		{name: "publish from a directory without a run", args: []string{"publish", "--result-dir", "new/dir", "--packages-to", "repo"}, code: exitFailed,
			stderr: []string{"report.json"}, noWrite: "new"},
		// 4. Conventions.
		{name: "completion bash", args: []string{"completion", "bash"}, code: exitOK, stdout: []string{"pkgdriver"}},
		{name: "completion zsh", args: []string{"completion", "zsh"}, code: exitOK, stdout: []string{"compdef"}},
		{name: "completion fish", args: []string{"completion", "fish"}, code: exitOK, stdout: []string{"complete -c pkgdriver"}},
		{name: "completion of an unknown shell", args: []string{"completion", "tcsh"}, code: exitUsage, stderr: []string{`unknown command "tcsh"`}},
		{name: "completion candidates", args: []string{"package", "--generate-shell-completion"}, code: exitOK, stdout: []string{"init:write meta/package.yaml", "verify:check an .mpm"}},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: []string{"pkgdriver version ", "built with go"}},
		{name: "--version", args: []string{"--version"}, code: exitOK, stdout: []string{"pkgdriver version "}},
		{name: "capstan --version", prog: "capstan", args: []string{"--version"}, code: exitOK, stdout: []string{"capstan version "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prog := tc.prog
			if prog == "" {
				prog = "pkgdriver"
			}
			env := tc.env
			if !tc.json && !hasVar(env, "PKGDRIVER_LOG_FORMAT") && !containsArg(tc.args, "--log-format") {
				env = append(env, "PKGDRIVER_LOG_FORMAT=console")
			}
			res := runBinary(t, prog, env, tc.args...)
			assert.Equal(t, res.code, tc.code, res)
			for _, s := range tc.stderr {
				assert.Check(t, is.Contains(res.stderr, s), res)
			}
			for _, s := range tc.stdout {
				assert.Check(t, is.Contains(res.stdout, s), res)
			}
			for _, s := range append(tc.notErr, "pkgdriver: pkgdriver", "usage:", "select recipes:", "Incorrect Usage") {
				assert.Check(t, !strings.Contains(res.stderr, s), "stderr has %q:\n%s", s, res)
			}
			for _, s := range tc.notOut {
				assert.Check(t, !strings.Contains(res.stdout, s), "stdout has %q:\n%s", s, res)
			}
			if tc.code == exitUsage || tc.code == exitFailed {
				assert.Check(t, strings.TrimSpace(res.stderr) != "", "a failure says why")
			}
			if tc.json {
				for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
					var ev map[string]any
					assert.Check(t, json.Unmarshal([]byte(line), &ev), "not JSON: %q", line)
				}
			}
			if tc.noWrite != "" {
				_, err := os.Stat(filepath.Join(res.dir, tc.noWrite))
				assert.Check(t, errors.Is(err, os.ErrNotExist), "%s was left behind", tc.noWrite)
			}
		})
	}
}

// buildPackage makes a small .mpm with the capstan commands, for the verify cases.
func buildPackage(t *testing.T) string {
	dir := t.TempDir()
	initPackage(t, dir)
	res := capstan(t, "package", "build", dir)
	assert.Equal(t, res.code, exitOK, res)
	return filepath.Join(dir, "foo.mpm")
}

func hasVar(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

func containsArg(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// The cases that need the engine: the command line reaches it, and what it says comes back
// without internal prefixes; a refused result directory is left as it was.
func TestCommandLineEngine(t *testing.T) {
	testutil.Engine(t)
	recipes := t.TempDir()
	writeRecipe(t, recipes, "hello", 0o755)
	env := []string{"PKGDRIVER_LOG_FORMAT=console"}

	t.Run("unknown recipe", func(t *testing.T) {
		res := runBinary(t, "pkgdriver", env, "run", "--builtin-recipes=no", "--recipes-dir", recipes, "--recipes", "helo", "--result-dir", "new/result")
		assert.Equal(t, res.code, exitUsage, res)
		assert.Check(t, is.Contains(res.stderr, "pkgdriver: unknown recipe: \"helo\" (did you mean \"hello\"?)"), res)
		assert.Check(t, !strings.Contains(res.stderr, "select recipes"), res)
		assert.Check(t, !strings.Contains(res.stderr, "usage"), res)
		_, err := os.Stat(filepath.Join(res.dir, "new"))
		assert.Check(t, errors.Is(err, os.ErrNotExist), "the refused result directory was left behind")
	})
	t.Run("verify-reproducible reads --result-dir after the recipe", func(t *testing.T) {
		res := runBinary(t, "pkgdriver", env, "verify-reproducible", "hello", "--builtin-recipes=no", "--recipes-dir", recipes, "--result-dir", "elsewhere")
		assert.Equal(t, res.code, exitUsage, res)
		assert.Check(t, is.Contains(res.stderr, "recipe hello: no elsewhere/packages/hello.mpm to compare with"), res)
	})
}
