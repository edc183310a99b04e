package driver_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"gopkg.in/yaml.v3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

// capstanIndex is what Capstan reads from an image's index.yaml (util.FileInfo; `created` in
// its "friendly" layout or RFC 3339).
type capstanIndex struct {
	Description string `yaml:"description"`
	Version     string `yaml:"version"`
	Created     string `yaml:"created"`
	Platform    string `yaml:"platform"`
}

// checkCapstanLayout checks that a result directory holds the kernel where old and current
// Capstan look for it, with CAPSTAN_ROOT at the result directory (repository/osv-loader,
// repository/mike/osv-loader, repository/osv-zfs-builder) and as the old container left it
// (mike/osv-loader), the copies of the loader hard links of one file.
func checkCapstanLayout(t *testing.T, result string, rep *report.Report) {
	t.Helper()
	files := map[string][]string{
		"mike/osv-loader":            {"index.yaml", "osv-loader.qemu", "osv-loader.qemu.gz"},
		"repository/mike/osv-loader": {"index.yaml", "osv-loader.qemu", "osv-loader.qemu.gz"},
		"repository/osv-loader":      {"index.yaml", "osv-loader.elf", "osv-loader.qemu", "osv-vmlinuz.bin"},
		"repository/osv-zfs-builder": {"index.yaml", "osv-zfs-builder.qemu"},
	}
	for dir, want := range files {
		entries, err := os.ReadDir(filepath.Join(result, dir))
		assert.NilError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.Check(t, is.DeepEqual(names, want), dir)

		var idx capstanIndex
		assert.NilError(t, yaml.Unmarshal([]byte(readFile(t, filepath.Join(result, dir, "index.yaml"))), &idx))
		assert.Check(t, is.Equal(idx.Version, rep.Toolchain.ShortCommit()), dir)
		assert.Check(t, is.Equal(idx.Platform, "Debian-12"), dir)
		_, err = time.Parse("2006-01-02 15:04", idx.Created)
		assert.Check(t, err, dir)
		wantDesc := "OSv Bootloader"
		if dir == "repository/osv-zfs-builder" {
			wantDesc = "OSv ZFS builder"
		}
		assert.Check(t, is.Equal(idx.Description, wantDesc), dir)
	}

	loader, err := os.Stat(filepath.Join(result, "mike", "osv-loader", "osv-loader.qemu"))
	assert.NilError(t, err)
	fi, err := os.Stat(filepath.Join(result, "repository/mike/osv-loader/osv-loader.qemu"))
	assert.NilError(t, err)
	assert.Check(t, os.SameFile(loader, fi), "repository/mike/osv-loader/osv-loader.qemu is not a hard link of mike/osv-loader/osv-loader.qemu")
	// Current Capstan's loader is the kernel relinked with ZFS (the stand-in's says so in its
	// default command line); the old one is the kernel as it was built.
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "repository/osv-loader/osv-loader.qemu")), "--rootfs=zfs /native-example\x00"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "mike/osv-loader/osv-loader.qemu")), "--rootfs=rofs /native-example\x00"))
	builder := readFile(t, filepath.Join(result, "repository", "osv-zfs-builder", "osv-zfs-builder.qemu"))
	assert.Check(t, is.Contains(builder, "OSv stand-in ZFS builder "+testutil.StandinVersion))
	assert.Check(t, strings.HasPrefix(readFile(t, filepath.Join(result, "repository", "osv-loader", "osv-loader.elf")), "\x7fELF"))
	assert.Check(t, rep.ZFSBuilder != nil && rep.ZFSBuilder.Path == "repository/osv-zfs-builder/osv-zfs-builder.qemu", "%+v", rep.ZFSBuilder)
	assert.Check(t, rep.Loader != nil && rep.Loader.Path == "mike/osv-loader/osv-loader.qemu", "%+v", rep.Loader)
}

