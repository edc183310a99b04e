package driver

import (
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// Run is the state one pipeline run shares between its stages. Stages read what earlier stages
// wrote here and never call each other.
type Run struct {
	Config *Config
	// Engine runs the run's containers; the stages reach the engine through it only.
	Engine engine.Engine
	Layout Layout
	Start  time.Time

	Catalog  *recipe.Catalog
	Selected []*recipe.Recipe

	Toolchain *Toolchain
	// Accel is the acceleration chosen for QEMU, and Devices what containers get for it.
	Accel   Accel
	Devices []string
	// SharedVolume holds the OSv tree when SHARE_OSV_DIR is on.
	SharedVolume string
	EngineCPUs   int

	// SupplyChain is what the packages' SBOMs and provenance state about the toolchain.
	SupplyChain *supplyChain

	Results *results
	Loader  *Artifact
	// ZFSBuilder is the delivered repository/osv-zfs-builder image, when OSv's build made one.
	ZFSBuilder *Artifact
	Report     *Report

	lock *ResultLock
	// closeEngine closes an engine the run connected to itself (engineStage).
	closeEngine func() error
}

func (r *Run) releaseLock() {
	if err := r.lock.Release(); err != nil {
		r.Config.Log.Warn().Err(err).Msg("result directory lock")
	}
}

// Toolchain describes the toolchain image a run uses.
type Toolchain struct {
	ID         string    `json:"id"`
	Tags       []string  `json:"tags"`
	Commit     string    `json:"osv_commit"`
	CommitTime time.Time `json:"osv_commit_time"`
	Describe   string    `json:"osv_version"`
	Platform   string    `json:"platform"`
	InputHash  string    `json:"input_hash"`
	Reused     bool      `json:"reused"`
	repoTags   []string
}

// ShortCommit is the commit abbreviated the way image tags and index.yaml use it.
// A dirty tree's commit keeps its suffix: abcdef0-dirty.
func (t *Toolchain) ShortCommit() string { return shortCommit(t.Commit) }

// Dirty reports whether the image was built from a tree that differs from its commit.
func (t *Toolchain) Dirty() bool { return strings.HasSuffix(t.Commit, dirtySuffix) }

func shortCommit(c string) string {
	base, dirty := strings.CutSuffix(c, dirtySuffix)
	if len(base) > 7 {
		base = base[:7]
	}
	if dirty {
		return base + dirtySuffix
	}
	return base
}
