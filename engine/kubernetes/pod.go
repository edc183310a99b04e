package kubernetes

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	// containerName is the one container of every pod.
	containerName = "main"
	// annotationPrefix marks the annotations that keep each label's exact value (label values are
	// limited to 63 characters of a small alphabet; recipe names are not).
	annotationPrefix = "pkgdriver.dev/label."
	// annotationPids records the spec's PidsLimit, which a pod cannot express (the kubelet's
	// podPidsLimit bounds every pod of a node).
	annotationPids = "pkgdriver.dev/pids-limit"
	// kvmDevice is the device path a spec asks for to get KVM.
	kvmDevice = "/dev/kvm"
)

// keepAlive is the pod's entrypoint: it waits, doing nothing, until the pod is deleted, so that
// files go in before the command runs and come out after it ended. It needs a POSIX shell and
// sleep in the image (the toolchain image has them).
var keepAlive = []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"}

// podSpec maps a container spec onto a pod. The pod is not yet named (see podName).
func (e *Engine) podSpec(spec engine.ContainerSpec) (*corev1.Pod, error) {
	if len(spec.Volumes) > 0 {
		return nil, errNoVolumes
	}
	if spec.Image == "" {
		return nil, fmt.Errorf("kubernetes: a pod needs an image")
	}
	c := corev1.Container{
		Name:            containerName,
		Image:           spec.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         keepAlive,
		WorkingDir:      spec.WorkingDir,
		Resources:       resources(spec),
	}
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: v})
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}, Annotations: map[string]string{}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			HostNetwork:                   e.cfg.HostNetwork,
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(1)),
		},
	}
	if e.cfg.HostNetwork {
		p.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	for k, v := range spec.Labels {
		p.Annotations[annotationPrefix+k] = v
		p.Labels[k] = labelValue(v)
	}
	if spec.PidsLimit > 0 {
		p.Annotations[annotationPids] = strconv.FormatInt(spec.PidsLimit, 10)
	}
	privileged := spec.Privileged
	for _, dev := range spec.Devices {
		if dev != kvmDevice {
			return nil, fmt.Errorf("kubernetes: device %s: only %s can be given to a pod: %w", dev, kvmDevice, engine.ErrNotSupported)
		}
		switch {
		case e.cfg.KVM.Resource != "":
			name := corev1.ResourceName(e.cfg.KVM.Resource)
			if c.Resources.Limits == nil {
				c.Resources.Limits = corev1.ResourceList{}
			}
			c.Resources.Limits[name] = resource.MustParse("1")
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[name] = resource.MustParse("1")
		case e.cfg.KVM.HostPath:
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "kvm", VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: kvmDevice, Type: ptr(corev1.HostPathCharDev)},
			}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "kvm", MountPath: kvmDevice})
			privileged = true
		default:
			return nil, fmt.Errorf("kubernetes: no way to give a pod %s is configured (--kube-kvm): %w", kvmDevice, engine.ErrNotSupported)
		}
	}
	if privileged {
		c.SecurityContext = &corev1.SecurityContext{Privileged: ptr(true)}
	}
	p.Spec.Containers = []corev1.Container{c}
	return p, nil
}

// resources maps the spec's bounds onto the container's limits. Requests are what the scheduler
// reserves: the memory asked for (a build that needs it must not land where it is not), and a
// tenth of the CPUs, since builds wait on I/O much of the time and Docker reserves nothing.
func resources(spec engine.ContainerSpec) corev1.ResourceRequirements {
	var r corev1.ResourceRequirements
	if spec.CPUs > 0 || spec.Memory > 0 {
		r.Limits, r.Requests = corev1.ResourceList{}, corev1.ResourceList{}
	}
	if spec.CPUs > 0 {
		milli := int64(spec.CPUs * 1000)
		r.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(milli, resource.DecimalSI)
		r.Requests[corev1.ResourceCPU] = *resource.NewMilliQuantity(max(milli/10, 10), resource.DecimalSI)
	}
	if spec.Memory > 0 {
		q := *resource.NewQuantity(spec.Memory, resource.BinarySI)
		r.Limits[corev1.ResourceMemory] = q
		r.Requests[corev1.ResourceMemory] = q
	}
	return r
}

var invalidLabel = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// labelValue is v when it is a valid label value, else a readable valid form of it with a hash
// that keeps different values apart. The annotation keeps v itself.
func labelValue(v string) string {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	s := strings.Trim(invalidLabel.ReplaceAllString(v, "-"), "-_.")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "-_.")
	}
	if s == "" {
		return "h" + hex.EncodeToString(sum[:6])
	}
	return s + "-" + hex.EncodeToString(sum[:6])
}

// podName is "pkgdriver-<role>-<recipe>-<random>", cut to a DNS label.
func podName(spec engine.ContainerSpec) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	base := "pkgdriver"
	for _, k := range []string{engine.LabelRole, engine.LabelRecipe} {
		if v := spec.Labels[k]; v != "" {
			base += "-" + v
		}
	}
	base = strings.Trim(invalidName.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if len(base) > 63-len(suffix)-1 {
		base = strings.TrimRight(base[:63-len(suffix)-1], "-")
	}
	return base + "-" + suffix
}

var invalidName = regexp.MustCompile(`[^a-z0-9-]+`)

// selector is sel as a label selector. A value that is not a valid label value is matched by its
// label form; ListContainers then compares the exact value kept in the annotation.
func selector(sel engine.Selector) (string, error) {
	if sel.Key == "" {
		return "", nil
	}
	if errs := validation.IsQualifiedName(sel.Key); len(errs) > 0 {
		return "", fmt.Errorf("kubernetes: label key %q: %s", sel.Key, strings.Join(errs, "; "))
	}
	if sel.Value == "" {
		return sel.Key, nil
	}
	return labels.SelectorFromSet(labels.Set{sel.Key: labelValue(sel.Value)}).String(), nil
}

// specLabels are a pod's labels as the spec gave them (from the annotations).
func specLabels(p *corev1.Pod) map[string]string {
	out := map[string]string{}
	for k, v := range p.Annotations {
		if name, ok := strings.CutPrefix(k, annotationPrefix); ok {
			out[name] = v
		}
	}
	return out
}

// ListContainers lists the engine's pods, running or not, that match sel.
func (e *Engine) ListContainers(ctx context.Context, sel engine.Selector) ([]engine.Container, error) {
	ls, err := selector(sel)
	if err != nil {
		return nil, err
	}
	list, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: ls})
	if err != nil {
		return nil, fmt.Errorf("kubernetes: list pods in %s: %w", e.ns, wrap(err))
	}
	var out []engine.Container
	for i := range list.Items {
		lbl := specLabels(&list.Items[i])
		if sel.Key != "" && !sel.Matches(lbl) {
			continue
		}
		out = append(out, engine.Container{ID: list.Items[i].Name, Labels: lbl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func ptr[T any](v T) *T { return &v }
