package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
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

// packagesDockerfile puts the Capstan repository (publishedTrees) at the image's root, nothing
// else: the image is a way to carry a CAPSTAN_ROOT, not to run anything. One COPY of one tree,
// so files that are hard links of each other in the result directory stay links in the layer.
var packagesDockerfile = []byte("FROM scratch\nCOPY root/ /\n")

// buildPackagesImage builds, through the engine, the image holding the result directory's
// publishedTrees, tagged refs and labelled; it returns the image id.
func buildPackagesImage(ctx context.Context, cli client.APIClient, l resultdir.Layout, labels map[string]string, refs []string, log io.Writer) (string, error) {
	if fi, err := os.Stat(l.Packages()); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("packages image: %s is not a directory", l.Packages())
	}
	buildCtx, err := os.CreateTemp("", "pkgdriver-packages-*.tar")
	if err != nil {
		return "", err
	}
	defer os.Remove(buildCtx.Name())
	defer buildCtx.Close()
	tw := newTarWriter(buildCtx).keepHardLinks()
	err = tw.bytes("Dockerfile", packagesDockerfile, 0o644)
	for _, rel := range publishedTrees {
		src := filepath.Join(l.Root, filepath.FromSlash(rel))
		if _, serr := os.Lstat(src); err != nil || errors.Is(serr, fs.ErrNotExist) {
			continue
		}
		err = tw.tree(ctx, src, path.Join("root", rel))
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
