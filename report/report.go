package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// Report is report.json: what a run did, for people and for the next run.
type Report struct {
	RunID     string     `json:"run_id"`
	Version   string     `json:"pkgdriver_version"`
	Start     time.Time  `json:"start"`
	Duration  float64    `json:"duration_seconds"`
	Status    RunStatus  `json:"status"`
	Error     string     `json:"error,omitempty"`
	Runner    string     `json:"runner,omitempty"` // engine.Info.Name: "docker at …", "kubernetes at … (namespace …)"
	Toolchain *Toolchain `json:"toolchain,omitempty"`
	// Accel is the QEMU accelerator the demos booted with: kvm or tcg.
	Accel  string    `json:"accel,omitempty"`
	Loader *Artifact `json:"loader,omitempty"`
	// ZFSBuilder is the image Capstan's --fs zfs compose boots (repository/osv-zfs-builder).
	ZFSBuilder *Artifact `json:"zfs_builder,omitempty"`
	// Settings are the run's inputs as given: selection and the flags that shape it.
	Settings map[string]string `json:"settings,omitempty"`
	Recipes  []RecipeResult    `json:"recipes"`
	// Schedule is the builds' and tests' wall time against their critical path.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// RunStatus is how a whole run ended.
type RunStatus string

// Run outcomes.
const (
	// RunOK is a run in which every recipe built (or was cached) and no test failed.
	RunOK RunStatus = "ok"
	// RunFailed is a run that went to its end with a recipe that did not build or pass.
	RunFailed RunStatus = "failed"
	// RunCancelled is a run stopped by the user (Ctrl-C, a signal).
	RunCancelled RunStatus = "cancelled"
	// RunError is a run that could not go on (the engine did not answer, the toolchain failed).
	RunError RunStatus = "error"
)

// Failed reports whether any recipe did not build or its test did not pass. Untested recipes
// (no demo) and recipes only tested in this run do not fail a run.
func (rep *Report) Failed() bool { return rep.Counts().Failed() }

// Load reads the result directory's report.json.
func Load(l resultdir.Layout) (*Report, error) {
	data, err := os.ReadFile(l.Report())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: publish needs the result of `pkgdriver run`", l.Report())
	}
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", l.Report(), err)
	}
	return &rep, nil
}

// Write writes rep as the result directory's report.json, atomically: a reader always finds a
// complete report. Call KeepPrevious first to keep the one it replaces.
func Write(l resultdir.Layout, rep *Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.Root, 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.Report(), append(data, '\n'), 0o644)
}

// KeepPrevious copies report.json to report.prev.json (atomically) before a run replaces it:
// report.html compares the two.
func KeepPrevious(l resultdir.Layout) error {
	data, err := os.ReadFile(l.Report())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.PrevReport(), data, 0o644)
}
