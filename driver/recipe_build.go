package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/internal/tarball"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// Where things are inside a recipe container.
const (
	containerRecipes = "/pkgdriver/recipes"
	containerResults = "/pkgdriver/result"
	containerOSV     = "/osv"
	failureTailLines = 20
)

// errTimedOut is the cause of a recipe's context when its --timeout runs out.
type errTimedOut struct{ after time.Duration }

func (e errTimedOut) Error() string { return "timed out after " + e.after.String() }

// recipeBuild is one recipe's way through its container: create, copy in, run, copy out,
// package, install. Every failure is recorded with the phase it happened in.
type recipeBuild struct {
	run    *Run
	recipe *recipe.Recipe
	tail   *linetail.Tail
	res    *report.RecipeResult
	key    string // the cache key, when caching is on
	// content is the recipe's content hash, once computed (contentHash).
	content string
}

func (b *recipeBuild) Run(ctx context.Context) *report.RecipeResult {
	r, rc := b.run, b.recipe
	b.res = &report.RecipeResult{
		Name: rc.Name, Start: time.Now().UTC(),
		ImageID: r.Toolchain.ID, OSVCommit: r.Toolchain.Commit,
	}
	if recipe.ValidateName(rc.Name) == nil { // a refused name gets no file, not even a log
		b.res.Log, _ = filepath.Rel(r.Layout.Root, r.Layout.Log(rc.Name))
	}
	err := b.buildCached(ctx)
	b.res.Duration = math.Round(time.Since(b.res.Start).Seconds()*1000) / 1000
	b.finish(ctx, err)
	if err == nil && b.res.Status == report.StatusBuilt && b.key != "" {
		e := &cacheEntry{Key: b.key, SHA256: b.res.Package.SHA256, Size: b.res.Package.Size,
			Built: b.res.Start, RunID: r.Config.RunID, Seconds: b.res.Duration}
		if err := resultdir.WriteState(r.Layout.CacheFile(rc.Name), e); err != nil {
			r.Config.Log.Warn().Err(err).Str("recipe", rc.Name).Msg("cache entry not written")
		}
	}
	return b.res
}

// buildCached skips the build when the package in packages/ came from the same inputs.
func (b *recipeBuild) buildCached(ctx context.Context) error {
	if b.recipe.Err != nil || b.run.Config.NoCache {
		return b.build(ctx)
	}
	key, err := b.cacheKey(ctx)
	if err != nil {
		return b.fail("cache", err)
	}
	b.key, b.res.CacheKey = key, key
	if e, ok := b.cached(key); ok {
		b.res.Cached = true
		b.res.Package = &report.Artifact{Path: filepath.Join("packages", b.recipe.Name+".mpm"), SHA256: e.SHA256, Size: e.Size}
		if err := b.refreshSupplyChain(ctx, e); err != nil {
			return b.fail("attest", err)
		}
		return nil
	}
	return b.build(ctx)
}

func (b *recipeBuild) finish(ctx context.Context, err error) {
	res := b.res
	var timedOut errTimedOut
	switch {
	case err == nil && res.Cached:
		res.Status = report.StatusCached
		return
	case err == nil:
		res.Status = report.StatusBuilt
		return
	case errors.As(err, &timedOut):
		res.Status = report.StatusTimedOut
	case ctx.Err() != nil:
		res.Status = report.StatusCancelled
	default:
		res.Status = report.StatusFailed
	}
	res.Error = err.Error()
	res.LogTail = b.tail.Lines()
	b.run.Config.Log.Error().Str("recipe", res.Name).Str("phase", res.Phase).Msg(res.Error)
}

// fail records the phase and wraps err with the recipe's name.
func (b *recipeBuild) fail(phase string, err error) error {
	b.res.Phase = phase
	var rerr *recipe.Error
	var dup *recipe.DuplicateError
	if errors.As(err, &rerr) || errors.As(err, &dup) {
		return err // already names the recipe (and the file)
	}
	return fmt.Errorf("recipe %s: %w", recipe.DisplayName(b.recipe.Name), err)
}

