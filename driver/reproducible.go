package driver

import (
	"context"
	"fmt"
	"os"

	"github.com/pkgdriver/pkgdriver/engine"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// Reproduction is the verdict for one recipe.
type Reproduction struct {
	Recipe       string                `json:"recipe"`
	Reproducible bool                  `json:"reproducible"`
	Error        string                `json:"error,omitempty"`
	Differences  []packager.Difference `json:"differences,omitempty"`
}

// VerifyReproducible rebuilds the named recipes once more, from scratch, into a scratch result
// directory, and compares each new package with the one in cfg's packages/, entry by entry.
func VerifyReproducible(ctx context.Context, cfg *Config, eng engine.Engine, names []string) ([]Reproduction, error) {
	if err := CheckOverlap(cfg.ResultDir, cfg.RecipeDirs); err != nil {
		return nil, err
	}
	l := resultdir.Layout{Root: cfg.ResultDir}
	for _, n := range names {
		if _, err := os.Stat(l.MPM(n)); err != nil {
			return nil, usageError(fmt.Errorf("recipe %s: no %s to compare with; run pkgdriver run first", n, l.MPM(n)))
		}
	}
	if err := os.MkdirAll(l.State(), 0o755); err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp(l.State(), "reproduce-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)

	again := *cfg
	again.ResultDir, again.Recipes, again.NoCache, again.SkipTests = scratch, recipe.Selection{Names: names}, true, true
	again.KeepRecipes, again.Silent, again.Publish = true, true, nil
	again.RunID = cfg.RunID + "-reproduce"
	rep, err := Execute(ctx, &again, eng)
	if err != nil {
		return nil, err
	}
	var out []Reproduction
	for _, res := range rep.Recipes {
		v := Reproduction{Recipe: res.Name}
		if !res.Status.OK() {
			v.Error = fmt.Sprintf("the rebuild %s: %s", res.Status, res.Error)
		} else if v.Differences, err = packager.CompareFiles(l.MPM(res.Name), resultdir.Layout{Root: scratch}.MPM(res.Name)); err != nil {
			v.Error = err.Error()
		}
		v.Reproducible = v.Error == "" && len(v.Differences) == 0
		out = append(out, v)
	}
	return out, nil
}
