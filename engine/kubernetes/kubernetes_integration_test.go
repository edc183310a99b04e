package kubernetes_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/engine/kubernetes"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// newEngine is an engine on the test cluster, and the run id its pods are labelled with; every
// pod of that run is gone when the test ends (checked).
func newEngine(t *testing.T) (*kubernetes.Engine, string) {
	t.Helper()
	kc := testutil.Kubernetes(t)
	e, err := kubernetes.New(kubernetes.Config{Kubeconfig: kc, Namespace: testutil.KubeNamespace, HostNetwork: true, StartTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	run := "ktest-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() {
		ctx := context.Background()
		left, err := e.ListContainers(ctx, engine.Selector{Key: engine.LabelRun, Value: run})
		if err != nil {
			t.Error(err)
		}
		for _, c := range left {
			t.Errorf("pod %s of run %s is left", c.ID, run)
			_ = e.Remove(ctx, c.ID)
		}
	})
	return e, run
}

func spec(run string, cmd ...string) engine.ContainerSpec {
	return engine.ContainerSpec{
		Image: testutil.BaseImage, Cmd: cmd, WorkingDir: "/work", Env: []string{"GREETING=hello pod"},
		Labels: map[string]string{engine.LabelRun: run, engine.LabelRecipe: "demo+recipe", engine.LabelRole: "build"},
		CPUs:   1, Memory: 256 << 20,
	}
}

// TestPodLifecycle: files in, the command run with its output, environment and exit status,
// files out as a tar with the base name on top, a missing path, removal, and listing by label.
func TestPodLifecycle(t *testing.T) {
	e, run := newEngine(t)
	ctx := context.Background()
	id, err := e.Create(ctx, spec(run, "/bin/sh", "-c", `cat in/msg; echo "$GREETING from $(pwd)" >&2; mkdir -p out; cp in/msg out/copy; exit 7`))
	if err != nil {
		t.Fatal(err)
	}
	if node := e.Node(id); node == "" {
		t.Error("the pod's node is not recorded")
	} else {
		t.Logf("pod %s runs on node %s", id, node)
	}
	if list, err := e.ListContainers(ctx, engine.Selector{Key: engine.LabelRecipe, Value: "demo+recipe"}); err != nil || len(list) == 0 {
		t.Errorf("ListContainers by recipe = %v, %v", list, err)
	}
	if err := e.CopyIn(ctx, id, "/work/in", testutil.TarOf(t, map[string]string{"msg": "hello file\n"})); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	exit, err := e.Run(ctx, id, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Code != 7 || stdout.String() != "hello file\n" || stderr.String() != "hello pod from /work\n" {
		t.Errorf("exit %+v, stdout %q, stderr %q", exit, stdout.String(), stderr.String())
	}
	rc, err := e.CopyOut(ctx, id, "/work")
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "work/in/msg" && (h.Uid != testutil.TarUID || h.Gid != testutil.TarGID || h.Mode&0o777 != testutil.TarMode) {
			t.Errorf("work/in/msg: uid %d gid %d mode %o: the copy in kept no ownership or mode", h.Uid, h.Gid, h.Mode)
		}
	}
	rc.Close()
	if strings.Join(names, " ") != "work/ work/in/ work/in/msg work/out/ work/out/copy" {
		t.Errorf("tar entries = %q", names)
	}
	if _, err := e.CopyOut(ctx, id, "/work/nothing-here"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("CopyOut of a missing path: %v, want ErrNotFound", err)
	}
	if err := e.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, id); err != nil {
		t.Errorf("a second Remove: %v", err)
	}
}

