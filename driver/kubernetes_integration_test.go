package driver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/engine/kubernetes"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// onCluster is the Kubernetes runner of `pkgdriver run --runner kubernetes`: pods on the test
// cluster, images on the Docker engine, the toolchain given to the pods as ref.
func onCluster(t *testing.T, images engine.Engine, ref string) *kubernetes.OnCluster {
	t.Helper()
	pods, err := kubernetes.New(kubernetes.Config{Kubeconfig: testutil.Kubernetes(t), Namespace: testutil.KubeNamespace, HostNetwork: true, StartTimeout: 2 * time.Minute})
	assert.NilError(t, err)
	return kubernetes.NewOnCluster(images, pods, ref)
}

// podsLeft lists the pods of a run still on the cluster.
func podsLeft(t *testing.T, eng engine.Containers, runID string) []engine.Container {
	t.Helper()
	left, err := eng.ListContainers(context.Background(), engine.Selector{Key: engine.LabelRun, Value: runID})
	assert.NilError(t, err)
	return left
}

// TestKubernetesSamePackages builds the stand-in catalogue on the Docker engine and then on the
// Kubernetes cluster, each recipe in its own pod, and demo-boots it there: the packages are
// byte-identical, a failing recipe fails with its exit status and log, a recipe over its time
// fails as timed out, the demo passes in a pod, and no pod is left. Then a build pod is deleted
// by someone else mid-build (that recipe fails saying so, the other builds), and a run is
// interrupted (Ctrl-C: its context cancelled) while two builds run: no pod is left either.
func TestKubernetesSamePackages(t *testing.T) {
	api := testutil.Engine(t)
	testutil.Kubernetes(t)
	ctx := context.Background()
	recipes := t.TempDir()
	demoRecipe(t, recipes, "greeter", standinProgram("Hello, $1!"), "Hello, unikernel!\n")
	testutil.Recipe(t, recipes, "plain", script(`echo data > "$PACKAGE_RESULT_DIR/data.txt"`, `mkdir -p "$PACKAGE_RESULT_DIR/lib"`, `printf '\177ELF' > "$PACKAGE_RESULT_DIR/lib/x.so"`, packageInit), nil)
	testutil.Recipe(t, recipes, "failing", script(`echo "about to fail"`, `exit 3`), nil)
	testutil.Recipe(t, recipes, "slow", script(`sleep 600`), nil)

	run := func(ctx context.Context, eng engine.Engine, result string) (*report.Report, string) {
		cfg, out := testConfig(t, recipes, result)
		cfg.SkipTests = false
		cfg.Accel = driver.AccelTCG
		cfg.Timeout = 40 * time.Second
		cfg.TestTimeout = 60 * time.Second
		cfg.TestMemory = 256 << 20
		rep, err := driver.Execute(ctx, cfg, eng)
		if ctx.Err() == nil {
			assert.NilError(t, err)
		}
		t.Log(out.String())
		if k, ok := eng.(*kubernetes.OnCluster); ok {
			assert.Check(t, is.Len(podsLeft(t, k, cfg.RunID), 0), "pods left")
		}
		return rep, result
	}

	dockerDir, kubeDir := t.TempDir(), t.TempDir()
	onDocker, _ := run(ctx, docker.Wrap(api), dockerDir)
	// The nodes get the toolchain the Docker run built (the Kubernetes run reuses it: same
	// inputs), under a name of this test's: other tests may move the image's own tags meanwhile.
	ref := testutil.KubeImport(t, api, onDocker.Toolchain.ID)
	k := onCluster(t, docker.Wrap(api), ref)
	onKube, _ := run(ctx, k, kubeDir)

	for _, name := range []string{"greeter", "plain"} {
		d, kr := resultOf(t, onDocker, name), resultOf(t, onKube, name)
		assert.Check(t, kr.Status == report.StatusBuilt, "%s on kubernetes: %s %s", name, kr.Status, kr.Error)
		if d.Package == nil || kr.Package == nil {
			t.Errorf("%s: no package (docker %+v, kubernetes %+v)", name, d.Package, kr.Package)
			continue
		}
		assert.Check(t, d.Package.SHA256 == kr.Package.SHA256, "%s: %s on docker, %s on kubernetes", name, d.Package.SHA256, kr.Package.SHA256)
		assert.Check(t, readFile(t, filepath.Join(dockerDir, d.Package.Path)) == readFile(t, filepath.Join(kubeDir, kr.Package.Path)),
			"%s: the .mpm files differ", name)
	}
	// The reports say which runner, and which node ran each build and demo boot.
	assert.Check(t, strings.HasPrefix(onDocker.Runner, "docker at "), onDocker.Runner)
	assert.Check(t, strings.HasPrefix(onKube.Runner, "kubernetes at https://"), onKube.Runner)
	assert.Check(t, is.Equal(resultOf(t, onDocker, "greeter").Node, ""))
	assert.Check(t, is.Equal(resultOf(t, onKube, "greeter").Node, "localhost"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(kubeDir, "junit.xml")), `<property name="node" value="localhost">`))

	greeter := resultOf(t, onKube, "greeter").Test
	assert.Check(t, greeter != nil && greeter.Status == report.TestPassed && greeter.Node == "localhost", "greeter's demo in a pod: %+v", greeter)
	assert.Check(t, is.Contains(readFile(t, filepath.Join(kubeDir, "log", "greeter.test.log")), "Hello, unikernel!"))

	failing := resultOf(t, onKube, "failing")
	assert.Check(t, failing.Status == report.StatusFailed, "%+v", failing)
	assert.Check(t, failing.ExitCode != nil && *failing.ExitCode == 3, "exit code %v", failing.ExitCode)
	assert.Check(t, is.Contains(readFile(t, filepath.Join(kubeDir, "log", "failing.log")), "about to fail"))

	slow := resultOf(t, onKube, "slow")
	assert.Check(t, slow.Status == report.StatusTimedOut, "%+v", slow)
	assert.Check(t, is.Contains(slow.Error, "40s"), "%s", slow.Error)

	t.Run("pod deleted", func(t *testing.T) {
		recipes := t.TempDir()
		testutil.Recipe(t, recipes, "victim", script(`echo started`, `sleep 600`), nil)
		testutil.Recipe(t, recipes, "other", script(`sleep 5`, packageInit), nil)
		cfg, _ := testConfig(t, recipes, t.TempDir())
		cfg.Accel = driver.AccelTCG
		go func() {
			// Someone deletes the victim's build pod once build.sh runs in it.
			sel := engine.Selector{Key: engine.LabelRecipe, Value: "victim"}
			for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if log, _ := os.ReadFile(filepath.Join(cfg.ResultDir, "log", "victim.log")); !strings.Contains(string(log), "started") {
					continue
				}
				list, _ := k.ListContainers(ctx, sel)
				for _, c := range list {
					if c.Labels[engine.LabelRun] == cfg.RunID && c.Labels[engine.LabelRole] == "build" {
						_ = k.Pods.Remove(ctx, c.ID)
						return
					}
				}
			}
		}()
		rep, err := driver.Execute(ctx, cfg, k)
		assert.NilError(t, err)
		victim := resultOf(t, rep, "victim")
		assert.Check(t, victim.Status == report.StatusFailed && strings.Contains(victim.Error, "the pod was deleted while its command ran"), "%+v", victim)
		assert.Check(t, resultOf(t, rep, "other").Status == report.StatusBuilt, "%+v", resultOf(t, rep, "other"))
		assert.Check(t, is.Len(podsLeft(t, k, cfg.RunID), 0), "pods left")
	})

	t.Run("interrupted", func(t *testing.T) {
		recipes := t.TempDir()
		for _, name := range []string{"a", "b"} {
			testutil.Recipe(t, recipes, name, script(`echo started`, `sleep 600`), nil)
		}
		result := t.TempDir()
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() {
			// Both builds run once their logs say so.
			for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				a, _ := os.ReadFile(filepath.Join(result, "log", "a.log"))
				b, _ := os.ReadFile(filepath.Join(result, "log", "b.log"))
				if strings.Contains(string(a), "started") && strings.Contains(string(b), "started") {
					break
				}
			}
			cancel(errors.New("interrupted (test)"))
		}()
		cfg, _ := testConfig(t, recipes, result)
		cfg.Accel = driver.AccelTCG
		rep, err := driver.Execute(ctx, cfg, k)
		assert.Check(t, err != nil || (rep != nil && rep.Failed()), "an interrupted run succeeded")
		assert.Check(t, is.Len(podsLeft(t, k, cfg.RunID), 0), "pods left after Ctrl-C")
		if rep != nil {
			for _, r := range rep.Recipes {
				assert.Check(t, r.Status != report.StatusBuilt, "%s: %s", r.Name, r.Status)
			}
		}
	})
}

