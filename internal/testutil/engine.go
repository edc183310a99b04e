// Package testutil holds helpers for pkgdriver's integration tests: a real Docker engine, the
// pkgdriver binary, the OSv stand-in tree, and recipe trees.
package testutil

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// BaseImage is the base the tests build toolchain images from; .ci/run makes it with debootstrap.
const BaseImage = "pkgdriver/debian:bookworm"

// Engine returns a client of the real engine. Without one the test is skipped, except under
// CI=true, where a missing engine is a failure: CI must prove the integration for real.
func Engine(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a Docker engine (not with -short)")
	}
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = api.Ping(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Docker engine answers under CI=true: %v (run scripts/ensure-engine.sh)", err)
		}
		t.Skipf("no Docker engine: %v (run scripts/ensure-engine.sh)", err)
	}
	t.Cleanup(func() { api.Close() })
	RequireImage(t, api, BaseImage)
	return api
}

// RequireImage fails (under CI) or skips when an image is missing.
func RequireImage(t testing.TB, api client.APIClient, ref string) {
	t.Helper()
	if _, err := api.ImageInspect(context.Background(), ref); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("image %s is missing under CI=true: %v (run images/base/make-base-image.sh)", ref, err)
		}
		t.Skipf("image %s is missing: %v (run images/base/make-base-image.sh)", ref, err)
	}
}

// Leftovers lists containers and volumes labelled with the run id.
func Leftovers(t testing.TB, api client.APIClient, runID string) (containers, volumes []string) {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", "pkgdriver.run="+runID))
	list, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		containers = append(containers, c.ID[:12]+" "+c.Labels["pkgdriver.role"])
	}
	vols, err := api.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vols.Volumes {
		volumes = append(volumes, v.Name)
	}
	return containers, volumes
}