// TestComposeWithCapstanPaths uses a run's result directory the way current Capstan does with
// CAPSTAN_ROOT pointing at it: the loader found by Capstan's default name (no -l), the package
// and its run.yaml from packages/. The image is composed with pkgdriver's own compose and booted
// under QEMU (TCG here) in a container from the toolchain image. Run again with nothing
// changed, the loader stage keeps what it delivered.
func TestComposeWithCapstanPaths(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "greeter", script(`cp program "$PACKAGE_RESULT_DIR/greeter"`, packageInit), map[string]string{
		"program":       standinProgram("Hello from $1", "composed from CAPSTAN_ROOT"),
		"meta/run.yaml": "runtime: native\nconfig_set:\n  default:\n    bootcmd: /greeter $WHO\n    env:\n      WHO: capstan\nconfig_set_default: default\n",
	})
	cfg, out := testConfig(t, recipes, result)
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err, out.String())
	assert.Equal(t, resultOf(t, rep, "greeter").Status, report.StatusBuilt)
	checkCapstanLayout(t, result, rep)

	// Exactly the path Capstan's getLoaderImageInfo forms for its LoaderImageName.
	loader := packager.CapstanImagePath(result, packager.LoaderImageName)
	assert.Equal(t, loader, filepath.Join(result, "repository", "osv-loader", "osv-loader.qemu"))
	pkg, err := os.Open(filepath.Join(result, "packages", "greeter.mpm"))
	assert.NilError(t, err)
	defer pkg.Close()
	root := t.TempDir()
	assert.NilError(t, packager.Extract(ctx, pkg, root, packager.ExtractOptions{PackageRooted: true}))
	runData, err := os.ReadFile(filepath.Join(root, "meta", "run.yaml"))
	assert.NilError(t, err)
	runCfg, err := packager.ParseRunConfig(runData, "greeter:meta/run.yaml")
	assert.NilError(t, err)
	cmdline, err := runCfg.Resolve("", nil)
	assert.NilError(t, err)
	assert.NilError(t, os.RemoveAll(filepath.Join(root, "meta")))
	image := filepath.Join(t.TempDir(), "app.raw")
	assert.NilError(t, packager.Compose(ctx, loader, root, "--rootfs=rofs "+cmdline, image))

	console := bootImage(t, rep.Toolchain.ID, image)
	assert.Check(t, is.Contains(console, "OSv "+testutil.StandinVersion), console)
	assert.Check(t, is.Contains(console, "Hello from capstan"), console)
	assert.Check(t, is.Contains(console, "composed from CAPSTAN_ROOT"), console)

	// Nothing changed: the second run delivers nothing anew (same files, same inodes).
	before, err := os.Stat(filepath.Join(result, "repository", "osv-zfs-builder", "osv-zfs-builder.qemu"))
	assert.NilError(t, err)
	cfg2, _ := testConfig(t, recipes, result)
	rep2, err := execute(t, ctx, api, cfg2)
	assert.NilError(t, err)
	checkCapstanLayout(t, result, rep2)
	after, err := os.Stat(filepath.Join(result, "repository", "osv-zfs-builder", "osv-zfs-builder.qemu"))
	assert.NilError(t, err)
	assert.Check(t, os.SameFile(before, after), "the ZFS builder was written again")

	// A damaged copy is noticed and the images are delivered again.
	assert.NilError(t, os.Remove(filepath.Join(result, "repository", "osv-loader", "osv-vmlinuz.bin")))
	cfg3, _ := testConfig(t, recipes, result)
	rep3, err := execute(t, ctx, api, cfg3)
	assert.NilError(t, err)
	checkCapstanLayout(t, result, rep3)
}

