package driver

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkgdriver/pkgdriver/packager"
)

// loaderImage is the built kernel inside the toolchain image.
const loaderImage = "/osv/build/release/loader.img"

// loaderStage delivers the built kernel as Capstan's base image mike/osv-loader, once per run.
type loaderStage struct{}

func (loaderStage) String() string { return "OSv loader" }

// loaderRecord says which toolchain image the delivered loader came from.
type loaderRecord struct {
	ImageID string   `json:"image_id"`
	Loader  Artifact `json:"loader"`
}

func (loaderStage) Run(ctx context.Context, r *Run) error {
	record := filepath.Join(r.Layout.State(), "loader.json")
	var prev loaderRecord
	if data, err := os.ReadFile(record); err == nil && json.Unmarshal(data, &prev) == nil && prev.ImageID == r.Toolchain.ID {
		if sum, err := fileSHA256(filepath.Join(r.Layout.Loader(), "osv-loader.qemu")); err == nil && sum == prev.Loader.SHA256 {
			r.Loader = &prev.Loader // delivered by an earlier run from the same image
			return nil
		}
	}
	if err := deliverLoader(ctx, r); err != nil {
		return err
	}
	data, _ := json.Marshal(loaderRecord{ImageID: r.Toolchain.ID, Loader: *r.Loader})
	return writeFileAtomic(record, data, 0o644)
}

func deliverLoader(ctx context.Context, r *Run) error {
	id, err := r.Runner.Create(ctx, ContainerSpec{Image: r.Toolchain.ID, Labels: r.labels("loader", ""), NoNetwork: true})
	if err != nil {
		return err
	}
	defer r.removeContainer(ctx, id)
	rc, err := r.Runner.CopyOut(ctx, id, loaderImage)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return fmt.Errorf("%s: %w", loaderImage, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return fmt.Errorf("%s is not a regular file in the toolchain image", loaderImage)
	}
	idx := packager.LoaderIndex{
		Description:   "OSv Bootloader",
		FormatVersion: 1,
		Version:       r.Toolchain.ShortCommit(),
		Created:       r.Start.UTC().Format("2006-01-02 15:04"),
		Platform:      r.Toolchain.Platform,
	}
	if err := packager.WriteLoader(ctx, r.Layout.Loader(), io.LimitReader(tr, hdr.Size), idx); err != nil {
		return err
	}
	sum, err := fileSHA256(filepath.Join(r.Layout.Loader(), "osv-loader.qemu"))
	if err != nil {
		return err
	}
	r.Loader = &Artifact{Path: "mike/osv-loader/osv-loader.qemu", SHA256: sum, Size: hdr.Size}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
