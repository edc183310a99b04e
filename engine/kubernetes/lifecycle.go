package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pollInterval is how often a starting pod is looked at.
const pollInterval = 200 * time.Millisecond

// Create makes the pod for spec and waits until its container runs (scheduled, image present,
// keep-alive started), so that files can be copied in. A pod that cannot start (its image is
// missing and cannot be pulled, its configuration is refused) fails at once with the kubelet's
// reason and is deleted; one that is not scheduled within StartTimeout fails with the
// scheduler's word.
func (e *Engine) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	p, err := e.podSpec(spec)
	if err != nil {
		return "", err
	}
	p.Name = podName(spec)
	created, err := e.client.CoreV1().Pods(e.ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("kubernetes: create pod in namespace %s: %w", e.ns, wrap(err))
	}
	id := created.Name
	e.mu.Lock()
	e.pods[id] = &pod{cmd: spec.Cmd}
	e.mu.Unlock()
	p, err = e.waitRunning(ctx, id)
	if err != nil {
		_ = e.Remove(context.WithoutCancel(ctx), id)
		return "", err
	}
	e.mu.Lock()
	e.pods[id].node = p.Spec.NodeName
	for _, cs := range p.Status.ContainerStatuses {
		e.pods[id].imageID = cs.ImageID
	}
	e.mu.Unlock()
	return id, nil
}

// waitRunning waits until pod id's container runs and returns the pod as it is then.
func (e *Engine) waitRunning(ctx context.Context, id string) (*corev1.Pod, error) {
	deadline := time.Now().Add(e.cfg.StartTimeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, id, getOpts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("kubernetes: pod %s was deleted before it started", id)
			}
			return nil, fmt.Errorf("kubernetes: pod %s: %w", id, wrap(err))
		}
		done, err := started(p)
		if err != nil {
			return nil, err
		}
		if done {
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("kubernetes: pod %s did not start within %s: %s", id, e.cfg.StartTimeout, pending(p))
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// Waiting reasons of a container that will not start by waiting longer.
var fatalWaiting = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true,
	"InvalidImageName": true, "CreateContainerConfigError": true, "CreateContainerError": true,
	"RunContainerError": true, "CrashLoopBackOff": true,
}

// started reports whether p's container runs, or why it never will.
func started(p *corev1.Pod) (bool, error) {
	if p.DeletionTimestamp != nil {
		return false, fmt.Errorf("kubernetes: pod %s is being deleted", p.Name)
	}
	switch p.Status.Phase {
	case corev1.PodFailed, corev1.PodSucceeded:
		return false, fmt.Errorf("kubernetes: pod %s ended before its command ran (%s): %s %s", p.Name, p.Status.Phase, p.Status.Reason, p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running != nil {
			return true, nil
		}
		if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] {
			err := fmt.Errorf("kubernetes: pod %s on node %s cannot start: %s: %s", p.Name, p.Spec.NodeName, w.Reason, w.Message)
			if strings.Contains(w.Reason, "Image") {
				err = fmt.Errorf("%w (the image must be on the node or in a registry it can pull from: %w)", err, engine.ErrNotFound)
			}
			return false, err
		}
		if t := cs.State.Terminated; t != nil {
			return false, fmt.Errorf("kubernetes: pod %s: its container ended before its command ran: %s (exit %d) %s", p.Name, t.Reason, t.ExitCode, t.Message)
		}
	}
	return false, nil
}

// pending says why a pod has not started: the scheduler's condition or the container's state.
func pending(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("not scheduled: %s %s", c.Reason, c.Message)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			return fmt.Sprintf("on node %s, container waiting: %s %s", p.Spec.NodeName, w.Reason, w.Message)
		}
	}
	return "phase " + string(p.Status.Phase)
}

// Remove deletes the pod at once (no grace period: what runs in it is killed). A pod already gone
// is not an error.
func (e *Engine) Remove(ctx context.Context, id string) error {
	e.mu.Lock()
	delete(e.pods, id)
	e.mu.Unlock()
	err := e.client.CoreV1().Pods(e.ns).Delete(ctx, id, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("kubernetes: delete pod %s: %w", id, wrap(err))
	}
	return nil
}

// gone explains a broken exec stream: the pod was deleted, or its container ended.
func (e *Engine) gone(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, id, getOpts)
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("the pod was deleted while its command ran: %w", engine.ErrNotFound)
	case err != nil:
		return nil
	case p.DeletionTimestamp != nil:
		return fmt.Errorf("the pod was deleted while its command ran")
	}
	for _, cs := range p.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			return fmt.Errorf("its container ended while the command ran (node %s): %s (exit %d)", p.Spec.NodeName, t.Reason, t.ExitCode)
		}
	}
	return nil
}

// execFailed says what failed in pod id and why.
func execFailed(id, what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("kubernetes: pod %s: %s: %w", id, what, wrap(err))
}
