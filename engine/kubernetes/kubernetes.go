// Package kubernetes runs pkgdriver's containers as pods on a Kubernetes cluster, through
// client-go: the second implementation of engine.Containers after the Docker engine.
//
// A container is a pod with one container whose entrypoint only keeps it alive, so that files
// can be copied in before the real command runs: Create makes the pod and waits until it runs,
// CopyIn and CopyOut are tar streams over exec (as kubectl cp does), Run executes the spec's
// command over exec with its output streamed and its exit status taken from the process, and
// Remove deletes the pod. A context that ends during Run deletes the pod too, so a cancelled or
// timed-out build leaves nothing running. Every pod carries the spec's labels (exact values in
// annotations as well, since label values are restricted), so reap finds what a run left.
//
// Images are not built here: the toolchain image is built on a Docker engine and given to the
// cluster by reference. Volumes and Images answer engine.ErrNotSupported.
package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/pkgdriver/pkgdriver/engine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// Config says which cluster and how pods are made.
type Config struct {
	// Kubeconfig is a kubeconfig file; empty: $KUBECONFIG, then the in-cluster configuration,
	// then ~/.kube/config.
	Kubeconfig string
	// Namespace the pods go in; empty: the kubeconfig context's namespace, else "default".
	Namespace string
	// KVM says how a pod that asks for /dev/kvm gets it; the zero value gives no pod KVM.
	KVM KVM
	// HostNetwork runs the pods in the node's network namespace (the default of NewConfig).
	HostNetwork bool
	// StartTimeout bounds how long a pod may take to be scheduled and started; zero: 5 minutes.
	StartTimeout time.Duration
}

// KVM is how demo pods get the host's /dev/kvm.
type KVM struct {
	// Resource is an extended resource a device plugin advertises for KVM, such as
	// devices.kubevirt.io/kvm: the pod asks for one and the plugin adds the device.
	Resource string
	// HostPath mounts the node's /dev/kvm into the pod. Without a device plugin the container
	// runtime only lets a container open a host device when the container is privileged, so the
	// pod runs privileged: use it only on nodes dedicated to such builds.
	HostPath bool
}

// Enabled reports whether pods can be given KVM at all.
func (k KVM) Enabled() bool { return k.Resource != "" || k.HostPath }

// Engine runs containers as pods. It implements engine.Engine; its Volumes and Images methods
// answer engine.ErrNotSupported.
type Engine struct {
	client kubernetes.Interface
	rest   *rest.Config
	ns     string
	cfg    Config
	// host is the API server's address, for messages.
	host string

	mu   sync.Mutex
	pods map[string]*pod
}

// pod is what the engine remembers of a pod it made: the command Run executes, the node, and
// the image the runtime started (its ID or digest, as the node reports it).
type pod struct {
	cmd     []string
	node    string
	imageID string
}

var _ engine.Engine = (*Engine)(nil)

var quietClient sync.Once

// New connects to the cluster cfg names. It does not contact the API server: Ping does.
func New(cfg Config) (*Engine, error) {
	quietClient.Do(func() {
		// client-go reports what it cannot return (a websocket ping after a stream ended) through
		// klog on stderr, which is pkgdriver's terminal; errors that matter come back as errors.
		klog.SetLogger(logr.Discard())
	})
	rc, ns, err := loadConfig(cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w: %w", engine.ErrUnavailable, err)
	}
	if cfg.Namespace != "" {
		ns = cfg.Namespace
	}
	rc.UserAgent = "pkgdriver"
	// The pipeline runs many pods at once; client-go's default of 5 requests a second would
	// pace them.
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w: %w", engine.ErrUnavailable, err)
	}
	return newEngine(client, rc, ns, cfg), nil
}

func newEngine(client kubernetes.Interface, rc *rest.Config, ns string, cfg Config) *Engine {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 5 * time.Minute
	}
	host := ""
	if rc != nil {
		host = rc.Host
	}
	return &Engine{client: client, rest: rc, ns: ns, cfg: cfg, host: host, pods: map[string]*pod{}}
}

// Namespace is the namespace the pods go in.
func (e *Engine) Namespace() string { return e.ns }

// Node is the node that runs the pod id ("" when it is not known).
func (e *Engine) Node(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.pods[id]; p != nil {
		return p.node
	}
	return ""
}

// ImageID is the image pod id's container runs, as its node reports it: "sha256:<config>" for an
// image imported into the node's runtime, "<repository>@sha256:<manifest>" for one pulled.
func (e *Engine) ImageID(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.pods[id]; p != nil {
		return p.imageID
	}
	return ""
}

