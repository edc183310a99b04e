package driver

import (
	"sync"

	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// results collects recipe results from parallel builds.
type results struct {
	mu    sync.Mutex
	order []string
	by    map[string]*report.RecipeResult
}

func newResults(names []string) *results {
	r := &results{order: names, by: map[string]*report.RecipeResult{}}
	for _, n := range names {
		r.by[n] = &report.RecipeResult{Name: n, Status: report.StatusQueued}
	}
	return r
}

func (r *results) set(res *report.RecipeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[res.Name] = res
}

// setTest records a recipe's test result.
func (r *results) setTest(name string, t *report.TestResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res, ok := r.by[name]; ok {
		res.Test = t
		return
	}
	r.order = append(r.order, name)
	r.by[name] = &report.RecipeResult{Name: name, Status: report.StatusNotBuilt, Test: t}
}

// get returns a copy of one result.
func (r *results) get(name string) (report.RecipeResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.by[name]
	if !ok {
		return report.RecipeResult{}, false
	}
	return *res, true
}

// list returns a copy in selection order, for the summary and the reports: each name as
// recipe.DisplayName shows it, so a refused directory name reaches no terminal or file raw.
func (r *results) list() []report.RecipeResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]report.RecipeResult, 0, len(r.order))
	for _, n := range r.order {
		res := *r.by[n]
		res.Name = recipe.DisplayName(res.Name)
		out = append(out, res)
	}
	return out
}