func (b *recipeBuild) build(ctx context.Context) error {
	r, rc := b.run, b.recipe
	if b.res.Log == "" {
		// The name is refused (rc.Err says why): it must not become a file name, so the
		// report alone says what happened.
		return b.fail("validate", rc.Err)
	}
	logf, err := os.Create(r.Layout.Log(rc.Name))
	if err != nil {
		return b.fail("log", err)
	}
	defer logf.Close()
	out := io.MultiWriter(logf, b.tail)
	if rc.Err != nil {
		fmt.Fprintf(logf, "pkgdriver: the recipe is invalid, nothing was run:\n%v\n", rc.Err)
		return b.fail("validate", rc.Err)
	}
	if err := b.checkShippedDescriptor(); err != nil {
		fmt.Fprintf(logf, "pkgdriver: the recipe is invalid, nothing was run:\n%v\n", err)
		return b.fail("validate", err)
	}

	id, err := r.Engine.Create(ctx, b.spec())
	if err != nil {
		return b.fail("create", err)
	}
	defer r.removeContainer(ctx, id)
	b.res.Node = nodeOf(r.Engine, id)
	if err := b.copyIn(ctx, id); err != nil {
		return b.fail("copy in", err)
	}

	tctx, cancel := context.WithTimeoutCause(ctx, r.Config.Timeout, errTimedOut{r.Config.Timeout})
	defer cancel()
	nctx, stop := context.WithCancelCause(tctx) // network_watch.go: a failed download stops it
	defer stop(nil)
	net := &networkWatch{stop: stop, log: b.res.Log}
	out = io.MultiWriter(out, net)
	exit, err := r.Engine.Run(nctx, id, out, out)
	code := exit.Code
	b.res.ExitCode, b.res.OOMKilled = &code, exit.OOMKilled
	switch {
	case net.err() != nil && ctx.Err() == nil:
		return b.fail("build", net.err())
	case err != nil:
		return b.fail("build", err)
	case exit.OOMKilled:
		return b.fail("build", fmt.Errorf("build.sh was killed: out of memory (limit %s)", formatBytes(r.Config.Memory)))
	case exit.Code != 0:
		return b.fail("build", b.exitError(ctx, id, exit.Code))
	}
	return b.gather(ctx, id)
}

// buildCommand runs build.sh with both streams on one pipe (the engine reads stdout and stderr
// pipes separately and can reorder lines between them; the log must keep the order they were
// written in), passing its exit status on. After a successful build it lists the files a package
// cannot hold into specialFiles: the engine's archive drops sockets without a word, so gather
// could not see them otherwise.
const buildCommand = `cd "$RECIPE_DIR" && ./build.sh 2>&1 || exit; ` +
	`find "$PACKAGE_RESULT_DIR" \( -type s -o -type p -o -type b -o -type c \) -printf '%y %P\0' >` + specialFiles + ` 2>/dev/null; exit 0`

// specialFiles is where buildCommand lists the sockets, pipes and devices in the result.
const specialFiles = "/pkgdriver/special-files"

// spec is the recipe's container: the contract's build environment and nothing more.
func (b *recipeBuild) spec() engine.ContainerSpec {
	r, name := b.run, b.recipe.Name
	spec := engine.ContainerSpec{
		Image: r.Toolchain.ID,
		Cmd:   []string{"/bin/sh", "-c", buildCommand},
		Env: []string{
			"RECIPE_DIR=" + path.Join(containerRecipes, name),
			"PACKAGE_NAME=" + name,
			"PACKAGE_RESULT_DIR=" + path.Join(containerResults, name),
			"OSV_DIR=" + containerOSV,
			"OSV_BUILD_DIR=" + containerOSV + "/build/release.x64",
			"GCCBASE=" + containerOSV + "/external/x64/gcc.bin",
			"MISCBASE=" + containerOSV + "/external/x64/misc.bin",
			"COMMON_DIR=" + path.Join(containerRecipes, "common"),
			"CPU_COUNT=" + strconv.Itoa(r.cpuCount()),
			"PLATFORM=" + r.Toolchain.Platform,
			// Not in the old contract: the reproducible-builds convention, so that
			// `capstan package init` and other tools stamp the OSv commit time, not now.
			"SOURCE_DATE_EPOCH=" + strconv.FormatInt(r.sourceDateEpoch().Unix(), 10),
		},
		Labels:     r.labels("build", name),
		Devices:    r.Devices,
		Privileged: r.Config.Privileged,
		CPUs:       r.Config.CPUs,
		Memory:     r.Config.Memory,
		PidsLimit:  r.Config.PidsLimit,
	}
	if r.SharedVolume != "" {
		spec.Volumes = map[string]string{r.SharedVolume: containerOSV}
		spec.VolumesNoCopy = r.SharedVolumeNoCopy
	}
	return spec
}

