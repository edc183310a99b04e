package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

// osvBuildDir is where the toolchain image's OSv build leaves the kernel files.
const osvBuildDir = "/osv/build/release"

// Kernel files the loader stage takes out of osvBuildDir. Only loader.img is required: the
// others are missing from OSv trees older than the files (and the ZFS builder and the kernel
// relinked with ZFS, zfs-loader/, from trees whose Makefile has no ZFS builder target), and are
// then not delivered. The ZFS builder is the one the toolchain image made for Capstan's upload
// layout (zfs-loader/), not OSv's own (see images/toolchain/Dockerfile).
const (
	kernelLoaderImg  = "loader.img"
	kernelStripped   = "loader-stripped.elf"
	kernelVmlinuz    = "vmlinuz.bin"
	zfsLoaderDir     = "zfs-loader"
	kernelZFSBuilder = zfsLoaderDir + "/zfs_builder-stripped.elf"
)

// kernelFiles are the files copied out of osvBuildDir, relative to it.
var kernelFiles = []string{
	kernelLoaderImg, kernelStripped, kernelVmlinuz, kernelZFSBuilder,
	path.Join(zfsLoaderDir, kernelLoaderImg), path.Join(zfsLoaderDir, kernelStripped), path.Join(zfsLoaderDir, kernelVmlinuz),
}

// stagedKernelFile is where kernel file f (one of kernelFiles) is copied to in dir.
func stagedKernelFile(dir, f string) string {
	return filepath.Join(dir, strings.ReplaceAll(f, "/", "-"))
}

// loaderStage delivers the built kernel as Capstan's images, once per run: the old container's
// mike/osv-loader, and repository/ for the result directory used as CAPSTAN_ROOT
// (repository/osv-loader, repository/osv-zfs-builder, repository/mike/osv-loader). The copies of
// a file are hard links where the file system allows.
type loaderStage struct{}

func (loaderStage) String() string { return "OSv loader" }

// loaderRecord says which toolchain image the delivered images came from, and what was delivered.
type loaderRecord struct {
	ImageID    string            `json:"image_id"`
	Loader     report.Artifact   `json:"loader"`
	ZFSBuilder *report.Artifact  `json:"zfs_builder,omitempty"`
	Files      []report.Artifact `json:"files"`
	// KernelPVH: the image's loader-stripped.elf, the kernel of loader.img, has a PVH entry, so
	// demos can boot it directly (see Run.DirectKernel). nil in a record of a pkgdriver that did
	// not look: the kernel is delivered again, and looked at.
	KernelPVH *bool `json:"kernel_pvh,omitempty"`
}

func (loaderStage) Run(ctx context.Context, r *Run) error {
	var prev loaderRecord
	if resultdir.ReadState(r.Layout.LoaderRecord(), &prev) && prev.ImageID == r.Toolchain.ID && holds(r.Layout, prev.Files) && prev.KernelPVH != nil {
		r.Loader, r.ZFSBuilder = &prev.Loader, prev.ZFSBuilder // delivered by an earlier run from the same image
		r.DirectKernel = *prev.KernelPVH && !r.Config.TestBootDisk
		return nil
	}
	rec, err := deliverLoader(ctx, r)
	if err != nil {
		return err
	}
	rec.ImageID = r.Toolchain.ID
	r.Loader, r.ZFSBuilder = &rec.Loader, rec.ZFSBuilder
	r.DirectKernel = *rec.KernelPVH && !r.Config.TestBootDisk
	return resultdir.WriteState(r.Layout.LoaderRecord(), rec)
}

// holds reports whether every file is in the result directory with its recorded checksum.
func holds(l resultdir.Layout, files []report.Artifact) bool {
	for _, f := range files {
		if sum, err := fsutil.SHA256File(filepath.Join(l.Root, filepath.FromSlash(f.Path))); err != nil || sum != f.SHA256 {
			return false
		}
	}
	return len(files) > 0
}

func deliverLoader(ctx context.Context, r *Run) (*loaderRecord, error) {
	stage := filepath.Join(r.Layout.Staging(r.Config.RunID), "kernel")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	got, err := copyKernelFiles(ctx, r, stage)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{kernelStripped, kernelVmlinuz, kernelZFSBuilder, path.Join(zfsLoaderDir, kernelLoaderImg)} {
		if !got[f] {
			r.Config.Log.Warn().Msgf("the toolchain image's OSv build has no %s/%s: it is not delivered (log/toolchain.log says why)", osvBuildDir, f)
		}
	}
	idx := packager.LoaderIndex{
		Description:   packager.LoaderDescription,
		FormatVersion: 1,
		Version:       r.Toolchain.ShortCommit(),
		Created:       r.Start.UTC().Format(packager.LoaderCreatedLayout),
		Platform:      r.Toolchain.Platform,
	}
	if err := writeCapstanImages(ctx, r.Layout, stage, got, idx); err != nil {
		return nil, err
	}
	rec, err := newLoaderRecord(r.Layout, got[kernelZFSBuilder])
	if err != nil {
		return nil, err
	}
	pvh := got[kernelStripped] && kernelHasPVH(r, stagedKernelFile(stage, kernelStripped))
	rec.KernelPVH = &pvh
	return rec, nil
}

// kernelHasPVH reports whether the kernel ELF at p has a PVH entry; a file that cannot be read
// has none (the demos then boot from the disk).
func kernelHasPVH(r *Run, p string) bool {
	f, err := os.Open(p)
	if err != nil {
		r.Config.Log.Warn().Err(err).Msg("kernel ELF not read: demos boot from the disk image")
		return false
	}
	defer f.Close()
	ok, err := packager.HasPVHEntry(f)
	if err != nil {
		r.Config.Log.Warn().Err(err).Msg("kernel ELF not read: demos boot from the disk image")
	}
	return ok
}

