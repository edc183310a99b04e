package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/rs/zerolog"

	dockerengine "github.com/pkgdriver/pkgdriver/engine/docker"

	"github.com/pkgdriver/pkgdriver/driver"
)

// benchRepository is the name bench toolchain images are tagged under, apart from the ones the
// tests and users make.
const benchRepository = "pkgdriver-bench/toolchain"

// env is what every measurement shares: the engine, the docker CLI for the baselines, the
// pkgdriver binary, a scratch directory, and the toolchain images.
type env struct {
	repo      string // the module's root
	work      string // scratch directory, removed at the end
	api       client.APIClient
	docker    string // the docker CLI, used by baselines only
	bin       string // the static pkgdriver binary
	baseImage string
	// runLabel is the pkgdriver.run label of every container the bench makes itself.
	runLabel string
	scale    Scale
	log      zerolog.Logger
	logFile  *os.File
	progress io.Writer

	osvSrc string // -osv-src: a real OSv checkout, or empty
	// keepWork (-keep-work) keeps the metrics' own directories too, for inspection.
	keepWork   bool
	osvCommits []string // -osv-commits: N and N+1

	small    *toolchainImage // the OSv stand-in image, made on first use
	runs     int             // pkgdriver runs so far, to name their logs
	warnings []string
}

// newEnv checks the engine, the base image and the disk, and builds the pkgdriver binary.
func newEnv(ctx context.Context, o options) (*env, error) {
	repo, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("the baselines need the docker CLI: %w", err)
	}
	api, err := newClient(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := api.ImageInspect(ctx, o.baseImage); err != nil {
		api.Close()
		return nil, fmt.Errorf("base image %s: %w (run images/base/make-base-image.sh)", o.baseImage, err)
	}
	work, err := os.MkdirTemp(o.workDir, "pkgdriver-bench-")
	if err != nil {
		api.Close()
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(work, "bench.log"))
	if err != nil {
		api.Close()
		return nil, err
	}
	e := &env{
		repo: repo, work: work, api: api, docker: docker, baseImage: o.baseImage,
		runLabel: fmt.Sprintf("bench-%s-%d", time.Now().UTC().Format("20060102T150405"), os.Getpid()),
		scale:    o.scale, logFile: logFile, log: zerolog.New(logFile).With().Timestamp().Logger(),
		progress: os.Stderr, osvSrc: o.osvSrc, osvCommits: o.osvCommits, keepWork: o.keepWork,
	}
	if err := e.checkDisk(); err != nil {
		e.close(o.keepWork)
		return nil, err
	}
	e.step("building the pkgdriver binary (static, CGO_ENABLED=0)")
	if e.bin, err = buildBinary(ctx, repo, filepath.Join(work, "bin")); err != nil {
		e.close(o.keepWork)
		return nil, err
	}
	return e, nil
}

// moduleRoot finds go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench from inside the pkgdriver module (no go.mod found)")
		}
		dir = parent
	}
}

// buildBinary builds pkgdriver the way the toolchain image needs it: static, so the same file
// runs on the host and as `capstan` in any Linux container.
func buildBinary(ctx context.Context, repo, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pkgdriver")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// minFreeBytes is what a full run needs at its peak: the 2 GB tree, its image layers, the build
// context the engine receives once, and a metric's own files.
const minFreeBytes = 12 << 30

func (e *env) checkDisk() error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(e.work, &st); err != nil {
		return err
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	need := int64(minFreeBytes)
	if e.scale.TreeMB < 1000 {
		need = 4 << 30
	}
	if free < need {
		return fmt.Errorf("%s has %.1f GiB free; the bench needs about %.0f GiB (scale it down with -quick)",
			e.work, float64(free)/(1<<30), float64(need)/(1<<30))
	}
	e.log.Info().Int64("free_bytes", free).Msg("disk")
	return nil
}

// step prints progress on stderr; the table goes to stdout.
func (e *env) step(format string, args ...any) {
	fmt.Fprintf(e.progress, "bench: "+format+"\n", args...)
	e.log.Info().Msgf(format, args...)
}

func (e *env) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.warnings = append(e.warnings, msg)
	e.step("warning: %s", msg)
}

// dir makes a fresh scratch directory for one metric; remove it with os.RemoveAll when done.
func (e *env) dir(name string) (string, error) {
	return os.MkdirTemp(e.work, name+"-")
}

// removeDir removes a metric's directory from dir, unless -keep-work keeps it.
func (e *env) removeDir(dir string) {
	if !e.keepWork {
		os.RemoveAll(dir)
	}
}

// labels are the labels of every container the bench makes itself, so cleanup finds them.
func (e *env) labels(role string) map[string]string {
	return map[string]string{driver.LabelRun: e.runLabel, driver.LabelRole: role}
}

// removeContainers removes the containers matching the label filter (key=value).
func (e *env) removeContainers(ctx context.Context, label string) error {
	list, err := e.api.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", label))})
	if err != nil {
		return fmt.Errorf("list containers %s: %w", label, err)
	}
	var errs []error
	for _, c := range list {
		e.log.Warn().Str("id", c.ID[:12]).Str("label", label).Msg("removing a leftover container")
		errs = append(errs, e.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}))
	}
	return errors.Join(errs...)
}

// ownerLabel is the pkgdriver.owner label a pkgdriver process with this pid puts on what it makes.
func ownerLabel(pid int) string {
	host, _ := os.Hostname()
	return driver.LabelOwner + "=" + host + ":" + strconv.Itoa(pid)
}

// close removes every container the bench made and the scratch directory.
func (e *env) close(keepWork bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.removeContainers(ctx, driver.LabelRun+"="+e.runLabel); err != nil {
		fmt.Fprintf(e.progress, "bench: cleanup: %v\n", err)
	}
	e.api.Close()
	e.logFile.Close()
	if keepWork {
		fmt.Fprintf(e.progress, "bench: scratch directory kept: %s\n", e.work)
		return
	}
	if err := os.RemoveAll(e.work); err != nil {
		fmt.Fprintf(e.progress, "bench: cleanup: %v\n", err)
	}
}

// host describes the machine and engine for the results.
func (e *env) host(ctx context.Context) Host {
	h := Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if info, err := e.api.Info(ctx); err == nil {
		h.CPUs, h.Kernel, h.Engine, h.StorageDriver = info.NCPU, info.KernelVersion, info.ServerVersion, info.Driver
	}
	return h
}

// tail is the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newClient connects to the engine the environment names, as pkgdriver does, and checks that
// it answers: the bench reads the engine's events and baselines, beyond what pkgdriver's
// engine interface offers.
func newClient(ctx context.Context) (client.APIClient, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation(), client.WithUserAgent("pkgdriver-bench"))
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, dockerengine.DefaultTimeout)
	defer cancel()
	if _, err := api.Ping(pctx); err != nil {
		api.Close()
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	return api, nil
}