// bootImage boots a raw disk image under QEMU in a container from the toolchain image and
// returns the console.
func bootImage(t *testing.T, toolchain, image string) string {
	t.Helper()
	ctx := context.Background()
	run := docker.Wrap(testutil.Engine(t))
	id, err := run.Create(ctx, engine.ContainerSpec{
		Image: toolchain, NoNetwork: true, Labels: map[string]string{driver.LabelRun: "test-capstan-paths"},
		Cmd: []string{"timeout", "60", "qemu-system-x86_64", "-m", "64M", "-nographic", "-no-reboot", "-nodefaults",
			"-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			"-drive", "file=/app.raw,format=raw,if=none,id=hd0", "-device", "virtio-blk-pci,drive=hd0,bootindex=0"},
	})
	assert.NilError(t, err)
	defer run.Remove(context.Background(), id)
	data, err := os.ReadFile(image)
	assert.NilError(t, err)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	assert.NilError(t, tw.WriteHeader(&tar.Header{Name: "app.raw", Mode: 0o644, Size: int64(len(data))}))
	_, err = tw.Write(data)
	assert.NilError(t, err)
	assert.NilError(t, tw.Close())
	assert.NilError(t, run.CopyIn(ctx, id, "/", &buf))
	var out bytes.Buffer
	_, err = run.Run(ctx, id, &out, &out)
	assert.NilError(t, err)
	return out.String()
}

// TestLoaderWithoutZFSBuilder: an OSv tree whose Makefile has no ZFS builder target (OSv before
// 0.55), or whose builder fails to build, still gives a toolchain and the loaders; no ZFS
// builder is delivered, and one left by an earlier run (of another kernel) is removed rather
// than kept beside a kernel it does not match.
func TestLoaderWithoutZFSBuilder(t *testing.T) {
	api := testutil.Engine(t)
	for _, tc := range []struct {
		name     string
		makefile string // "": no Makefile
		log      string
	}{
		{name: "no target", log: "this OSv tree has no ZFS builder target"},
		{name: "build fails", makefile: "out = build/release.x64\n\n$(out)/zfs_builder-stripped.elf:\n\techo broken builder; exit 2\n",
			log: "building OSv's ZFS builder failed (above); none is delivered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			recipes, result := t.TempDir(), t.TempDir()
			testutil.Recipe(t, recipes, "plain", script(packageInit), nil)
			stale := filepath.Join(result, "repository", "osv-zfs-builder", "osv-zfs-builder.qemu")
			assert.NilError(t, os.MkdirAll(filepath.Dir(stale), 0o755))
			assert.NilError(t, os.WriteFile(stale, []byte("a builder of another kernel"), 0o644))

			cfg, out := testConfig(t, recipes, result)
			osv := cfg.Image.OSVSrc
			if tc.makefile == "" {
				assert.NilError(t, os.Remove(filepath.Join(osv, "Makefile")))
			} else {
				assert.NilError(t, os.WriteFile(filepath.Join(osv, "Makefile"), []byte(tc.makefile), 0o644))
			}
			made := commitOwnTree(t, api, osv, nil, "OSv stand-in: "+tc.name)
			rep, err := execute(t, ctx, api, cfg)
			assert.NilError(t, err, out.String())
			*made = append(*made, toolchainRecordImages(rep.Toolchain)...)
			assert.Equal(t, resultOf(t, rep, "plain").Status, report.StatusBuilt)
			assert.Check(t, !rep.Toolchain.Reused && !rep.Toolchain.KernelReused)
			assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "toolchain.log")), tc.log))
			_, err = os.Stat(filepath.Dir(stale))
			assert.Check(t, os.IsNotExist(err), "the stale ZFS builder is still there")
			assert.Check(t, rep.ZFSBuilder == nil, "%+v", rep.ZFSBuilder)
			for _, p := range []string{"mike/osv-loader/osv-loader.qemu", "repository/osv-loader/osv-loader.qemu", "repository/mike/osv-loader/osv-loader.qemu"} {
				_, err := os.Stat(filepath.Join(result, p))
				assert.Check(t, err)
			}
		})
	}
}

// commitOwnTree writes files (path: content) and a file naming this test run into the stand-in
// checkout osv and commits them all, so the toolchain of this tree is built, never an earlier
// run's kernel image reused (whose log would hold only the capstan build). It returns the list
// of images the test adds to, removed when the test ends: no later run reuses them.
func commitOwnTree(t *testing.T, api client.APIClient, osv string, files map[string]string, msg string) *[]string {
	t.Helper()
	all := map[string]string{"test-run": fmt.Sprintf("test run %d\n", time.Now().UnixNano())}
	for name, data := range files {
		all[name] = data
	}
	for name, data := range all {
		assert.NilError(t, os.MkdirAll(filepath.Join(osv, filepath.Dir(name)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(osv, name), []byte(data), 0o644))
	}
	add := exec.Command("git", "add", "-A")
	add.Dir = osv
	assert.NilError(t, add.Run())
	gitCommit(t, osv, "-m", msg)
	made := &[]string{}
	removeImagesAtEnd(t, api, made)
	return made
}

// gitCommit commits in a stand-in checkout with the fixed author and date of testutil.StandinOSv.
func gitCommit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"commit", "-q", "--no-gpg-sign"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=pkgdriver-tests", "GIT_AUTHOR_EMAIL=tests@pkgdriver.invalid",
		"GIT_COMMITTER_NAME=pkgdriver-tests", "GIT_COMMITTER_EMAIL=tests@pkgdriver.invalid",
		"GIT_AUTHOR_DATE=@1704164645 +0000", "GIT_COMMITTER_DATE=@1704164645 +0000")
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
}

