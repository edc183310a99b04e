package kubernetes

import (
	"context"
	"strings"
	"testing"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
)

// TestOnClusterReference: the toolchain's Docker ID becomes a reference a pod can name.
func TestOnClusterReference(t *testing.T) {
	docker := enginetest.New()
	tc := docker.AddImage(engine.Image{Tags: []string{"pkgdriver/toolchain:latest", "pkgdriver/toolchain:2026-11-30_abc"}}, nil)
	other := docker.AddImage(engine.Image{Tags: []string{"registry.example/other:1"}}, nil)
	untagged := docker.AddImage(engine.Image{}, nil)
	for _, tt := range []struct {
		name, flag, image, want, wantErr string
	}{
		{name: "dated tag before latest", image: tc, want: "pkgdriver/toolchain:2026-11-30_abc"},
		{name: "a reference stays", image: "pkgdriver/debian:bookworm", want: "pkgdriver/debian:bookworm"},
		{name: "--toolchain-image naming it", flag: "registry.example/other:1", image: other, want: "registry.example/other:1"},
		{name: "--toolchain-image only in a registry", flag: "registry.example/tc:2026", image: tc, want: "registry.example/tc:2026"},
		{name: "--toolchain-image naming another image", flag: "registry.example/other:1", image: tc, wantErr: "not the toolchain this run uses"},
		{name: "no tag", image: untagged, wantErr: "give --toolchain-image"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOnCluster(docker, nil, tt.flag)
			got, err := o.reference(context.Background(), tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("reference = %q, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("reference = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
