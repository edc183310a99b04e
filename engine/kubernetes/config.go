package kubernetes

import (
	"errors"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	getOpts = metav1.GetOptions{}
	listAll = metav1.ListOptions{}
	listOne = metav1.ListOptions{Limit: 1}
)

// loadConfig finds the cluster: the kubeconfig file given, else $KUBECONFIG, else the in-cluster
// configuration (pkgdriver itself in a pod), else ~/.kube/config. It returns the namespace the
// chosen context names ("default" when none does).
func loadConfig(kubeconfig string) (*rest.Config, string, error) {
	if kubeconfig == "" && os.Getenv("KUBECONFIG") == "" {
		if rc, err := rest.InClusterConfig(); err == nil {
			ns := "default"
			if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil && len(b) > 0 {
				ns = string(b)
			}
			return rc, ns, nil
		} else if !errors.Is(err, rest.ErrNotInCluster) {
			return nil, "", fmt.Errorf("in-cluster configuration: %w", err)
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	rc, err := cc.ClientConfig()
	if err != nil {
		where := "$KUBECONFIG or ~/.kube/config"
		if kubeconfig != "" {
			where = kubeconfig
		}
		return nil, "", fmt.Errorf("no cluster configuration in %s (give --kubeconfig): %w", where, err)
	}
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	return rc, ns, nil
}
