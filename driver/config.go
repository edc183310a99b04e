package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// Accel is how QEMU is accelerated inside containers.
type Accel string

// The --accel values.
const (
	AccelAuto Accel = "auto"
	AccelKVM  Accel = "kvm"
	AccelTCG  Accel = "tcg"
)

// Config is everything a run is told. The CLI fills it; Validate checks it before any I/O.
type Config struct {
	ResultDir   string
	RecipeDirs  []recipe.Dir
	Recipes     recipe.Selection
	TestRecipes *recipe.Selection // nil: the build selection
	SkipTests   bool
	// NoCache rebuilds every selected recipe even when its package came from the same inputs.
	NoCache     bool
	ShareOSVDir bool
	KeepRecipes bool
	Silent      bool
	// Wait makes a run wait for another run's lock on the result directory instead of failing.
	Wait bool

	// TestTimeout bounds one demo boot; TestMemory is the unikernel's memory.
	TestTimeout time.Duration
	TestMemory  int64
	// TestBootDisk boots every demo from its composed image through the firmware and OSv's boot
	// loader, as Capstan does, even when the kernel could be booted directly (Run.DirectKernel).
	TestBootDisk bool

	Jobs      int // 0: the engine's CPU count
	Timeout   time.Duration
	CPUs      float64
	Memory    int64
	PidsLimit int64
	Accel     Accel
	// Privileged runs recipe containers with --privileged; only when asked.
	Privileged     bool
	MaxPackageSize int64

	Image ImageConfig
	// Signer signs every package and its provenance (--sign-key); nil: unsigned. It redacts
	// itself in every printed form.
	Signer *supplychain.Signer
	// Connect opens the engine when Execute is given none (the CLI's: the Docker engine the
	// environment names). An error that unwraps to engine.ErrUnavailable is a usage error.
	Connect func(ctx context.Context) (engine.Engine, error)
	// Publish, when set (`run --push`), publishes after the tests what this run's report says,
	// through the run's engine. An error that unwraps to ErrNotPublished is a refusal, already
	// logged, not a failure of the run.
	Publish func(ctx context.Context, eng engine.Engine, rep *report.Report) error

	// CacheDir is the user's pkgdriver cache directory, where the durations of every run are
	// kept as the expected times of a result directory without history; "": none.
	CacheDir string

	RunID   string
	Version string // pkgdriver's own version
	Log     zerolog.Logger
	// Out receives the summary table; Interactive enables the live view and the prompt.
	Out         io.Writer
	Interactive bool
	In          io.Reader
}

// ImageConfig says how the toolchain image is made.
type ImageConfig struct {
	BaseImage string
	OSVRepo   string
	OSVRef    string
	// OSVSrc is a local OSv checkout sent in the build context instead of cloning OSVRepo.
	OSVSrc string
	// AllowDirty builds an OSVSrc that differs from its commit (changes, untracked files,
	// submodules not checked out as recorded) instead of refusing it; the image is then
	// labelled, tagged and reported as <commit>-dirty.
	AllowDirty   bool
	OSVBuildArgs string
	// BuildArgs are extra Dockerfile build arguments (KEY=VALUE).
	BuildArgs map[string]string
	// Rebuild builds the image again, nothing from the engine's layer cache (from a fresh image
	// of the base, never with the cache turned off: see toolchain_kernel.go), and the run uses
	// that image (later runs of the same inputs too) instead of an older one of the same inputs.
	Rebuild bool
	// FromScratch builds a new toolchain image's kernel from scratch even when an earlier image
	// of the same lineage could be built on (see toolchain_incremental.go).
	FromScratch bool
	// Repository is the image name the toolchain is tagged under.
	Repository string
	// Capstan is the pkgdriver binary put in the image as `capstan`; empty: this executable.
	Capstan string
}

// ErrUsage marks configuration errors (exit status 2): errors.Is(err, ErrUsage). Wrap with
// usageError, which keeps the mark out of the message.
var ErrUsage = errors.New("usage")

