package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/docker/docker/api/types/image"
)

// The test cluster of scripts/ensure-kubernetes.sh (as internal/testutil has them).
const (
	kubeconfigDefault = "/var/lib/pkgdriver-kubernetes/admin.kubeconfig"
	kubeNamespace     = "pkgdriver"
)

// measureKubernetes is issue 16's scale metric: the parallel case (N recipes that sleep, --jobs N)
// on the test cluster of scripts/ensure-kubernetes.sh against the Docker engine, and the cost of
// a pod against a container per recipe (N no-op recipes one at a time, the difference in wall
// time divided by N). The toolchain image is imported into the cluster under a name of the
// bench's. Without a cluster the metric is skipped with the reason.
func measureKubernetes(ctx context.Context, e *env) ([]Row, error) {
	kubeconfig := os.Getenv("PKGDRIVER_TEST_KUBECONFIG")
	if kubeconfig == "" {
		kubeconfig = kubeconfigDefault
	}
	if _, err := os.Stat(kubeconfig); err != nil {
		e.warn("kubernetes: no cluster (%v); make kubernetes starts one", err)
		return nil, nil
	}
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	ref := fmt.Sprintf("pkgdriver-bench/kube-toolchain:%d", os.Getpid())
	if err := e.api.ImageTag(ctx, img.ID, ref); err != nil {
		return nil, err
	}
	defer e.api.ImageRemove(context.WithoutCancel(ctx), ref, image.RemoveOptions{})
	imp := exec.CommandContext(ctx, filepath.Join(e.repo, "scripts", "ensure-kubernetes.sh"), "import", ref)
	if out, err := imp.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("import the toolchain into the cluster: %w\n%s", err, out)
	}
	kube := []string{"--runner", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", kubeNamespace, "--toolchain-image", ref}

	dir, err := e.dir("kubernetes")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	n, sleep := e.scale.Recipes, e.scale.SleepSeconds
	sleepers, noops := filepath.Join(dir, "sleep"), filepath.Join(dir, "noop")
	if err := writeRecipes(sleepers, recipeNames("sleep", n), fmt.Sprintf("sleep %g", sleep)); err != nil {
		return nil, err
	}
	if err := writeRecipes(noops, recipeNames("noop", n), "true"); err != nil {
		return nil, err
	}
	// timed runs the recipes of dir on Docker and on Kubernetes, Reps times, and returns the
	// median wall times.
	timed := func(name, recipes string, jobs int) (docker, kubernetes float64, err error) {
		var d, k []float64
		for i := 0; i < e.scale.Reps; i++ {
			for _, extra := range [][]string{nil, kube} {
				run := pkgRun{Name: name, Recipes: recipes, Result: filepath.Join(dir, name+"-result"), Image: img, NoCache: true, Jobs: jobs, Extra: extra}
				e.step("kubernetes %s %d/%d: %d recipes, --jobs %d, %s", name, i+1, e.scale.Reps, n, jobs, map[bool]string{true: "docker", false: "kubernetes"}[extra == nil])
				out, err := e.runPkgdriver(ctx, run)
				if err != nil {
					return 0, 0, err
				}
				if extra == nil {
					d = append(d, secs(out.Wall))
				} else {
					k = append(k, secs(out.Wall))
				}
			}
		}
		return median(d), median(k), nil
	}
	pd, pk, err := timed("parallel", sleepers, n)
	if err != nil {
		return nil, err
	}
	od, ok, err := timed("overhead", noops, 1)
	if err != nil {
		return nil, err
	}
	perPod := (ok - od) / float64(n)
	return []Row{{
		ID:     "kubernetes-parallel",
		Metric: fmt.Sprintf("kubernetes: %d × sleep %g, --jobs %d, pods vs containers", n, sleep, n),
		Unit:   "s", Pkgdriver: pk, Baseline: pd, Ratio: ratio(pk, pd),
		RatioMeans: "Kubernetes runner time / Docker runner time (same recipes, same --jobs)",
		Note:       "Whole-run wall times, --no-cache, on the single-node test cluster of scripts/ensure-kubernetes.sh on the same machine as the engine.",
		Details:    map[string]any{"kubernetes_s": pk, "docker_s": pd},
	}, {
		ID:     "kubernetes-pod-overhead",
		Metric: fmt.Sprintf("kubernetes: a pod's overhead per recipe (%d no-op recipes, --jobs 1)", n),
		Unit:   "s", Pkgdriver: ok / float64(n), Baseline: od / float64(n), Ratio: ratio(ok, od),
		RatioMeans: "per-recipe time in a pod / per-recipe time in a container",
		Note:       fmt.Sprintf("Per recipe, a pod takes %+.2f s against a container here (scheduling, the kubelet starting it, files in and out over exec, against the engine's create, archive API and removal).", perPod),
		Details:    map[string]any{"kubernetes_run_s": ok, "docker_run_s": od, "extra_per_pod_s": perPod},
	}}, nil
}
