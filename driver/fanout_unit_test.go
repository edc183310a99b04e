package driver

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
)

func fanoutRecipes(n int) []*recipe.Recipe {
	var list []*recipe.Recipe
	for i := range n {
		list = append(list, &recipe.Recipe{Name: "r" + string(rune('a'+i))})
	}
	return list
}

func TestForEachRecipe(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		jobs     int
		ctx      context.Context
		wantRun  int
		wantPeak int
	}{
		{name: "one at a time", jobs: 1, ctx: context.Background(), wantRun: 6, wantPeak: 1},
		{name: "three at a time", jobs: 3, ctx: context.Background(), wantRun: 6, wantPeak: 3},
		{name: "cancelled", jobs: 3, ctx: cancelled, wantRun: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Jobs: tc.jobs, Log: zerolog.Nop()}}
			var mu sync.Mutex
			running, peak, ran := 0, 0, 0
			r.forEachRecipe(tc.ctx, fanoutRecipes(6), func(rc *recipe.Recipe) {
				mu.Lock()
				running++
				ran++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
			})
			assert.Check(t, is.Equal(ran, tc.wantRun))
			assert.Check(t, is.Equal(peak, tc.wantPeak))
		})
	}
}

// A run cancelled while recipes wait for a slot starts none of them.
func TestForEachRecipeStopsStarting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Run{Config: &Config{Jobs: 1, Log: zerolog.Nop()}}
	var started atomic.Int32
	r.forEachRecipe(ctx, fanoutRecipes(5), func(rc *recipe.Recipe) {
		started.Add(1)
		cancel()
	})
	assert.Check(t, started.Load() <= 2, "started %d after the cancel", started.Load())
}

func TestGuard(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	r := &Run{Config: &Config{Log: zerolog.New(&log)}}
	rc := &recipe.Recipe{Name: "bad\x1bname"}

	assert.NilError(t, r.guard(rc, "build", func() {}))
	ran := false
	err := r.guard(rc, "demo", func() {
		defer func() { ran = true }() // the work's own cleanup runs
		panic("index out of range [3] with length 3")
	})
	assert.Check(t, ran)
	assert.ErrorContains(t, err, `recipe "bad\x1bname": demo: internal error in pkgdriver: index out of range [3] with length 3`)
	assert.Check(t, strings.Contains(log.String(), `"stage":"demo"`) && strings.Contains(log.String(), "goroutine"), log.String())
}
