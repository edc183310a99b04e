package packager

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Where current Capstan (cloudius-systems/capstan, util/repository.go) keeps images: under
// CAPSTAN_ROOT, repository/<name>/<last element of name>.<hypervisor>, with index.yaml beside.
// Packages are in CAPSTAN_ROOT/packages.
const (
	// CapstanRepositoryDir is the directory under CAPSTAN_ROOT that holds the images.
	CapstanRepositoryDir = "repository"
	// LoaderImageName is Capstan's LoaderImageName: the loader `capstan package compose` uses
	// without -l (it downloads it from GitHub when it is missing).
	LoaderImageName = "osv-loader"
	// OldLoaderImageName is the loader the 2017 build container delivered, for `-l mike/osv-loader`.
	OldLoaderImageName = "mike/osv-loader"
	// ZFSBuilderImageName is Capstan's ZfsBuilderImageName: the OSv kernel Capstan boots with
	// `qemu -kernel` to create and fill the ZFS file system of a `--fs zfs` (default) compose.
	ZFSBuilderImageName = "osv-zfs-builder"
	// VmlinuzFile is Capstan's VmlinuzLoaderName, read from the loader's directory: OSv's
	// vmlinuz.bin, the kernel Capstan boots under HyperKit.
	VmlinuzFile = "osv-vmlinuz.bin"
	// LoaderELFFile is OSv's loader-stripped.elf, the kernel Firecracker boots, named as OSv's
	// own scripts/build-capstan-mpm-packages names it beside the loader.
	LoaderELFFile = "osv-loader.elf"
)

// ZFSBuilderDescription is the description of the ZFS builder's index.yaml.
const ZFSBuilderDescription = "OSv ZFS builder"

// CapstanImageFile is the file name of image name for QEMU, as Capstan forms it.
func CapstanImageFile(name string) string { return path.Base(name) + ".qemu" }

// CapstanImagePath is where Capstan looks for image name (such as LoaderImageName) for QEMU
// when CAPSTAN_ROOT is root.
func CapstanImagePath(root, name string) string {
	return filepath.Join(root, CapstanRepositoryDir, filepath.FromSlash(name), CapstanImageFile(name))
}

// WriteImage makes dir an image directory of a Capstan repository: index.yaml from idx, and
// for each entry of files the existing file it names, under the entry's name, hard-linked
// where the file system allows and copied otherwise (so several image directories holding
// the same kernel cost its size once). Files are made mode 0644. Like WriteLoader, dir is
// filled beside its place and swapped in whole.
func WriteImage(ctx context.Context, dir string, idx LoaderIndex, files map[string]string) error {
	index, err := idx.marshal()
	if err != nil {
		return fmt.Errorf("writing image %s: %w", filepath.Base(dir), err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if name != filepath.Base(name) || name == LoaderIndexFile || name == "." || name == ".." {
			return fmt.Errorf("writing image %s: %q is not a file name of its own", filepath.Base(dir), name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	err = writeDirAtomic(dir, func(tmp string) error {
		for _, name := range names {
			if err := linkOrCopy(ctx, files[name], filepath.Join(tmp, name)); err != nil {
				return err
			}
		}
		return writeSynced(filepath.Join(tmp, LoaderIndexFile), index)
	})
	if err != nil {
		return fmt.Errorf("writing image %s: %w", filepath.Base(dir), err)
	}
	return nil
}

// linkOrCopy makes dst (new) the regular file src: a hard link, or a synced copy where linking
// fails (another file system, or one without hard links).
func linkOrCopy(ctx context.Context, src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if os.Link(src, dst) == nil {
		return os.Chmod(dst, 0o644)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = copyWithContext(ctx, out, io.Reader(in), make([]byte, copyBufferSize))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}
