package driver

import (
	"context"
	"fmt"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// attestStage reads what the packages' SBOMs and provenance state about the toolchain: its
// Debian packages (read once per toolchain image and kept in the state directory) and the base
// image's ID.
type attestStage struct{}

func (attestStage) String() string { return "supply chain" }

// supplyChain is what every package's statements share.
type supplyChain struct {
	// Debian finds the Debian package a file came from; nil when the toolchain has no dpkg
	// database (the SBOMs then name no Debian package).
	Debian      *supplychain.DebianIndex
	BaseImageID string
}

// Where the toolchain image keeps its package database and copyright files.
const (
	dpkgDir = "/var/lib/dpkg"
	docDir  = "/usr/share/doc"
)

func (attestStage) Run(ctx context.Context, r *Run) error {
	if len(r.Selected) == 0 {
		return errSkip{"no recipe selected"}
	}
	sc := &supplyChain{}
	r.SupplyChain = sc
	if info, err := r.Engine.InspectImage(ctx, r.Config.Image.BaseImage); err == nil {
		sc.BaseImageID = info.ID
	} else {
		r.Config.Log.Warn().Err(err).Msg("provenance: the base image's ID is unknown")
	}
	idx, err := debianIndex(ctx, r)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		r.Config.Log.Warn().Err(err).Msg("SBOMs will name no Debian package")
		return nil
	}
	sc.Debian = idx
	return nil
}

// debianIndex returns the toolchain's Debian index, from the state directory when an earlier run
// read the same image.
func debianIndex(ctx context.Context, r *Run) (*supplychain.DebianIndex, error) {
	cache := r.Layout.DebianIndex(r.Toolchain.ID)
	var cached supplychain.DebianIndex
	if resultdir.ReadState(cache, &cached) && cached.Packages != nil {
		return &cached, nil
	}
	idx, err := readDebianIndex(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := resultdir.WriteState(cache, idx); err != nil {
		r.Config.Log.Warn().Err(err).Msg("the Debian package index is not cached")
	}
	return idx, nil
}

// readDebianIndex copies the dpkg database and the copyright files out of a container of the
// toolchain image (created, never started).
func readDebianIndex(ctx context.Context, r *Run) (*supplychain.DebianIndex, error) {
	id, err := r.Engine.Create(ctx, engine.ContainerSpec{Image: r.Toolchain.ID, Labels: r.labels("sbom", ""), NoNetwork: true})
	if err != nil {
		return nil, err
	}
	defer r.removeContainer(ctx, id)
	rc, err := r.Engine.CopyOut(ctx, id, dpkgDir)
	if err != nil {
		return nil, fmt.Errorf("toolchain image %s: %w", dpkgDir, err)
	}
	idx, err := supplychain.ReadDpkg(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("toolchain image: %w", err)
	}
	rc, err = r.Engine.CopyOut(ctx, id, docDir)
	if err != nil {
		r.Config.Log.Warn().Err(err).Msg("SBOMs: no licences: the toolchain image has no " + docDir)
		return idx, nil
	}
	defer rc.Close()
	if err := idx.ReadCopyrights(rc); err != nil {
		return nil, fmt.Errorf("toolchain image: %w", err)
	}
	return idx, nil
}
