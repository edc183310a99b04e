package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/engine/kubernetes"
)

// Runners: where the containers of a run go.
const (
	runnerDocker     = "docker"
	runnerKubernetes = "kubernetes"
)

// runnerFlags choose the backend that runs the containers, and configure the Kubernetes one.
func runnerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "runner", Value: runnerDocker, Usage: "where recipe builds and demo boots run: docker (the engine) or kubernetes (one pod each; images are still built on the engine)", Sources: env("PKGDRIVER_RUNNER")},
		&cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig of the cluster for --runner kubernetes", DefaultText: "$KUBECONFIG, in-cluster, ~/.kube/config", Sources: env("PKGDRIVER_KUBECONFIG"), TakesFile: true},
		&cli.StringFlag{Name: "namespace", Usage: "namespace of the pods", DefaultText: "the kubeconfig context's, else default", Sources: env("PKGDRIVER_NAMESPACE")},
		&cli.StringFlag{Name: "toolchain-image", Usage: "the toolchain image as the cluster's nodes pull it (e.g. what publish pushed, <repository>:<date>_<commit>)", DefaultText: "its tag on the engine, imported into the nodes", Sources: env("PKGDRIVER_TOOLCHAIN_IMAGE")},
		&cli.StringFlag{Name: "kube-kvm", Value: "none", Usage: "how demo pods get /dev/kvm: none (TCG), resource:NAME (a device plugin's extended resource, e.g. resource:devices.kubevirt.io/kvm) or hostpath (the node's /dev/kvm; the pod runs privileged)", Sources: env("PKGDRIVER_KUBE_KVM")},
	}
}

// parseKubeKVM reads --kube-kvm.
func parseKubeKVM(s string) (kubernetes.KVM, error) {
	switch {
	case s == "" || s == "none":
		return kubernetes.KVM{}, nil
	case s == "hostpath":
		return kubernetes.KVM{HostPath: true}, nil
	case strings.HasPrefix(s, "resource:") && len(s) > len("resource:"):
		return kubernetes.KVM{Resource: strings.TrimPrefix(s, "resource:")}, nil
	}
	return kubernetes.KVM{}, usagef("--kube-kvm %q: want none, hostpath or resource:NAME", s)
}

// connector is how a command reaches the backend --runner names. The Kubernetes runner of a run
// still needs the Docker engine (it builds and publishes the images the pods run); reap needs
// only the cluster (podsOnly).
func connector(c *cli.Command, podsOnly bool) (func(context.Context) (engine.Engine, error), error) {
	runner := c.String("runner")
	switch runner {
	case runnerDocker:
		for _, name := range []string{"kubeconfig", "namespace", "toolchain-image", "kube-kvm"} {
			if c.IsSet(name) {
				return nil, usagef("--%s is for --runner kubernetes", name)
			}
		}
		return func(ctx context.Context) (engine.Engine, error) { return docker.New(ctx, versionString()) }, nil
	case runnerKubernetes:
	default:
		return nil, usagef("--runner %q: want docker or kubernetes", runner)
	}
	kvm, err := parseKubeKVM(c.String("kube-kvm"))
	if err != nil {
		return nil, err
	}
	kcfg := kubernetes.Config{Kubeconfig: c.String("kubeconfig"), Namespace: c.String("namespace"), KVM: kvm, HostNetwork: true}
	ref := c.String("toolchain-image")
	return func(ctx context.Context) (engine.Engine, error) {
		pods, err := kubernetes.New(kcfg)
		if err != nil {
			return nil, err
		}
		timeout, err := docker.Timeout()
		if err != nil {
			return nil, err
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := pods.Ping(pctx); err != nil {
			return nil, fmt.Errorf("%w (check --kubeconfig and --namespace)", err)
		}
		if podsOnly {
			return pods, nil
		}
		images, err := docker.New(ctx, versionString())
		if err != nil {
			return nil, fmt.Errorf("the Kubernetes runner builds its images on a Docker engine: %w", err)
		}
		return kubernetes.NewOnCluster(images, pods, ref), nil
	}, nil
}
