package driver

import (
	"context"
	"fmt"
	"runtime/debug"

	"golang.org/x/sync/errgroup"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// forEachRecipe calls fn for each recipe of list, --jobs at a time, and waits for them all. Once
// the run is cancelled no further call starts; fn itself decides what a cancelled recipe becomes.
// The build and the test stage both fan out through it.
func (r *Run) forEachRecipe(ctx context.Context, list []*recipe.Recipe, fn func(rc *recipe.Recipe)) {
	g := errgroup.Group{}
	g.SetLimit(r.jobs())
	for _, rc := range list {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			fn(rc)
			return nil
		})
	}
	_ = g.Wait()
}

// guard runs fn, one recipe's work (what: "build", "demo"), and turns a panic in it into an
// error naming the recipe, logged with its stack: one bad input must not take the run, and the
// cleanup of every other recipe, down with it. fn's own deferred cleanup has run by the time the
// panic arrives here.
func (r *Run) guard(rc *recipe.Recipe, what string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Config.Log.Error().Str("recipe", rc.Name).Str("stage", what).Str("stack", string(debug.Stack())).Msg("internal error")
			err = fmt.Errorf("recipe %s: %s: internal error in pkgdriver: %v", recipe.DisplayName(rc.Name), what, p)
		}
	}()
	fn()
	return nil
}
