package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Labels of the packages image. The run id is not under LabelRun: containers inherit image
// labels, and LabelRun is what the reaper removes containers by.
const (
	labelSourceRun   = "pkgdriver.source-run"
	labelOCIRevision = "org.opencontainers.image.revision"
	labelOCIVersion  = "org.opencontainers.image.version"
)

// PackagesRepository is where the packages image of repository goes.
func PackagesRepository(repository string) string { return repository + "-packages" }

// mikeDir is the result directory's mike/ (the OSv loader Capstan boots packages with).
func (l Layout) mikeDir() string { return filepath.Dir(l.Loader()) }

// packagesDockerfile puts the Capstan repository at the image's root, nothing else: the image is
// a way to carry packages/ and mike/, not to run anything.
func packagesDockerfile(withMike bool) []byte {
	var b strings.Builder
	b.WriteString("FROM scratch\nCOPY packages /packages\n")
	if withMike {
		b.WriteString("COPY mike /mike\n")
	}
	return []byte(b.String())
}

// buildPackagesImage builds, through the engine, the image holding the result directory's
// packages/ and mike/, tagged refs and labelled; it returns the image id.
func buildPackagesImage(ctx context.Context, cli client.APIClient, l Layout, labels map[string]string, refs []string, log io.Writer) (string, error) {
	if fi, err := os.Stat(l.Packages()); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("packages image: %s is not a directory", l.Packages())
	}
	withMike := true
	if _, err := os.Stat(l.mikeDir()); errors.Is(err, fs.ErrNotExist) {
		withMike = false
	}
	buildCtx, err := os.CreateTemp("", "pkgdriver-packages-*.tar")
	if err != nil {
		return "", err
	}
	defer os.Remove(buildCtx.Name())
	defer buildCtx.Close()
	tw := newTarWriter(buildCtx)
	err = tw.bytes("Dockerfile", packagesDockerfile(withMike), 0o644)
	if err == nil {
		err = tw.tree(ctx, l.Packages(), "packages")
	}
	if err == nil && withMike {
		err = tw.tree(ctx, l.mikeDir(), "mike")
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		_, err = buildCtx.Seek(0, io.SeekStart)
	}
	if err != nil {
		return "", fmt.Errorf("packages image context: %w", err)
	}
	previous := imageIDOf(ctx, cli, refs[0])
	resp, err := cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{
		Dockerfile:  "Dockerfile",
		Tags:        refs,
		Labels:      labels,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", fmt.Errorf("packages image build: %w", err)
	}
	defer resp.Body.Close()
	var id string
	err = readEngineStream(resp.Body, log, func(aux json.RawMessage) {
		var a struct{ ID string }
		if json.Unmarshal(aux, &a) == nil && a.ID != "" {
			id = a.ID
		}
	})
	if err != nil {
		return "", fmt.Errorf("packages image build: %w", err)
	}
	if id == "" {
		return "", errors.New("packages image build: the engine reported no image id")
	}
	if previous != "" && previous != id {
		dropUntagged(ctx, cli, previous)
	}
	return id, nil
}

func imageIDOf(ctx context.Context, cli client.APIClient, ref string) string {
	info, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return ""
	}
	return info.ID
}

// dropUntagged removes the image a second publish of the same day took the tags from, when it is
// left without any. Removing by id an image that still has tags could untag them all, so it is
// checked first; a failure only leaves a small dangling image.
func dropUntagged(ctx context.Context, cli client.APIClient, id string) {
	info, err := cli.ImageInspect(ctx, id)
	if err != nil || len(info.RepoTags) > 0 {
		return
	}
	_, _ = cli.ImageRemove(ctx, id, image.RemoveOptions{PruneChildren: true})
}
