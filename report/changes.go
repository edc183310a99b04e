package report

import (
	"fmt"
	"math"
	"sort"
)

// sizeChanged is a package size change worth showing: over 1%, or any change of a small package
// (where 1% is a few bytes and any change means something).
func sizeChanged(old, cur int64) bool {
	const small = 64 << 10
	if old == cur {
		return false
	}
	if old < small || cur < small {
		return true
	}
	return math.Abs(float64(cur-old)) > float64(old)/100
}

// htmlChanges is "since the last run".
type htmlChanges struct {
	PrevRunID, PrevStart, PrevStatus string
	NewFailures, Fixed               []htmlChange
	Sizes                            []htmlSizeChange
	Added, Removed                   []string
	Nothing                          bool
}

type htmlChange struct{ Name, Was, Now string }

type htmlSizeChange struct {
	Name, Old, New, Delta, CSS string
}

// compareReports lists what changed between the previous run and this one. A recipe in only one
// of them is added or removed; a failing added recipe is also a new failure.
func compareReports(prev, cur *Report) *htmlChanges {
	c := &htmlChanges{PrevRunID: prev.RunID, PrevStart: htmlTime(prev.Start), PrevStatus: string(prev.Status)}
	before := map[string]RecipeResult{}
	for _, res := range prev.Recipes {
		before[res.Name] = res
	}
	seen := map[string]bool{}
	for _, res := range cur.Recipes {
		seen[res.Name] = true
		old, ok := before[res.Name]
		if !ok {
			c.Added = append(c.Added, res.Name)
		}
		switch {
		case res.Broken() && (!ok || !old.Broken()):
			was := "not in that run"
			if ok {
				was = htmlOutcome(old)
			}
			c.NewFailures = append(c.NewFailures, htmlChange{Name: res.Name, Was: was, Now: htmlOutcome(res)})
		case ok && old.Broken() && res.Status.OK() && !res.Broken():
			c.Fixed = append(c.Fixed, htmlChange{Name: res.Name, Was: htmlOutcome(old), Now: htmlOutcome(res)})
		}
		if ok && old.Package != nil && res.Package != nil && sizeChanged(old.Package.Size, res.Package.Size) {
			d := res.Package.Size - old.Package.Size
			sc := htmlSizeChange{Name: res.Name, Old: htmlSize(old.Package.Size), New: htmlSize(res.Package.Size), CSS: "grow"}
			sign := "+"
			if d < 0 {
				sign, sc.CSS = "-", "shrink"
			}
			sc.Delta = sign + htmlSize(absInt64(d))
			if old.Package.Size > 0 {
				sc.Delta += fmt.Sprintf(" (%+.1f%%)", 100*float64(d)/float64(old.Package.Size))
			}
			c.Sizes = append(c.Sizes, sc)
		}
	}
	for _, res := range prev.Recipes {
		if !seen[res.Name] {
			c.Removed = append(c.Removed, res.Name)
		}
	}
	sort.Strings(c.Removed)
	c.Nothing = len(c.NewFailures)+len(c.Fixed)+len(c.Sizes)+len(c.Added)+len(c.Removed) == 0
	return c
}

func absInt64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
