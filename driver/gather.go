package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pkgdriver/pkgdriver/packager"
)

// gather copies the result out of the container, extracts it safely into staging, adds the
// recipe's meta/, validates and packs it, then installs it. Until the last step nothing in
// packages/ or intermediate/ changes, so a failure keeps the previous good package.
func (b *recipeBuild) gather(ctx context.Context, id string) error {
	r, name := b.run, b.recipe.Name
	stage := filepath.Join(r.Layout.Staging(r.Config.RunID), name)
	if err := os.RemoveAll(stage); err != nil {
		return b.fail("gather", err)
	}
	defer os.RemoveAll(stage)
	tree := filepath.Join(stage, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return b.fail("gather", err)
	}
	rc, err := r.Runner.CopyOut(ctx, id, path.Join(containerResults, name))
	if err != nil {
		return b.fail("gather", err)
	}
	err = packager.Extract(ctx, rc, tree, packager.ExtractOptions{StripComponents: 1, MaxSize: r.Config.MaxPackageSize})
	rc.Close()
	if err != nil {
		return b.fail("gather", fmt.Errorf("result directory: %w", err))
	}
	if err := b.addMeta(tree); err != nil {
		return b.fail("package", err)
	}
	descPath := filepath.Join(tree, "meta", "package.yaml")
	if _, err := os.Lstat(descPath); os.IsNotExist(err) {
		return b.fail("package", errors.New("meta/package.yaml: missing: build.sh must write it (capstan package init) or the recipe ship it in meta/"))
	}
	data, err := readLimited(descPath, 1<<20)
	if err != nil {
		return b.fail("package", fmt.Errorf("meta/package.yaml: %w", err))
	}
	// Parsed under its name inside the package: the staging path means nothing to users.
	pkg, err := packager.ParsePackage(data, "meta/package.yaml")
	if err != nil {
		return b.fail("package", err)
	}
	if pkg.Name != name {
		return b.fail("package", fmt.Errorf("meta/package.yaml: field \"name\": %q differs from the recipe name %q", pkg.Name, name))
	}
	mpm := filepath.Join(stage, name+".mpm")
	digest, err := packager.PackFile(ctx, tree, mpm, packager.PackOptions{
		Name: name, ModTime: r.packageTime(pkg), MaxSize: r.Config.MaxPackageSize,
	})
	if err != nil {
		return b.fail("package", err)
	}
	desc := filepath.Join(stage, name+".yaml")
	if err := packager.WriteDescriptor(desc, pkg); err != nil {
		return b.fail("package", err)
	}
	if err := ctx.Err(); err != nil {
		return b.fail("install", context.Cause(ctx))
	}
	if err := r.Layout.Install(name, staged{Tree: tree, MPM: mpm, Descriptor: desc}, stage); err != nil {
		return b.fail("install", err)
	}
	b.res.Package = &Artifact{Path: filepath.Join("packages", name+".mpm"), SHA256: digest.SHA256, Size: digest.Size}
	return nil
}

// readLimited reads a small regular file that came out of a container.
func readLimited(path string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, more than %d", fi.Size(), limit)
	}
	return os.ReadFile(path)
}

// sourceDateEpoch is SOURCE_DATE_EPOCH when the caller set it, else the OSv commit time.
func (r *Run) sourceDateEpoch() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC()
		}
	}
	return r.Toolchain.CommitTime
}

// packageTime is the one mtime of every entry of a package: SOURCE_DATE_EPOCH when set, else the
// package's created time, else the OSv commit time, so the same inputs give the same bytes.
func (r *Run) packageTime(pkg *packager.Package) time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC()
		}
	}
	for _, layout := range []string{packager.CreatedLayout, "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, pkg.Created); err == nil {
			return t.UTC()
		}
	}
	return r.Toolchain.CommitTime
}

// addMeta copies the recipe's meta/ over the package's meta/, as the contract says.
func (b *recipeBuild) addMeta(tree string) error {
	src := filepath.Join(b.recipe.Dir, "meta")
	if _, err := os.Lstat(src); os.IsNotExist(err) {
		return nil
	}
	return copyTree(src, tree, "meta")
}

// copyTree copies regular files, directories and symlinks (as links) from src to root/sub.
// The destination came out of a container: a symlink found where a file or directory goes is
// replaced, never followed (the walk is top-down, so no parent of a target is a link).
func copyTree(src, root, sub string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(root, sub, rel)
		if fi, err := os.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if err := os.Remove(target); err != nil {
				return err
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_ = os.Remove(target)
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			return copyFile(p, target, info.Mode())
		default:
			return fmt.Errorf("%s: unsupported file type %s", p, info.Mode().Type())
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	perm := fs.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	_ = os.Remove(dst) // never write through whatever the result put there
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
