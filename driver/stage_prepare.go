package driver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// prepareStage makes the result directory ready: its layout, stale staging of dead runs, and
// KEEP_RECIPES=no.
type prepareStage struct{}

func (prepareStage) String() string { return "prepare result directory" }

func (prepareStage) Run(ctx context.Context, r *Run) error {
	l := r.Layout
	if err := l.Create(); err != nil {
		return err
	}
	removeDeadStaging(l)
	removeDeadTemp(os.TempDir())
	if err := os.MkdirAll(l.Staging(r.Config.RunID), 0o755); err != nil {
		return err
	}
	if !r.Config.KeepRecipes {
		return dropOthers(r)
	}
	return nil
}

// dropOthers implements KEEP_RECIPES=no: results of recipes that are not part of this run are
// removed, after asking on a terminal unless --silent. A selected recipe's old package stays until
// its rebuild replaces it, so a failed rebuild never leaves less than before.
func dropOthers(r *Run) error {
	selected := map[string]bool{}
	for _, rc := range r.Selected {
		selected[rc.Name] = true
	}
	entries, err := os.ReadDir(r.Layout.Packages())
	if err != nil {
		return err
	}
	var drop []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".mpm")
		if ok && !selected[name] {
			drop = append(drop, name)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if r.Config.Interactive && !r.Config.Silent {
		fmt.Fprintf(r.Config.Out, "KEEP_RECIPES=no: the results of %d recipes not built in this run will be deleted from %s (%s).\nContinue? [y/n] ",
			len(drop), r.Layout.Root, strings.Join(drop, ", "))
		answer, _ := bufio.NewReader(r.Config.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return fmt.Errorf("%w: not confirmed; nothing was deleted", errInterrupted)
		}
	}
	var errs []error
	for _, name := range drop {
		errs = append(errs, r.Layout.Remove(name))
	}
	r.Config.Log.Info().Strs("recipes", drop).Msg("KEEP_RECIPES=no: removed results of recipes not in this run")
	return errors.Join(errs...)
}

// removeDeadStaging deletes staging directories of runs whose process is gone; run ids end in
// the owner's PID.
func removeDeadStaging(l resultdir.Layout) {
	dir := l.Stagings()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		i := strings.LastIndexByte(e.Name(), '-')
		pid, err := strconv.Atoi(e.Name()[i+1:])
		if err == nil && pid > 0 && processAlive(pid) && pid != os.Getpid() {
			continue
		}
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// removeDeadTemp deletes the build-context files (pkgdriver-context-<pid>-*) that killed
// processes left in dir.
func removeDeadTemp(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), contextTempPrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && pid > 0 && processAlive(pid) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}
