package testutil

import (
	"context"
	"os"
	"testing"
	"time"

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