// TestKubernetesReap: reap --runner kubernetes deletes the pods of a run whose process is gone
// and keeps those of a live one (the owner label, host:pid, is kept exactly in an annotation).
func TestKubernetesReap(t *testing.T) {
	pods, err := kubernetes.New(kubernetes.Config{Kubeconfig: testutil.Kubernetes(t), Namespace: testutil.KubeNamespace, HostNetwork: true})
	assert.NilError(t, err)
	ctx := context.Background()
	host, _ := os.Hostname()
	run := fmt.Sprintf("reap-test-%d", time.Now().UnixNano())
	newPod := func(owner string) string {
		id, err := pods.Create(ctx, engine.ContainerSpec{Image: testutil.BaseImage, Labels: map[string]string{
			engine.LabelRun: run, engine.LabelRole: "build", driver.LabelOwner: owner}})
		assert.NilError(t, err)
		return id
	}
	dead := newPod(fmt.Sprintf("%s:%d", host, 1<<22+7)) // above pid_max's default: never alive
	alive := newPod(fmt.Sprintf("%s:%d", host, os.Getpid()))
	defer pods.Remove(ctx, alive)
	n, err := driver.Reap(ctx, pods, resultdir.Layout{Root: t.TempDir()}, driver.ReapOptions{})
	assert.NilError(t, err)
	assert.Check(t, n >= 1, "removed %d", n)
	var left []string
	for _, c := range podsLeft(t, pods, run) {
		left = append(left, c.ID)
	}
	assert.Check(t, is.DeepEqual(left, []string{alive}), "dead owner's pod %s", dead)
}