// usageError marks err as a configuration error without changing its message.
func usageError(err error) error { return usageErr{err} }

// UsageError marks err as a configuration error (exit status 2) without changing its message.
func UsageError(err error) error { return usageError(err) }

type usageErr struct{ err error }

func (e usageErr) Error() string        { return e.err.Error() }
func (e usageErr) Unwrap() error        { return e.err }
func (e usageErr) Is(target error) bool { return target == ErrUsage }

// Validate checks the configuration without touching the engine or the disk.
func (c *Config) Validate() error {
	var errs []error
	if c.ResultDir == "" {
		errs = append(errs, errors.New("--result-dir is empty"))
	}
	if c.Jobs < 0 {
		errs = append(errs, fmt.Errorf("--jobs %d: must be 1 or more", c.Jobs))
	}
	if c.TestTimeout <= 0 && !c.SkipTests {
		errs = append(errs, fmt.Errorf("--test-timeout %s: must be positive", c.TestTimeout))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", c.Timeout))
	}
	switch c.Accel {
	case AccelAuto, AccelKVM, AccelTCG:
	default:
		errs = append(errs, fmt.Errorf("--accel %q: want auto, kvm or tcg", c.Accel))
	}
	for _, f := range []struct {
		flag     string
		negative bool
		value    any
	}{
		{"cpus", c.CPUs < 0, c.CPUs}, {"memory", c.Memory < 0, c.Memory},
		{"pids-limit", c.PidsLimit < 0, c.PidsLimit}, {"max-package-size", c.MaxPackageSize < 0, c.MaxPackageSize},
	} {
		if f.negative {
			errs = append(errs, fmt.Errorf("--%s %v: must not be negative (0: no limit)", f.flag, f.value))
		}
	}
	if c.Image.OSVSrc == "" && c.Image.OSVRepo == "" {
		errs = append(errs, errors.New("give --osv-src DIR or --osv-repo URL"))
	}
	if len(errs) > 0 {
		return usageError(errors.Join(errs...))
	}
	return nil
}

// settings describes the run's inputs for the report. Credentials never live in Config, so
// nothing secret can appear here.
func (c *Config) settings() map[string]string {
	tests := "the built recipes"
	if c.TestRecipes != nil {
		tests = c.TestRecipes.String()
	}
	osv := c.Image.OSVRepo + " " + c.Image.OSVRef
	if c.Image.OSVSrc != "" {
		osv = c.Image.OSVSrc
	}
	s := map[string]string{
		"recipes":                c.Recipes.String(),
		"test recipes":           tests,
		"skip tests":             strconv.FormatBool(c.SkipTests),
		"share OSv dir":          strconv.FormatBool(c.ShareOSVDir),
		"keep recipes":           strconv.FormatBool(c.KeepRecipes),
		"no cache":               strconv.FormatBool(c.NoCache),
		"jobs":                   strconv.Itoa(c.Jobs),
		"timeout":                c.Timeout.String(),
		"test timeout":           c.TestTimeout.String(),
		"accel (asked)":          string(c.Accel),
		"privileged":             strconv.FormatBool(c.Privileged),
		"base image":             c.Image.BaseImage,
		"OSv source":             osv,
		"OSv build args":         c.Image.OSVBuildArgs,
		"rebuild image":          strconv.FormatBool(c.Image.Rebuild),
		"toolchain from scratch": strconv.FormatBool(c.Image.FromScratch),
	}
	if c.Image.OSVSrc != "" {
		s["allow dirty"] = strconv.FormatBool(c.Image.AllowDirty)
	}
	if c.Jobs == 0 {
		s["jobs"] = "engine CPUs"
	}
	s["signing key"] = "none: packages are not signed"
	if c.Signer != nil {
		s["signing key"] = c.Signer.Source
	}
	for k, v := range c.Image.BuildArgs {
		s["build arg "+k] = v
	}
	return s
}