// TestCapstanZFSBuilderLayout: Capstan fills a ZFS image with cpiod --prefix /zfs/zfs, so the
// delivered ZFS builder must mount the dataset the loader boots there. The toolchain reads which
// one that is from OSv's own upload (scripts/upload_manifest.py): the pool's root dataset
// (--prefix /zfs/, OSv since 0e34e4dc) gets a builder whose mkfs uses the altroot /zfs/zfs, while
// OSv's own builder and mkfs.cc stay as they were; osv/zfs (--prefix /zfs/zfs/, Capstan's layout)
// gets OSv's builder as it is; anything else, or a mkfs.cc the toolchain cannot change, gets
// none. The stand-in's builder names the altroot of its tree's mkfs.cc.
func TestCapstanZFSBuilderLayout(t *testing.T) {
	api := testutil.Engine(t)
	mkfs := func(altroot string) string {
		return `    vector<string> zpool_args = {"zpool", "create", "-f", "-R", "` + altroot + `", "osv", dev_name};` + "\n"
	}
	for _, tc := range []struct {
		name, prefix string
		altroot      string // the tree's mkfs.cc's
		delivered    string // the altroot of the delivered builder; "": none delivered
		log          string
	}{
		{name: "root dataset", prefix: "/zfs/", altroot: "/zfs", delivered: "/zfs/zfs",
			log: "OSv fills the pool's root dataset (--prefix /zfs/): Capstan's ZFS builder mounts it at /zfs/zfs"},
		{name: "osv/zfs", prefix: "/zfs/zfs/", altroot: "/zfs", delivered: "/zfs"},
		{name: "other prefix", prefix: "/data/", altroot: "/zfs",
			log: "OSv fills its ZFS pool under /data/, Capstan under /zfs/zfs: no ZFS builder is delivered"},
		{name: "mkfs unchangeable", prefix: "/zfs/", altroot: "/pool",
			log: "building the ZFS builder with Capstan's layout failed (mkfs.cc above); none is delivered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			recipes, result := t.TempDir(), t.TempDir()
			testutil.Recipe(t, recipes, "plain", script(packageInit), nil)
			cfg, out := testConfig(t, recipes, result)
			osv := cfg.Image.OSVSrc
			upload := "zfs_builder_cmd = ('--norandom --nomount --noinit --preload-zfs-library '\n" +
				"    '/tools/mkfs.so; /tools/cpiod.so --prefix " + tc.prefix + "; '\n" +
				"    '/zfs.so set compression=off osv')\n"
			made := commitOwnTree(t, api, osv, map[string]string{"scripts/upload_manifest.py": upload, "tools/mkfs/mkfs.cc": mkfs(tc.altroot)}, "OSv stand-in: "+tc.name)
			rep, err := execute(t, ctx, api, cfg)
			assert.NilError(t, err, out.String())
			*made = append(*made, toolchainRecordImages(rep.Toolchain)...)
			assert.Equal(t, resultOf(t, rep, "plain").Status, report.StatusBuilt)
			assert.Check(t, !rep.Toolchain.Reused)
			log := readFile(t, filepath.Join(result, "log", "toolchain.log"))
			if tc.log != "" {
				assert.Check(t, is.Contains(log, tc.log))
			}
			// The variants for Capstan were undone from the copy, not by building again.
			undone := []string{"loader with ZFS"}
			if tc.name == "root dataset" || tc.name == "mkfs unchangeable" {
				undone = append(undone, "builder with Capstan's layout")
			}
			for _, v := range undone {
				re := regexp.MustCompile(`pkgdriver: the ` + regexp.QuoteMeta(v) + ` wrote [0-9]+ files, put back from the copy`)
				assert.Check(t, re.MatchString(log), "%s not put back from the copy:\n%s", v, log)
			}

			builder := filepath.Join(result, "repository", "osv-zfs-builder", "osv-zfs-builder.qemu")
			if tc.delivered == "" {
				_, err := os.Stat(filepath.Dir(builder))
				assert.Check(t, os.IsNotExist(err), "a ZFS builder was delivered")
				assert.Check(t, rep.ZFSBuilder == nil, "%+v", rep.ZFSBuilder)
			} else {
				assert.Check(t, strings.Contains(readFile(t, builder), "pool altroot "+tc.delivered+"\x00"),
					"the delivered builder's mkfs does not use the altroot %s", tc.delivered)
				checkCapstanLayout(t, result, rep)
			}
			// OSv's own builder and mkfs.cc in the image are as the tree made them.
			own := catInImage(t, rep.Toolchain.ID, "/osv/build/release/zfs_builder-stripped.elf", "/osv/tools/mkfs/mkfs.cc")
			assert.Check(t, strings.Contains(own, "pool altroot "+tc.altroot+"\x00"),
				"OSv's own builder in the image does not use its mkfs.cc's altroot %s", tc.altroot)
			assert.Check(t, strings.HasSuffix(own, mkfs(tc.altroot)), "mkfs.cc in the image:\n%s", own)
		})
	}
}

// catInImage returns the files concatenated, as cat prints them in a container of image.
func catInImage(t *testing.T, image string, files ...string) string {
	t.Helper()
	ctx := context.Background()
	run := docker.Wrap(testutil.Engine(t))
	id, err := run.Create(ctx, engine.ContainerSpec{
		Image: image, NoNetwork: true, Labels: map[string]string{engine.LabelRun: "test-cat-in-image"},
		Cmd: append([]string{"cat"}, files...),
	})
	assert.NilError(t, err)
	defer run.Remove(context.Background(), id)
	var out, errOut bytes.Buffer
	exit, err := run.Run(ctx, id, &out, &errOut)
	assert.NilError(t, err)
	assert.Equal(t, exit.Code, 0, errOut.String())
	return out.String()
}
