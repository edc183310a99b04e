package driver

import (
	"context"
	"slices"

	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// selectStage discovers the recipes and applies the build selection. Invalid recipes stay
// selected: they fail on their own line of the report while the others build.
type selectStage struct{}

func (selectStage) String() string { return "select recipes" }

func (selectStage) Run(ctx context.Context, r *Run) error {
	cat, err := Discover(ctx, r.Config.RecipeDirs)
	if err != nil {
		return usageError(err)
	}
	sel, err := cat.Select(r.Config.Recipes)
	if err != nil {
		return usageError(err)
	}
	r.Catalog, r.Selected = cat, sel
	names := make([]string, len(sel))
	for i, rc := range sel {
		names[i] = rc.Name
	}
	r.Results = newResults(names)
	r.Config.Log.Info().Int("recipes", len(sel)).Str("selection", r.Config.Recipes.String()).Msg("recipes selected")
	for _, rc := range cat.Recipes {
		if r.Config.Recipes.All && rc.KnownBroken != "" && !slices.Contains(sel, rc) {
			r.Config.Log.Info().Str("recipe", rc.Name).Str("reason", rc.KnownBroken).
				Msg("left out of all: known to be broken (name it to build it)")
		}
	}
	warnKnownBroken(r, sel)
	return nil
}

// warnKnownBroken logs one warning for each recipe in list that is known to be broken: it was
// named, so it runs, and its failure is expected.
func warnKnownBroken(r *Run, list []*recipe.Recipe) {
	for _, rc := range list {
		if rc.KnownBroken != "" {
			r.Config.Log.Warn().Str("recipe", rc.Name).Str("reason", rc.KnownBroken).
				Msg("selected although known to be broken")
		}
	}
}

// Discover reads the recipe directories, validating run.yaml files with the package format's
// own parser.
func Discover(ctx context.Context, dirs []recipe.Dir) (*recipe.Catalog, error) {
	return recipe.Discover(ctx, dirs, recipe.DiscoverOptions{
		// The recipe error already names the file; the parser's message adds the field.
		ValidateRunYAML: func(data []byte, _ string) error {
			_, err := packager.ParseRunConfig(data, "")
			return err
		},
	})
}