// copyKernelFiles copies the kernel files out of a container of the toolchain image into dir,
// and says which ones the image has.
func copyKernelFiles(ctx context.Context, r *Run, dir string) (map[string]bool, error) {
	id, err := r.Engine.Create(ctx, engine.ContainerSpec{Image: r.Toolchain.ID, Labels: r.labels("loader", ""), NoNetwork: true})
	if err != nil {
		return nil, err
	}
	defer r.removeContainer(ctx, id)
	got := map[string]bool{}
	for _, name := range kernelFiles {
		src := path.Join(osvBuildDir, name)
		ok, err := copyOutFile(ctx, r.Engine, id, src, stagedKernelFile(dir, name), r.Config.MaxPackageSize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if !ok && name == kernelLoaderImg {
			return nil, fmt.Errorf("%s is not in the toolchain image: OSv's build did not make it", src)
		}
		got[name] = ok
	}
	return got, nil
}

// copyOutFile copies the regular file src out of container id to dst; false when the container
// has no such file.
func copyOutFile(ctx context.Context, runner engine.Containers, id, src, dst string, maxSize int64) (bool, error) {
	rc, err := runner.CopyOut(ctx, id, src)
	if errors.Is(err, engine.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	// Extract wants an empty directory of its own.
	name := path.Base(src)
	tmp := dst + ".d"
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	if err := packager.Extract(ctx, rc, tmp, packager.ExtractOptions{MaxSize: maxSize}); err != nil {
		return false, err
	}
	fi, err := os.Lstat(filepath.Join(tmp, name))
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, errors.New("not a regular file in the toolchain image")
	}
	return true, os.Rename(filepath.Join(tmp, name), dst)
}

// writeCapstanImages writes the image directories from the kernel files in stage.
func writeCapstanImages(ctx context.Context, l resultdir.Layout, stage string, got map[string]bool, idx packager.LoaderIndex) error {
	img, err := os.Open(stagedKernelFile(stage, kernelLoaderImg))
	if err != nil {
		return err
	}
	defer img.Close()
	if err := packager.WriteLoader(ctx, l.Loader(), img, idx); err != nil {
		return err
	}
	mike := func(name string) string { return filepath.Join(l.Loader(), name) }
	if err := packager.WriteImage(ctx, l.CapstanImage(packager.OldLoaderImageName), idx, map[string]string{
		packager.LoaderImageFile: mike(packager.LoaderImageFile),
		packager.LoaderGzipFile:  mike(packager.LoaderGzipFile),
	}); err != nil {
		return err
	}
	// Current Capstan composes ZFS images by default, which boot only with a kernel whose bootfs
	// holds the ZFS library: the kernel relinked with ZFS when the image has it (it boots ROFS
	// images too), else the kernel as it is.
	current := map[string]string{packager.LoaderImageFile: mike(packager.LoaderImageFile)}
	prefix := ""
	if got[path.Join(zfsLoaderDir, kernelLoaderImg)] {
		prefix = zfsLoaderDir + "/"
		current[packager.LoaderImageFile] = stagedKernelFile(stage, prefix+kernelLoaderImg)
	}
	if got[prefix+kernelVmlinuz] {
		current[packager.VmlinuzFile] = stagedKernelFile(stage, prefix+kernelVmlinuz)
	}
	if got[prefix+kernelStripped] {
		current[packager.LoaderELFFile] = stagedKernelFile(stage, prefix+kernelStripped)
	}
	if err := packager.WriteImage(ctx, l.CapstanImage(packager.LoaderImageName), idx, current); err != nil {
		return err
	}
	builder := l.CapstanImage(packager.ZFSBuilderImageName)
	if !got[kernelZFSBuilder] {
		// A builder left by an earlier run would not match this kernel.
		return os.RemoveAll(builder)
	}
	zidx := idx
	zidx.Description = packager.ZFSBuilderDescription
	return packager.WriteImage(ctx, builder, zidx, map[string]string{
		packager.CapstanImageFile(packager.ZFSBuilderImageName): stagedKernelFile(stage, kernelZFSBuilder),
	})
}

// loaderRecord lists the files the loader stage delivered, with their checksums.
func newLoaderRecord(l resultdir.Layout, withBuilder bool) (*loaderRecord, error) {
	dirs := []string{l.Loader(), l.CapstanImage(packager.OldLoaderImageName), l.CapstanImage(packager.LoaderImageName)}
	if withBuilder {
		dirs = append(dirs, l.CapstanImage(packager.ZFSBuilderImageName))
	}
	rec := &loaderRecord{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			a, err := artifact(l, filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			rec.Files = append(rec.Files, a)
		}
	}
	loader, err := artifact(l, filepath.Join(l.Loader(), packager.LoaderImageFile))
	if err != nil {
		return nil, err
	}
	rec.Loader = loader
	if withBuilder {
		b, err := artifact(l, packager.CapstanImagePath(l.Root, packager.ZFSBuilderImageName))
		if err != nil {
			return nil, err
		}
		rec.ZFSBuilder = &b
	}
	return rec, nil
}

// artifact describes a file of the result directory.
func artifact(l resultdir.Layout, p string) (report.Artifact, error) {
	rel, err := l.Rel(p)
	if err != nil {
		return report.Artifact{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return report.Artifact{}, err
	}
	sum, err := fsutil.SHA256File(p)
	return report.Artifact{Path: rel, SHA256: sum, Size: fi.Size()}, err
}
