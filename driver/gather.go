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
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
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
	// Extracted with its top entry, so that what build.sh left at $PACKAGE_RESULT_DIR itself is
	// seen: the engine sends a symlink or a file there as it is.
	out := filepath.Join(stage, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return b.fail("gather", err)
	}
	if err := b.checkSpecialFiles(ctx, id); err != nil {
		return b.fail("gather", err)
	}
	resultDir := path.Join(containerResults, name)
	rc, err := r.Engine.CopyOut(ctx, id, resultDir)
	if errors.Is(err, engine.ErrNotFound) {
		return b.fail("gather", fmt.Errorf("$PACKAGE_RESULT_DIR is gone: build.sh removed %s", resultDir))
	}
	if err != nil {
		return b.fail("gather", err)
	}
	err = packager.Extract(ctx, rc, out, packager.ExtractOptions{MaxSize: r.Config.MaxPackageSize})
	rc.Close()
	if err != nil {
		return b.fail("gather", fmt.Errorf("result directory: %w", err))
	}
	tree := filepath.Join(out, name)
	if err := checkResultDir(tree, resultDir); err != nil {
		return b.fail("gather", err)
	}
	return b.packTree(ctx, stage, tree)
}

// packTree turns the result tree, extracted into the run's staging, into the package: it adds
// the recipe's meta/, reads and checks meta/package.yaml, packs, and installs. Everything it
// reads of the tree is read confined to it; nothing outside stage is opened.
func (b *recipeBuild) packTree(ctx context.Context, stage, tree string) error {
	r, name := b.run, b.recipe.Name
	if empty, err := emptyDir(tree); err != nil {
		return b.fail("gather", err)
	} else if empty && !b.shipsDescriptor() {
		return b.fail("gather", errors.New("the result directory is empty: build.sh put no files in $PACKAGE_RESULT_DIR"))
	}
	if err := b.addMeta(ctx, tree); err != nil {
		return b.fail("package", err)
	}
	// Read confined to the tree: meta/ or package.yaml may be links anywhere on the host.
	data, err := fsutil.ReadConfined(tree, recipe.MetaPackageYAML, packager.MaxMetaSize)
	if errors.Is(err, fs.ErrNotExist) {
		return b.fail("package", errors.New("meta/package.yaml: missing: build.sh must write it (capstan package init) or the recipe ship it in meta/"))
	}
	if err != nil {
		return b.fail("package", err)
	}
	pkg, err := b.parseDescriptor(data)
	if err != nil {
		return b.fail("package", err)
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
	st := resultdir.Staged{Tree: tree, MPM: mpm, Descriptor: desc}
	if err := b.attest(ctx, &st, stage, pkg.Version, r.Config.RunID, b.res.Start, time.Now()); err != nil {
		return b.fail("attest", err)
	}
	if err := ctx.Err(); err != nil {
		return b.fail("install", context.Cause(ctx))
	}
	if err := r.Layout.Install(name, st, stage); err != nil {
		return b.fail("install", err)
	}
	b.res.Package = &report.Artifact{Path: filepath.Join("packages", name+".mpm"), SHA256: digest.SHA256, Size: digest.Size}
	b.res.Evidence = supplyChainFiles(r.Layout, name, st.Signature != "")
	return nil
}

// checkSpecialFiles refuses a result holding sockets, named pipes or devices, by name, as listed
// inside the container by buildCommand.
func (b *recipeBuild) checkSpecialFiles(ctx context.Context, id string) error {
	// No list (the build failed before writing it): the result is checked when it is copied out.
	data, err := readFileFromContainer(ctx, b.run.Engine, id, specialFiles, 64<<10)
	if err != nil || len(data) == 0 {
		return nil
	}
	kinds := map[byte]string{'s': "a socket", 'p': "a named pipe (fifo)", 'b': "a block device", 'c': "a character device"}
	var found []string
	for _, entry := range strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00") {
		if len(entry) < 3 {
			continue
		}
		found = append(found, fmt.Sprintf("%q is %s", entry[2:], kinds[entry[0]]))
	}
	if len(found) == 0 {
		return nil
	}
	const shown = 10
	more := ""
	if len(found) > shown {
		more = fmt.Sprintf(" (and %d more)", len(found)-shown)
		found = found[:shown]
	}
	return fmt.Errorf("$PACKAGE_RESULT_DIR holds files a package cannot hold (only regular files, directories and symlinks): %s%s", strings.Join(found, ", "), more)
}

