package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/images"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
)

// An incremental kernel build builds a new OSv tree's kernel on top of an earlier kernel image's
// built tree (images/toolchain/incremental.Dockerfile), so OSv's make compiles only what
// the new commit changed, then runs the Dockerfile's steps after the kernel as a full build does.
// The earlier kernel image must be of the same lineage: the same base image (by ID), Dockerfiles, build
// arguments and OSv build arguments; only the OSv tree differs. Only images built from a local
// checkout (--osv-src) have a lineage: the incremental build reads the old tree's file list from
// the git repository the Dockerfile made of it, which a clone's submodules do not list.
//
// Each incremental build stacks its layers on the earlier image's, so after maxGenerations of
// them the next build starts from scratch again (the engine allows about 125 layers).

// Toolchain image labels of the incremental build.
const (
	// labelLineage identifies the inputs other than the OSv tree.
	labelLineage = "pkgdriver.toolchain.lineage"
	// labelGeneration counts the incremental builds since the last build from scratch.
	labelGeneration = "pkgdriver.toolchain.generation"
	// labelBuiltOn is the image an incremental build was built on.
	labelBuiltOn = "pkgdriver.toolchain.built-on"
)

// maxGenerations is how many incremental builds may stack on one build from scratch.
const maxGenerations = 8

// incrementalDockerfile is the name of the incremental build's Dockerfile in the build context.
const incrementalDockerfile = "incremental.Dockerfile"

// osvTreeArgs are the build arguments that describe the OSv tree itself: they may differ
// between images of one lineage.
var osvTreeArgs = map[string]bool{
	"OSV_COMMIT": true, "OSV_DESCRIBE": true, "OSV_COMMIT_TIME": true, "OSV_DIRTY": true,
	"OSV_REPO": true, "OSV_REF": true,
}

// lineage returns the lineage of a build of src with args, or "" when it has none (a clone).
func (b *ToolchainBuilder) lineage(ctx context.Context, src *osvSource, args map[string]string) (string, error) {
	if src.Dir == "" {
		return "", nil
	}
	base, err := b.Engine.InspectImage(ctx, args["BASE_IMAGE"])
	if errors.Is(err, engine.ErrNotFound) {
		return "", nil // the build pulls it, or says it is missing
	}
	if err != nil {
		return "", fmt.Errorf("inspect base image: %w", err)
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		if !osvTreeArgs[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "base %s\n", base.ID)
	h.Write(images.ToolchainDockerfile)
	h.Write(images.ToolchainIncremental)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, args[k])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// previous returns the newest kernel image of lineage that an incremental build may start from,
// or nil. Toolchain images (which carry their kernel's lineage) are not: they hold a capstan.
func (b *ToolchainBuilder) previous(ctx context.Context, lineage string) (*engine.Image, error) {
	list, err := b.Engine.ListImages(ctx, engine.ImageFilter{Label: engine.Selector{Key: labelLineage, Value: lineage}})
	if err != nil {
		return nil, fmt.Errorf("list toolchain images: %w", err)
	}
	var best *engine.Image
	for i := range list {
		img := &list[i]
		if generation(img.Labels) >= maxGenerations || img.Labels[LabelRole] != roleKernel {
			continue
		}
		if best == nil || img.Created > best.Created || (img.Created == best.Created && img.ID > best.ID) {
			best = img
		}
	}
	return best, nil
}

func generation(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[labelGeneration])
	return n
}

// buildImage builds the kernel image: on top of the newest kernel image of the same lineage when
// there is one (and neither --rebuild-image nor --toolchain-from-scratch is set), else from
// scratch (with --rebuild-image, from a fresh image of the base); an incremental build that fails
// is followed by one from scratch. It returns the image and the labels that say how it was built.
func (t *toolchainBuild) buildImage(ctx context.Context, buildCtx *tarball.Context, src *osvSource, args map[string]string) (string, map[string]string, error) {
	lineage, err := t.lineage(ctx, src, args)
	if err != nil {
		return "", nil, err
	}
	labels := map[string]string{labelLineage: lineage, labelGeneration: "", labelBuiltOn: ""}
	if lineage != "" && !t.Config.Rebuild && !t.Config.FromScratch {
		prev, err := t.previous(ctx, lineage)
		if err != nil {
			return "", nil, err
		}
		if prev != nil {
			t.Log.Info().Str("on", shortID(prev.ID)).Int("generation", generation(prev.Labels)+1).
				Msg("building the toolchain image incrementally, on the previous one's OSv build")
			withPrev := map[string]string{"PREVIOUS": prev.ID}
			for k, v := range args {
				withPrev[k] = v
			}
			id, err := t.build(ctx, buildCtx, withPrev, incrementalDockerfile)
			if err == nil {
				labels[labelGeneration] = strconv.Itoa(generation(prev.Labels) + 1)
				labels[labelBuiltOn] = prev.ID
				return id, labels, nil
			}
			if ctx.Err() != nil {
				return "", nil, err
			}
			t.Log.Warn().Err(err).Msg("the incremental toolchain build failed; building it from scratch")
		}
	}
	if !t.Config.Rebuild {
		id, err := t.build(ctx, buildCtx, args, "")
		return id, labels, err
	}
	base, err := t.rebuildBase(ctx)
	if err != nil {
		return "", nil, err
	}
	fresh := map[string]string{"BASE_IMAGE": base}
	for k, v := range args {
		if k != "BASE_IMAGE" {
			fresh[k] = v
		}
	}
	id, err := t.build(ctx, buildCtx, fresh, "")
	if err != nil {
		t.removeImage(ctx, base)
	}
	return id, labels, err
}