func (r *Run) cpuCount() int {
	if r.Config.CPUs > 0 {
		return int(math.Ceil(r.Config.CPUs))
	}
	return max(r.EngineCPUs, 1)
}

// copyIn sends the recipe, the common files and an empty result directory. The trees are walked
// as the cache hash walks them (recipe.Trees), so the hash covers exactly what the build gets.
func (b *recipeBuild) copyIn(ctx context.Context, id string) error {
	pr, pw := io.Pipe()
	go func() {
		tw := tarball.NewWriter(pw)
		var err error
		for _, tr := range recipe.Trees(b.recipe, b.run.Catalog.CommonDirs) {
			prefix := path.Join(containerRecipes[1:], b.recipe.Name)
			if tr.Common {
				prefix = path.Join(containerRecipes[1:], recipe.CommonDirName)
			}
			if err == nil {
				err = tw.RecipeTree(ctx, tr, prefix)
			}
		}
		if err == nil {
			err = tw.Dir(path.Join(containerResults[1:], b.recipe.Name), 0o755)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := b.run.Engine.CopyIn(ctx, id, "/", pr)
	pr.CloseWithError(err)
	return err
}

func formatBytes(n int64) string {
	if n <= 0 {
		return "none"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// exitError says why build.sh ended with a non-zero status, in the words a recipe author needs:
// a missing #! interpreter, a command not found, or a signal (a `docker kill` from outside
// shows up as SIGKILL, 137).
func (b *recipeBuild) exitError(ctx context.Context, id string, code int) error {
	log := b.res.Log
	switch {
	case code == 126 || code == 127:
		interp, args := b.interpreter()
		if interp != "" && !b.existsInContainer(ctx, id, interp) {
			return fmt.Errorf("build.sh's interpreter %q (its #! line) was not found in the toolchain image (exit status %d; see %s)", interp, code, log)
		}
		// #!/usr/bin/env prog: env exists, and says so when prog does not.
		if path.Base(interp) == "env" && len(args) > 0 && b.logSays(args[0], "No such file or directory") {
			return fmt.Errorf("build.sh's interpreter %q (its #! line, through %s) was not found in the toolchain image (exit status %d; see %s)", args[0], interp, code, log)
		}
		what := "a command was not found"
		if code == 126 {
			what = "a command could not be executed"
		}
		return fmt.Errorf("build.sh exited with status %d: %s (see %s)", code, what, log)
	case code > 128 && code <= 128+64:
		return fmt.Errorf("build.sh was killed by %s (exit status %d): stopped from outside (docker kill), by the kernel, or by the build itself (see %s)",
			signalName(code-128), code, log)
	}
	return fmt.Errorf("build.sh exited with status %d (see %s)", code, log)
}

// interpreter is the absolute interpreter path of build.sh's #! line and its arguments, or "".
func (b *recipeBuild) interpreter() (string, []string) {
	f, err := os.Open(filepath.Join(b.recipe.Dir, recipe.BuildScript))
	if err != nil {
		return "", nil
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := io.ReadFull(f, buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return "", nil
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || !path.IsAbs(fields[0]) {
		return "", nil
	}
	return fields[0], fields[1:]
}

// logSays reports whether one of the last lines of the build's output holds all of parts.
func (b *recipeBuild) logSays(parts ...string) bool {
	for _, l := range b.tail.Lines() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// existsInContainer reports whether p exists in the (stopped) container. Only a definite "not
// found" counts as missing.
func (b *recipeBuild) existsInContainer(ctx context.Context, id, p string) bool {
	rc, err := b.run.Engine.CopyOut(ctx, id, p)
	if err != nil {
		return !errors.Is(err, engine.ErrNotFound)
	}
	rc.Close()
	return true
}

// signalName names the signals a build usually dies of; exit statuses above 128 carry them.
func signalName(sig int) string {
	names := map[int]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS",
		8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}
	if n, ok := names[sig]; ok {
		return fmt.Sprintf("signal %d (%s)", sig, n)
	}
	return fmt.Sprintf("signal %d", sig)
}
