package report

import (
	"strings"
	"time"
)

// Status is how a recipe's build ended.
type Status string

// Build outcomes. "queued" only appears in a report of a run that stopped before the recipe
// started.
const (
	StatusQueued Status = "queued"
	StatusBuilt  Status = "built"
	// StatusCached is a recipe not rebuilt: its package came from the same inputs.
	StatusCached    Status = "cached"
	StatusFailed    Status = "failed"
	StatusTimedOut  Status = "timed out"
	StatusCancelled Status = "cancelled"
	// StatusNotBuilt is a recipe tested (TEST_RECIPES) but not built in this run.
	StatusNotBuilt Status = "not built"
	// StatusNotStarted is a recipe of a run that failed before it could start (the engine did
	// not answer, the toolchain image failed).
	StatusNotStarted Status = "not started"
)

// OK reports whether the recipe's package is good: built now or cached.
func (s Status) OK() bool { return s == StatusBuilt || s == StatusCached }

// Broken reports a build that ended badly: failed, timed out or cancelled.
func (s Status) Broken() bool {
	return s == StatusFailed || s == StatusTimedOut || s == StatusCancelled
}

// Broken reports a test that ended badly: failed, timed out or cancelled. Untested and
// skipped tests are not broken (a skipped test's build is).
func (s TestStatus) Broken() bool {
	return s == TestFailed || s == TestTimedOut || s == TestCancelled
}

// Broken reports a recipe whose build or test ended badly in this run.
func (r RecipeResult) Broken() bool {
	return r.Status.Broken() || (r.Test != nil && r.Test.Status.Broken())
}

// Artifact is a delivered file.
type Artifact struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Evidence names a package's supply-chain files, relative to the result directory: its SBOM,
// its provenance attestation and its signature (empty for an unsigned package).
type Evidence struct {
	SBOM        string `json:"sbom"`
	Attestation string `json:"attestation"`
	Signature   string `json:"signature,omitempty"`
}

// RecipeResult is one recipe's line in the summary and in report.json.
type RecipeResult struct {
	Name      string      `json:"name"`
	Status    Status      `json:"status"`
	Phase     string      `json:"phase,omitempty"`
	Error     string      `json:"error,omitempty"`
	Start     time.Time   `json:"start,omitzero"`
	Duration  float64     `json:"duration_seconds"`
	ExitCode  *int        `json:"exit_code,omitempty"`
	OOMKilled bool        `json:"oom_killed,omitempty"`
	Cached    bool        `json:"cached,omitempty"`
	CacheKey  string      `json:"cache_key,omitempty"`
	Log       string      `json:"log"`
	LogTail   []string    `json:"log_tail,omitempty"`
	Package   *Artifact   `json:"package,omitempty"`
	Evidence  *Evidence   `json:"supply_chain,omitempty"`
	ImageID   string      `json:"image_id,omitempty"`
	OSVCommit string      `json:"osv_commit,omitempty"`
	Node      string      `json:"node,omitempty"` // the cluster node that built it (Kubernetes runner)
	Test      *TestResult `json:"test,omitempty"`
}

// TestStatus is how a recipe's demo test ended.
type TestStatus string

// Test outcomes. A recipe without a demo is untested, never passed.
const (
	TestPassed   TestStatus = "passed"
	TestFailed   TestStatus = "failed"
	TestTimedOut TestStatus = "timed out"
	TestUntested TestStatus = "untested"
	TestSkipped  TestStatus = "skipped"
	// TestCached is a cached package whose demo already passed with the same inputs.
	TestCached    TestStatus = "cached"
	TestCancelled TestStatus = "cancelled"
)

// TestResult is the demo test of one recipe.
type TestResult struct {
	Status   TestStatus `json:"status"`
	Phase    string     `json:"phase,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	Error    string     `json:"error,omitempty"`
	Start    time.Time  `json:"start,omitzero"`
	Duration float64    `json:"duration_seconds"`
	Cmdline  string     `json:"cmdline,omitempty"`
	// Boot is how QEMU booted the composed image: "disk" (its boot sector, through the firmware
	// and OSv's boot loader, as Capstan does) or "kernel" (the same kernel loaded directly
	// through its PVH entry, the image as its disk).
	Boot    string   `json:"boot,omitempty"`
	Log     string   `json:"log,omitempty"`
	LogTail []string `json:"log_tail,omitempty"`
	Node    string   `json:"node,omitempty"` // the cluster node that booted the demo (Kubernetes runner)
	// After are the builds of this run the test waited for: its own and those of the packages
	// its demo requires.
	After []string `json:"after,omitempty"`
}

// Toolchain is the toolchain image a run used, as the report records it.
type Toolchain struct {
	ID         string    `json:"id"`
	Tags       []string  `json:"tags"`
	Commit     string    `json:"osv_commit"`
	CommitTime time.Time `json:"osv_commit_time"`
	Describe   string    `json:"osv_version"`
	Platform   string    `json:"platform"`
	InputHash  string    `json:"input_hash"`
	Reused     bool      `json:"reused"`
	// BuiltOn is the earlier kernel image an incremental build compiled the new OSv tree on.
	BuiltOn string `json:"built_on,omitempty"`
	// KernelImage is the kernel image (everything but capstan) the toolchain image was made
	// from by adding capstan.
	KernelImage string `json:"kernel_image,omitempty"`
	// KernelReused says that this run built no kernel image: the image was reused, or only
	// capstan (a new pkgdriver binary) was added to an existing kernel image.
	KernelReused bool `json:"kernel_reused,omitempty"`
}

// DirtySuffix ends the commit of an OSv tree that differs from its commit: abcdef0-dirty.
const DirtySuffix = "-dirty"

// ShortCommit is the commit abbreviated the way image tags and index.yaml use it.
// A dirty tree's commit keeps its suffix: abcdef0-dirty.
func (t *Toolchain) ShortCommit() string { return ShortCommit(t.Commit) }

// Dirty reports whether the image was built from a tree that differs from its commit.
func (t *Toolchain) Dirty() bool { return strings.HasSuffix(t.Commit, DirtySuffix) }

// ShortID is the image ID abbreviated as the engine's CLI shows it: 12 hex digits.
func (t *Toolchain) ShortID() string {
	id := strings.TrimPrefix(t.ID, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// ShortCommit abbreviates an OSv commit to 7 digits, keeping a dirty tree's suffix.
func ShortCommit(c string) string {
	base, dirty := strings.CutSuffix(c, DirtySuffix)
	if len(base) > 7 {
		base = base[:7]
	}
	if dirty {
		return base + DirtySuffix
	}
	return base
}
