package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pkgdriver/pkgdriver/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"
)

func TestPodSpec(t *testing.T) {
	base := engine.ContainerSpec{
		Image: "pkgdriver/toolchain:x", Cmd: []string{"build"}, Env: []string{"A=1", "B=x=y"},
		WorkingDir: "/work",
		Labels:     map[string]string{engine.LabelRun: "r1", engine.LabelRecipe: "Some recipe+name", engine.LabelRole: "build"},
	}
	tests := []struct {
		name    string
		kvm     KVM
		edit    func(*engine.ContainerSpec)
		check   func(t *testing.T, p *corev1.Pod)
		wantErr error
	}{
		{name: "plain", check: func(t *testing.T, p *corev1.Pod) {
			c := p.Spec.Containers[0]
			if c.Image != "pkgdriver/toolchain:x" || c.WorkingDir != "/work" || c.ImagePullPolicy != corev1.PullIfNotPresent {
				t.Errorf("container = %+v", c)
			}
			if strings.Join(c.Command, " ") != strings.Join(keepAlive, " ") {
				t.Errorf("command = %q, want the keep-alive", c.Command)
			}
			if len(c.Env) != 2 || c.Env[1].Name != "B" || c.Env[1].Value != "x=y" {
				t.Errorf("env = %+v", c.Env)
			}
			if !p.Spec.HostNetwork || p.Spec.RestartPolicy != corev1.RestartPolicyNever || *p.Spec.AutomountServiceAccountToken {
				t.Errorf("pod spec = %+v", p.Spec)
			}
			if c.SecurityContext != nil || len(c.Resources.Limits) != 0 {
				t.Errorf("unbounded, unprivileged spec got %+v %+v", c.SecurityContext, c.Resources)
			}
			if got := p.Annotations[annotationPrefix+engine.LabelRecipe]; got != "Some recipe+name" {
				t.Errorf("recipe annotation = %q", got)
			}
			for k, v := range p.Labels {
				if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
					t.Errorf("label %s=%q invalid: %v", k, v, errs)
				}
			}
		}},
		{name: "resources", edit: func(s *engine.ContainerSpec) { s.CPUs, s.Memory, s.PidsLimit = 1.5, 2<<30, 4096 },
			check: func(t *testing.T, p *corev1.Pod) {
				r := p.Spec.Containers[0].Resources
				if !r.Limits.Cpu().Equal(resource.MustParse("1500m")) || !r.Requests.Cpu().Equal(resource.MustParse("150m")) {
					t.Errorf("cpu limits/requests = %v/%v", r.Limits.Cpu(), r.Requests.Cpu())
				}
				if !r.Limits.Memory().Equal(resource.MustParse("2Gi")) || !r.Requests.Memory().Equal(resource.MustParse("2Gi")) {
					t.Errorf("memory limits/requests = %v/%v", r.Limits.Memory(), r.Requests.Memory())
				}
				if p.Annotations[annotationPids] != "4096" {
					t.Errorf("pids annotation = %q", p.Annotations[annotationPids])
				}
			}},
		{name: "privileged", edit: func(s *engine.ContainerSpec) { s.Privileged = true },
			check: func(t *testing.T, p *corev1.Pod) {
				if sc := p.Spec.Containers[0].SecurityContext; sc == nil || !*sc.Privileged {
					t.Errorf("security context = %+v", sc)
				}
			}},
		{name: "kvm without a way", edit: func(s *engine.ContainerSpec) { s.Devices = []string{"/dev/kvm"} },
			wantErr: engine.ErrNotSupported},
		{name: "other device", kvm: KVM{HostPath: true}, edit: func(s *engine.ContainerSpec) { s.Devices = []string{"/dev/fuse"} },
			wantErr: engine.ErrNotSupported},
		{name: "kvm resource", kvm: KVM{Resource: "devices.kubevirt.io/kvm"}, edit: func(s *engine.ContainerSpec) { s.Devices = []string{"/dev/kvm"} },
			check: func(t *testing.T, p *corev1.Pod) {
				c := p.Spec.Containers[0]
				q := c.Resources.Limits["devices.kubevirt.io/kvm"]
				if q.Value() != 1 || c.SecurityContext != nil || len(p.Spec.Volumes) != 0 {
					t.Errorf("resources %+v, security %+v, volumes %+v", c.Resources, c.SecurityContext, p.Spec.Volumes)
				}
			}},
		{name: "kvm host path", kvm: KVM{HostPath: true}, edit: func(s *engine.ContainerSpec) { s.Devices = []string{"/dev/kvm"} },
			check: func(t *testing.T, p *corev1.Pod) {
				c := p.Spec.Containers[0]
				if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].HostPath.Path != "/dev/kvm" || *p.Spec.Volumes[0].HostPath.Type != corev1.HostPathCharDev {
					t.Errorf("volumes = %+v", p.Spec.Volumes)
				}
				if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/dev/kvm" || c.SecurityContext == nil || !*c.SecurityContext.Privileged {
					t.Errorf("mounts %+v, security %+v", c.VolumeMounts, c.SecurityContext)
				}
			}},
		{name: "volumes", edit: func(s *engine.ContainerSpec) { s.Volumes = map[string]string{"v": "/osv"} },
			wantErr: engine.ErrNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(fake.NewSimpleClientset(), nil, "ns", Config{KVM: tt.kvm, HostNetwork: true})
			spec := base
			spec.Labels = map[string]string{}
			for k, v := range base.Labels {
				spec.Labels[k] = v
			}
			if tt.edit != nil {
				tt.edit(&spec)
			}
			p, err := e.podSpec(spec)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestLabelValueAndPodName(t *testing.T) {
	long := strings.Repeat("x", 80)
	for _, v := range []string{"plain", "Some recipe+name", long, "+++", "a.b_c-d"} {
		lv := labelValue(v)
		if errs := validation.IsValidLabelValue(lv); len(errs) > 0 {
			t.Errorf("labelValue(%q) = %q: %v", v, lv, errs)
		}
		if validation.IsValidLabelValue(v) == nil && lv != v {
			t.Errorf("labelValue(%q) = %q, want it unchanged", v, lv)
		}
	}
	if labelValue(long) == labelValue(long+"y") {
		t.Error("two long values share a label value")
	}
	spec := engine.ContainerSpec{Labels: map[string]string{engine.LabelRole: "build", engine.LabelRecipe: "Long_" + long}}
	a, b := podName(spec), podName(spec)
	if a == b {
		t.Errorf("two pods share the name %s", a)
	}
	if errs := validation.IsDNS1123Label(a); len(errs) > 0 || !strings.HasPrefix(a, "pkgdriver-build-long-") {
		t.Errorf("podName = %q: %v", a, errs)
	}
}

func TestListContainersSelects(t *testing.T) {
	mk := func(name string, lbl map[string]string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{}, Annotations: map[string]string{}}}
		for k, v := range lbl {
			p.Labels[k] = labelValue(v)
			p.Annotations[annotationPrefix+k] = v
		}
		return p
	}
	client := fake.NewSimpleClientset(
		mk("a", map[string]string{engine.LabelRun: "r1", engine.LabelRecipe: "x+y"}),
		mk("b", map[string]string{engine.LabelRun: "r2", engine.LabelRecipe: "x+y"}),
		mk("c", map[string]string{engine.LabelRecipe: "other"}),
	)
	e := newEngine(client, nil, "ns", Config{})
	for _, tt := range []struct {
		sel  engine.Selector
		want string
	}{
		{engine.Selector{Key: engine.LabelRun, Value: "r1"}, "a"},
		{engine.Selector{Key: engine.LabelRun}, "a b"},
		{engine.Selector{Key: engine.LabelRecipe, Value: "x+y"}, "a b"},
		{engine.Selector{Key: engine.LabelRecipe, Value: "x+z"}, ""},
	} {
		got, err := e.ListContainers(context.Background(), tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if strings.Join(ids, " ") != tt.want {
			t.Errorf("ListContainers(%v) = %v, want %q", tt.sel, ids, tt.want)
		}
		if len(got) > 0 && got[0].Labels[engine.LabelRecipe] == "" {
			t.Errorf("labels not restored: %+v", got[0])
		}
	}
}

func TestStarted(t *testing.T) {
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	waiting := func(reason string) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "m"}}}
	}
	for _, tt := range []struct {
		name     string
		status   corev1.PodStatus
		done     bool
		errIs    error
		errMatch string
	}{
		{"running", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running}}, true, nil, ""},
		{"creating", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{waiting("ContainerCreating")}}, false, nil, ""},
		{"unscheduled", corev1.PodStatus{Phase: corev1.PodPending}, false, nil, ""},
		{"image never pull", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{waiting("ErrImageNeverPull")}}, false, engine.ErrNotFound, "ErrImageNeverPull"},
		{"config error", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{waiting("CreateContainerConfigError")}}, false, nil, "CreateContainerConfigError"},
		{"failed", corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}, false, nil, "Evicted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done, err := started(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: tt.status})
			if done != tt.done {
				t.Errorf("done = %v", done)
			}
			if (err != nil) != (tt.errMatch != "") || (err != nil && !strings.Contains(err.Error(), tt.errMatch)) {
				t.Errorf("err = %v, want one saying %q", err, tt.errMatch)
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, want it to be %v", err, tt.errIs)
			}
		})
	}
}