// TestPodCancelDeletes: a context that ends during Run deletes the pod and returns the cause.
func TestPodCancelDeletes(t *testing.T) {
	e, run := newEngine(t)
	id, err := e.Create(context.Background(), spec(run, "sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("recipe timed out")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 3*time.Second, cause)
	defer cancel()
	start := time.Now()
	_, err = e.Run(ctx, id, io.Discard, io.Discard)
	if !errors.Is(err, cause) {
		t.Errorf("Run = %v, want the cause %v", err, cause)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Run took %s after a 3 s timeout", d)
	}
	if list, _ := e.ListContainers(context.Background(), engine.Selector{Key: engine.LabelRun, Value: run}); len(list) != 0 {
		t.Errorf("pods left after the timeout: %v", list)
	}
}

// TestPodDeletedMidRun: someone deletes the pod while its command runs; Run says so.
func TestPodDeletedMidRun(t *testing.T) {
	e, run := newEngine(t)
	ctx := context.Background()
	id, err := e.Create(ctx, spec(run, "sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(2 * time.Second)
		_ = e.Remove(ctx, id)
	}()
	_, err = e.Run(ctx, id, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("Run = %v, want an error saying the pod was deleted", err)
	}
	t.Log(err)
}

// TestPodImageMissing: an image the node does not have (and cannot pull) fails Create at once
// with the kubelet's reason, and leaves no pod.
func TestPodImageMissing(t *testing.T) {
	e, run := newEngine(t)
	s := spec(run, "true")
	s.Image = "pkgdriver.invalid/no-such-image:1"
	start := time.Now()
	_, err := e.Create(context.Background(), s)
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Create = %v, want ErrNotFound", err)
	}
	t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

// TestUnreachableAPIServer: a kubeconfig whose server does not answer, or no kubeconfig at all,
// is ErrUnavailable (exit status 2 in the CLI). Needs no cluster: port 9 on loopback refuses.
func TestUnreachableAPIServer(t *testing.T) {
	if _, err := kubernetes.New(kubernetes.Config{Kubeconfig: t.TempDir() + "/missing"}); !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("New with a missing kubeconfig = %v, want ErrUnavailable", err)
	}
	kc := t.TempDir() + "/kubeconfig"
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := kubernetes.New(kubernetes.Config{Kubeconfig: kc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Ping(ctx); !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
}

// TestPodCopyOutLarge: a large tree comes out whole (every file, every byte), as the SBOM stage
// reads /usr/share/doc of the toolchain image.
func TestPodCopyOutLarge(t *testing.T) {
	e, run := newEngine(t)
	ctx := context.Background()
	id, err := e.Create(ctx, spec(run, "/bin/sh", "-c", `mkdir -p /big && cd /big && for i in $(seq 1 400); do head -c $((i * 997)) /dev/urandom > f$i; done`))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Remove(ctx, id)
	if exit, err := e.Run(ctx, id, io.Discard, io.Discard); err != nil || exit.Code != 0 {
		t.Fatalf("make the tree: %+v %v", exit, err)
	}
	var want int64
	for i := int64(1); i <= 400; i++ {
		want += i * 997
	}
	for round := 0; round < 3; round++ {
		for _, p := range []string{"/big", "/usr/share/doc"} {
			rc, err := e.CopyOut(ctx, id, p)
			if err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(rc)
			var files int
			var size int64
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("round %d, %s: after %d files: %v", round, p, files, err)
				}
				n, err := io.Copy(io.Discard, tr)
				if err != nil {
					t.Fatalf("round %d, %s: %s: %v", round, p, h.Name, err)
				}
				files++
				size += n
			}
			rc.Close()
			if p == "/big" && size != want {
				t.Errorf("round %d: %d bytes came out, want %d", round, size, want)
			}
			t.Logf("round %d: %s: %d entries, %d bytes", round, p, files, size)
		}
	}
}

// TestPodOutOfMemory: a command over the pod's memory limit is killed by the kernel and reported
// as out of memory (the keep-alive survives, so the memory cgroup's counter says it).
func TestPodOutOfMemory(t *testing.T) {
	e, run := newEngine(t)
	ctx := context.Background()
	s := spec(run, "/bin/sh", "-c", `x=$(head -c 400000000 /dev/zero | tr '\0' a); echo survived`)
	s.Memory = 64 << 20
	id, err := e.Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Remove(ctx, id)
	var out bytes.Buffer
	exit, err := e.Run(ctx, id, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.OOMKilled || exit.Code == 0 {
		t.Errorf("exit %+v, output %q: want out of memory", exit, out.String())
	}
}

// TestOnClusterOtherImage: when the node has another image under the toolchain's name than the
// Docker engine built, the pod is refused with a hint, rather than building with the wrong tools.
func TestOnClusterOtherImage(t *testing.T) {
	api := testutil.Engine(t)
	e, run := newEngine(t)
	ctx := context.Background()
	// The node gets the base image under ref; then, on the engine only, ref moves to a new image.
	ref := testutil.KubeImport(t, api, testutil.BaseImage)
	c, err := api.ContainerCreate(ctx, &container.Config{Image: testutil.BaseImage, Cmd: []string{"true"},
		Labels: map[string]string{engine.LabelRun: run}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	committed, err := api.ContainerCommit(ctx, c.ID, container.CommitOptions{Reference: ref, Config: &container.Config{Labels: map[string]string{"pkgdriver.test": run}}})
	if err != nil {
		t.Fatal(err)
	}
	defer api.ImageRemove(ctx, committed.ID, image.RemoveOptions{Force: true})
	o := kubernetes.NewOnCluster(docker.Wrap(api), e, "")
	s := spec(run, "true")
	s.Image = committed.ID
	_, err = o.Create(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "has another image under "+ref) || !strings.Contains(err.Error(), "import the toolchain image again") {
		t.Errorf("Create = %v, want a refusal naming %s", err, ref)
	}
}
