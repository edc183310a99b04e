package driver

import (
	"time"

	"github.com/pkgdriver/pkgdriver/engine"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// Run is the state one pipeline run shares between its stages. Stages read what earlier stages
// wrote here and never call each other.
type Run struct {
	Config *Config
	// Engine runs the run's containers; the stages reach the engine through it only.
	Engine engine.Engine
	Layout resultdir.Layout
	Start  time.Time

	Catalog  *recipe.Catalog
	Selected []*recipe.Recipe

	Toolchain *Toolchain
	// Accel is the acceleration chosen for QEMU, and Devices what containers get for it.
	Accel   Accel
	Devices []string
	// SharedVolume holds the OSv tree when SHARE_OSV_DIR is on; SharedVolumeNoCopy when it is
	// a view of the image's tree that the engine must not fill; SharedTree says which, for the
	// report.
	SharedVolume       string
	SharedVolumeNoCopy bool
	SharedTree         string
	EngineCPUs         int
	// EngineName says which backend ran the containers, and where (engine.Info.Name).
	EngineName string

	// SupplyChain is what the packages' SBOMs and provenance state about the toolchain.
	SupplyChain *supplyChain

	Results *results
	// Schedule is when the builds and tests ran, on how many slots.
	Schedule *scheduleTimes
	Loader   *report.Artifact
	// DirectKernel: demos boot the kernel of the delivered loader (the toolchain image's
	// loader-stripped.elf) with QEMU's -kernel, the composed image as their disk; otherwise
	// from the composed image through the firmware and OSv's boot loader. See qemuArgs.
	DirectKernel bool
	// ZFSBuilder is the delivered repository/osv-zfs-builder image, when OSv's build made one.
	ZFSBuilder *report.Artifact
	Report     *report.Report

	lock *resultdir.ResultLock
	// closeEngine closes an engine the run connected to itself (engineStage).
	closeEngine func() error
}

func (r *Run) releaseLock() {
	if err := r.lock.Release(); err != nil {
		r.Config.Log.Warn().Err(err).Msg("result directory lock")
	}
}

// Toolchain describes the toolchain image a run uses: what the report records, and the image's
// tags in the engine, so that a tag already there is not written again.
type Toolchain struct {
	report.Toolchain
	repoTags []string
}

// record is what the report records of t, nil for none.
func (t *Toolchain) record() *report.Toolchain {
	if t == nil {
		return nil
	}
	return &t.Toolchain
}