// Ping checks that the API server answers and that the namespace is there.
func (e *Engine) Ping(ctx context.Context) error {
	if _, err := e.serverVersion(ctx); err != nil {
		return fmt.Errorf("kubernetes API server %s: %w: %w", e.host, engine.ErrUnavailable, err)
	}
	if _, err := e.client.CoreV1().Namespaces().Get(ctx, e.ns, getOpts); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("kubernetes namespace %q does not exist: %w", e.ns, engine.ErrUnavailable)
		}
		// A Role limited to its namespace may not read namespaces: listing pods is what counts.
		if _, lerr := e.client.CoreV1().Pods(e.ns).List(ctx, listOne); lerr != nil {
			return fmt.Errorf("kubernetes namespace %q: %w: %w", e.ns, engine.ErrUnavailable, lerr)
		}
	}
	return nil
}

// Info describes the cluster: its nodes' CPUs and memory added up where they may be read.
func (e *Engine) Info(ctx context.Context) (engine.Info, error) {
	info := engine.Info{Name: fmt.Sprintf("kubernetes at %s (namespace %s)", e.host, e.ns), OS: "linux", Arch: "amd64"}
	v, err := e.serverVersion(ctx)
	if err != nil {
		return info, fmt.Errorf("kubernetes API server %s: %w: %w", e.host, engine.ErrUnavailable, err)
	}
	info.Version = v.GitVersion
	nodes, err := e.client.CoreV1().Nodes().List(ctx, listAll)
	if err != nil {
		// A Role limited to the namespace cannot read nodes: a modest guess, --jobs overrides.
		info.CPUs = fallbackCPUs
		return info, nil
	}
	for _, n := range nodes.Items {
		info.CPUs += int(n.Status.Allocatable.Cpu().Value())
		info.Memory += n.Status.Allocatable.Memory().Value()
		if n.Status.NodeInfo.Architecture != "" {
			info.Arch = n.Status.NodeInfo.Architecture
		}
	}
	return info, nil
}

// serverVersion asks the API server its version, bounded by ctx (discovery's own call is not).
func (e *Engine) serverVersion(ctx context.Context) (*version.Info, error) {
	body, err := e.client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("the API server's /version: %w", err)
	}
	return &v, nil
}

// fallbackCPUs is what Info says when the nodes cannot be read.
const fallbackCPUs = 4

// Close releases nothing: client-go keeps no connection that needs closing.
func (e *Engine) Close() error { return nil }

// CreateVolume is not supported: pods share no Docker volumes.
func (e *Engine) CreateVolume(context.Context, string, map[string]string) error {
	return errNoVolumes
}

// RemoveVolume is not supported.
func (e *Engine) RemoveVolume(context.Context, string) error { return errNoVolumes }

// CreateImageDirVolume is not supported.
func (e *Engine) CreateImageDirVolume(context.Context, string, string, string, map[string]string) error {
	return errNoVolumes
}

// ListVolumes lists nothing: this backend makes no volumes.
func (e *Engine) ListVolumes(context.Context, engine.Selector) ([]engine.Volume, error) {
	return nil, nil
}

var (
	errNoVolumes = fmt.Errorf("kubernetes: shared volumes (SHARE_OSV_DIR) need the Docker engine: %w", engine.ErrNotSupported)
	errNoImages  = fmt.Errorf("kubernetes: images are built and published on a Docker engine and given to the cluster by reference (--toolchain-image): %w", engine.ErrNotSupported)
)

// BuildImage is not supported.
func (e *Engine) BuildImage(context.Context, engine.BuildSpec) (string, error) {
	return "", errNoImages
}

// InspectImage is not supported.
func (e *Engine) InspectImage(context.Context, string) (engine.Image, error) {
	return engine.Image{}, errNoImages
}

// ListImages is not supported.
func (e *Engine) ListImages(context.Context, engine.ImageFilter) ([]engine.Image, error) {
	return nil, errNoImages
}

// TagImage is not supported.
func (e *Engine) TagImage(context.Context, string, string) error { return errNoImages }

// RemoveImage is not supported.
func (e *Engine) RemoveImage(context.Context, string) error { return errNoImages }

// LabelImage is not supported.
func (e *Engine) LabelImage(context.Context, string, map[string]string, string) (string, error) {
	return "", errNoImages
}

// PushImage is not supported.
func (e *Engine) PushImage(context.Context, string, engine.RegistryAuth, io.Writer) (engine.Pushed, error) {
	return engine.Pushed{}, errNoImages
}

// wrap gives an API error the engine error it stands for.
func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: %w", engine.ErrNotFound, err)
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
		return fmt.Errorf("%w: %w", engine.ErrConflict, err)
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err):
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
	}
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
	}
	return err
}
