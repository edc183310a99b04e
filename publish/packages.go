package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
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
func buildPackagesImage(ctx context.Context, images engine.Images, l resultdir.Layout, labels map[string]string, refs []string, log io.Writer) (string, error) {
	if fi, err := os.Stat(l.Packages()); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("packages image: %s is not a directory", l.Packages())
	}
	buildCtx, err := tarball.NewContext("pkgdriver-packages-*.tar")
	if err != nil {
		return "", err
	}
	defer buildCtx.Close()
	_, err = buildCtx.Write(func(tw *tarball.Writer) error {
		tw.KeepHardLinks()
		if err := tw.Bytes("Dockerfile", packagesDockerfile, 0o644); err != nil {
			return err
		}
		for _, rel := range publishedTrees {
			src := filepath.Join(l.Root, filepath.FromSlash(rel))
			if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err := tw.Tree(ctx, src, path.Join("root", rel)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("packages image context: %w", err)
	}
	previous := imageIDOf(ctx, images, refs[0])
	id, err := buildCtx.Build(ctx, images, engine.BuildSpec{Tags: refs, Labels: labels, Log: log})
	if err != nil {
		return "", fmt.Errorf("packages image build: %w", err)
	}
	if previous != "" && previous != id {
		dropUntagged(ctx, images, previous)
	}
	return id, nil
}

func imageIDOf(ctx context.Context, images engine.Images, ref string) string {
	info, err := images.InspectImage(ctx, ref)
	if err != nil {
		return ""
	}
	return info.ID
}

// dropUntagged removes the image a second publish of the same day took the tags from, when it is
// left without any. Removing by id an image that still has tags could untag them all, so it is
// checked first; a failure only leaves a small dangling image.
func dropUntagged(ctx context.Context, images engine.Images, id string) {
	info, err := images.InspectImage(ctx, id)
	if err != nil || len(info.Tags) > 0 {
		return
	}
	_ = images.RemoveImage(ctx, id)
}
