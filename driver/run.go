package driver

import (
	"time"

	"github.com/docker/docker/client"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// Run is the state one pipeline run shares between its stages. Stages read what earlier stages
// wrote here and never call each other.
type Run struct {
	Config *Config
	Engine client.APIClient
	Runner Runner
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
	Report  *Report
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
func (t *Toolchain) ShortCommit() string {
	if len(t.Commit) > 7 {
		return t.Commit[:7]
	}
	return t.Commit
}