// parseDescriptor parses a package.yaml and checks it names the recipe. Errors name the file as
// it is inside the package: a staging path means nothing to users.
func (b *recipeBuild) parseDescriptor(data []byte) (*packager.Package, error) {
	pkg, err := packager.ParsePackage(data, "meta/package.yaml")
	if err != nil {
		return nil, err
	}
	if pkg.Name != b.recipe.Name {
		return nil, fmt.Errorf("meta/package.yaml: field \"name\": %q differs from the recipe name %q", pkg.Name, b.recipe.Name)
	}
	return pkg, nil
}

// shipsDescriptor reports whether the recipe ships meta/package.yaml itself.
func (b *recipeBuild) shipsDescriptor() bool {
	_, err := os.Lstat(filepath.Join(b.recipe.Dir, "meta", "package.yaml"))
	return err == nil
}

// checkShippedDescriptor checks, before anything runs, the meta/package.yaml a recipe ships: it
// replaces whatever build.sh writes, so a bad one would fail the build only after all its work.
func (b *recipeBuild) checkShippedDescriptor() error {
	if !b.shipsDescriptor() {
		return nil
	}
	p := filepath.Join(b.recipe.Dir, "meta", "package.yaml")
	fi, err := os.Stat(p) // a link inside the recipe is allowed (recipe validation checked it)
	if err == nil && fi.Size() > 1<<20 {
		err = fmt.Errorf("%d bytes, more than %d", fi.Size(), 1<<20)
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(p)
	}
	if err != nil {
		return fmt.Errorf("meta/package.yaml: %w", err)
	}
	_, err = b.parseDescriptor(data)
	return err
}

// checkResultDir insists that $PACKAGE_RESULT_DIR came back as a directory.
func checkResultDir(tree, resultDir string) error {
	fi, err := os.Lstat(tree)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the engine sent nothing for %s", resultDir)
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		link, _ := os.Readlink(tree)
		return fmt.Errorf("$PACKAGE_RESULT_DIR must stay a directory: build.sh replaced %s with a symlink to %q", resultDir, link)
	case !fi.IsDir():
		return fmt.Errorf("$PACKAGE_RESULT_DIR must stay a directory: build.sh replaced %s with a %s", resultDir, fsutil.Kind(fi.Mode()))
	}
	return nil
}

// emptyDir reports whether dir has no entries.
func emptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return len(names) == 0, err
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
func (b *recipeBuild) addMeta(ctx context.Context, tree string) error {
	if _, err := os.Lstat(filepath.Join(b.recipe.Dir, recipe.MetaDir)); os.IsNotExist(err) {
		return nil
	}
	return copyRecipeTree(ctx, b.recipe, recipe.MetaDir, filepath.Join(tree, recipe.MetaDir))
}

// copyRecipeTree copies the recipe's sub-directory sub to dest as a build sees it (recipe.Tree):
// a link inside the recipes directory is copied as what it points to, so that a package holds
// what the build container got. The destination may have come out of a container: a symlink
// found where a file or directory goes is replaced, never followed (the walk is top-down, so no
// parent of a target is a link).
func copyRecipeTree(ctx context.Context, rc *recipe.Recipe, sub, dest string) error {
	within := rc.Source
	if within == "" {
		within = filepath.Dir(rc.Dir)
	}
	t := recipe.Tree{Root: filepath.Join(rc.Dir, sub), Within: within}
	return t.Walk(ctx, func(e recipe.TreeEntry) error {
		target := filepath.Join(dest, filepath.FromSlash(e.Rel))
		if fi, err := os.Lstat(target); err == nil && (fi.Mode()&fs.ModeSymlink != 0 || fi.IsDir() != e.Mode.IsDir()) {
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
		if e.Mode.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return fsutil.CopyFile(e.Path, target, e.Mode, fsutil.CopyOptions{Replace: true})
	})
}
