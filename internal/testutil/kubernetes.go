package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/pkgdriver/pkgdriver/engine/kubernetes"
)

// DefaultKubeconfig is where scripts/ensure-kubernetes.sh writes the test cluster's kubeconfig.
const DefaultKubeconfig = "/var/lib/pkgdriver-kubernetes/admin.kubeconfig"

// KubeNamespace is the namespace the test cluster has for pkgdriver's pods.
const KubeNamespace = "pkgdriver"

// Kubernetes returns the kubeconfig of a real cluster that answers: $PKGDRIVER_TEST_KUBECONFIG,
// else the one scripts/ensure-kubernetes.sh writes. Without one the test is skipped, saying why,
// except under CI=true, where .ci/run starts the cluster and a missing one is a failure.
func Kubernetes(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a Kubernetes cluster (not with -short)")
	}
	path := os.Getenv("PKGDRIVER_TEST_KUBECONFIG")
	if path == "" {
		path = DefaultKubeconfig
	}
	fail := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format+" under CI=true (scripts/ensure-kubernetes.sh starts one)", args...)
		}
		t.Skipf(format+" (scripts/ensure-kubernetes.sh starts one)", args...)
	}
	if _, err := os.Stat(path); err != nil {
		fail("no Kubernetes cluster: %v", err)
	}
	e, err := kubernetes.New(kubernetes.Config{Kubeconfig: path, Namespace: KubeNamespace})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = e.Ping(ctx)
	}
	if err != nil {
		fail("the Kubernetes cluster of %s does not answer: %v", path, err)
	}
	return path
}

// KubeImport gives the test cluster's node the Docker engine's image id under a reference of the
// test's own (scripts/ensure-kubernetes.sh import: docker save, then ctr import), and returns the
// reference. The Docker tag is removed when the test ends; the cluster keeps the name until it is
// stopped.
func KubeImport(t testing.TB, api client.APIClient, id string) string {
	t.Helper()
	ctx := context.Background()
	ref := fmt.Sprintf("pkgdriver-test/kube-toolchain:%d-%d", time.Now().UnixNano(), os.Getpid())
	if err := api.ImageTag(ctx, id, ref); err != nil {
		t.Fatalf("tag %s as %s: %v", id, ref, err)
	}
	t.Cleanup(func() {
		_, _ = api.ImageRemove(ctx, ref, image.RemoveOptions{})
	})
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "ensure-kubernetes.sh"), "import", ref)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import %s into the cluster: %v\n%s", ref, err, out)
	}
	return ref
}
