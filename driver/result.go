package driver

import (
	"sync"
	"time"
)

// Status is how a recipe's build ended.
type Status string

// Build outcomes. "queued" only appears in a report of a run that stopped before the recipe
// started.
const (
	StatusQueued    Status = "queued"
	StatusBuilt     Status = "built"
	StatusFailed    Status = "failed"
	StatusTimedOut  Status = "timed out"
	StatusCancelled Status = "cancelled"
)

// Artifact is a delivered file.
type Artifact struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// RecipeResult is one recipe's line in the summary and in report.json.
type RecipeResult struct {
	Name      string    `json:"name"`
	Status    Status    `json:"status"`
	Phase     string    `json:"phase,omitempty"`
	Error     string    `json:"error,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	Duration  float64   `json:"duration_seconds"`
	ExitCode  *int      `json:"exit_code,omitempty"`
	OOMKilled bool      `json:"oom_killed,omitempty"`
	Log       string    `json:"log"`
	LogTail   []string  `json:"log_tail,omitempty"`
	Package   *Artifact `json:"package,omitempty"`
	ImageID   string    `json:"image_id,omitempty"`
	OSVCommit string    `json:"osv_commit,omitempty"`
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

// list returns a copy in selection order.
func (r *results) list() []RecipeResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RecipeResult, 0, len(r.order))
	for _, n := range r.order {
		out = append(out, *r.by[n])
	}
	return out
}
