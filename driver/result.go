package driver

import (
	"sync"
	"time"

	"github.com/pkgdriver/pkgdriver/recipe"
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
	// After are the builds of this run the test waited for: its own and those of the packages
	// its demo requires.
	After   []string `json:"after,omitempty"`
	Log     string   `json:"log,omitempty"`
	LogTail []string `json:"log_tail,omitempty"`
}

// results collects recipe results from parallel builds.
type results struct {
	mu    sync.Mutex
	order []string
	by    map[string]*RecipeResult
}

func newResults(names []string) *results {
	r := &results{order: names, by: map[string]*RecipeResult{}}
	for _, n := range names {
		r.by[n] = &RecipeResult{Name: n, Status: StatusQueued}
	}
	return r
}

func (r *results) set(res *RecipeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[res.Name] = res
}

// setTest records a recipe's test result.
func (r *results) setTest(name string, t *TestResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res, ok := r.by[name]; ok {
		res.Test = t
		return
	}
	r.order = append(r.order, name)
	r.by[name] = &RecipeResult{Name: name, Status: StatusNotBuilt, Test: t}
}

// get returns a copy of one result.
func (r *results) get(name string) (RecipeResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.by[name]
	if !ok {
		return RecipeResult{}, false
	}
	return *res, true
}

// list returns a copy in selection order, for the summary and the reports: each name as
// recipe.DisplayName shows it, so a refused directory name reaches no terminal or file raw.
func (r *results) list() []RecipeResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RecipeResult, 0, len(r.order))
	for _, n := range r.order {
		res := *r.by[n]
		res.Name = recipe.DisplayName(res.Name)
		out = append(out, res)
	}
	return out
}
