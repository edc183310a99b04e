package driver

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// fuzzTreeNames and fuzzLinkTargets are what a fuzzed result tree is made of: the paths the host
// reads (meta/package.yaml, meta/run.yaml), and links to a host directory, its files, a FIFO,
// /dev/zero, and inside the tree.
var (
	fuzzTreeNames = []string{"meta", "meta/package.yaml", "meta/run.yaml", "meta/README.md", "usr",
		"usr/lib", "usr/lib/x.so", "meta.real", "meta.real/package.yaml", "a", "a/b"}
	fuzzLinkTargets = []string{"OUTSIDE", "OUTSIDE/secret", "OUTSIDE/fifo", "OUTSIDE/pkg", "OUTSIDE/pkg/package.yaml",
		"/dev/zero", "meta.real", "../../../../../../outside/secret", ".", "..", "/"}
)

// FuzzHostReadsOfRecipeOutput builds result trees with links, FIFOs and sockets, and runs what the
// host does with a recipe's output: the demo's reads (meta/run.yaml, merging the package into an
// image root) and gather's (the recipe's meta/ added, meta/package.yaml read, packed, installed).
// Whatever the tree, nothing outside the staging root is opened: an inotify watch on the host
// directory the links point at sees no event, and nothing blocks.
func FuzzHostReadsOfRecipeOutput(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 1, 0, 2, 2, 1})       // meta/, a package.yaml, run.yaml -> host secret
	f.Add([]byte{2, 0, 0})                         // meta -> host directory
	f.Add([]byte{2, 0, 3, 0, 7, 0, 1, 8, 0})       // meta -> host dir with a package.yaml; meta.real
	f.Add([]byte{0, 0, 0, 1, 1, 0, 3, 2, 0})       // run.yaml is a FIFO
	f.Add([]byte{0, 0, 0, 1, 1, 0, 2, 2, 5})       // run.yaml -> /dev/zero
	f.Add([]byte{0, 7, 0, 1, 8, 0, 2, 0, 6})       // meta -> meta.real
	f.Add([]byte{0, 0, 0, 1, 1, 0, 4, 3, 0})       // a socket
	f.Add([]byte{0, 4, 0, 2, 5, 2, 0, 0, 0, 1, 1}) // usr/lib -> host FIFO
	f.Fuzz(func(t *testing.T, spec []byte) {
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		mustMkdir(t, filepath.Join(outside, "pkg"))
		mustWrite(t, filepath.Join(outside, "secret"), "host secret\n")
		mustWrite(t, filepath.Join(outside, "pkg", "package.yaml"), "name: fuzz\ntitle: host\nauthor: host\n")
		if err := syscall.Mkfifo(filepath.Join(outside, "fifo"), 0o644); err != nil {
			t.Fatal(err)
		}
		layout := resultdir.Layout{Root: filepath.Join(base, "result")}
		if err := layout.Create(); err != nil {
			t.Fatal(err)
		}
		stage := filepath.Join(layout.Staging("fuzz-run"), "fuzz")
		tree := filepath.Join(stage, "out", "fuzz")
		mustMkdir(t, tree)
		sockets := buildFuzzTree(t, tree, outside, spec)
		defer closeAll(sockets)
		recipeDir := filepath.Join(base, "recipes", "fuzz")
		mustWrite(t, filepath.Join(recipeDir, "meta", "README.md"), "# fuzz\n")

		watch := watchDirs(t, outside, filepath.Join(outside, "pkg"))
		defer unix.Close(watch)

		// The demo's side: run.yaml, and the package merged into an image root.
		_, _ = fsutil.ReadConfined(tree, packager.RunFile, packager.MaxMetaSize)
		_ = mergeTree(context.Background(), tree, filepath.Join(stage, "root"))
		// gather's side.
		b := &recipeBuild{
			run:    &Run{Config: &Config{RunID: "fuzz-run", MaxPackageSize: 1 << 20}, Layout: layout, Toolchain: &Toolchain{}, Catalog: &recipe.Catalog{}},
			recipe: &recipe.Recipe{Name: "fuzz", Dir: recipeDir, HasMeta: true},
			res:    &report.RecipeResult{Name: "fuzz"},
		}
		_ = b.packTree(context.Background(), stage, tree)

		if ev := drainEvents(t, watch); len(ev) > 0 {
			t.Fatalf("something outside the staging root was touched: %v", ev)
		}
	})
}

// buildFuzzTree makes tree from spec, three bytes an entry: kind (directory, file, symlink, FIFO,
// socket), name, link target. Entries whose parent is not a directory are skipped.
func buildFuzzTree(t *testing.T, tree, outside string, spec []byte) []net.Listener {
	var sockets []net.Listener
	for i := 0; i+2 < len(spec) && i < 3*32; i += 3 {
		name := filepath.Join(tree, fuzzTreeNames[int(spec[i+1])%len(fuzzTreeNames)])
		if fi, err := os.Lstat(filepath.Dir(name)); err != nil || !fi.IsDir() {
			continue
		}
		if _, err := os.Lstat(name); err == nil {
			continue
		}
		switch spec[i] % 5 {
		case 0:
			_ = os.Mkdir(name, 0o755)
		case 1:
			content := "data\n"
			if filepath.Base(name) == "package.yaml" {
				content = "name: fuzz\ntitle: T\nauthor: A\n"
			}
			_ = os.WriteFile(name, []byte(content), 0o644)
		case 2:
			target := fuzzLinkTargets[int(spec[i+2])%len(fuzzLinkTargets)]
			if rest, ok := strings.CutPrefix(target, "OUTSIDE"); ok {
				target = outside + rest
			}
			_ = os.Symlink(target, name)
		case 3:
			_ = syscall.Mkfifo(name, 0o644)
		case 4:
			if l, err := net.Listen("unix", name); err == nil {
				sockets = append(sockets, l)
			}
		}
	}
	return sockets
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// watchDirs starts an inotify watch for every event on the directories and their entries.
func watchDirs(t *testing.T, dirs ...string) int {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skipf("no inotify: %v", err)
	}
	for _, d := range dirs {
		if _, err := unix.InotifyAddWatch(fd, d, unix.IN_ALL_EVENTS); err != nil {
			unix.Close(fd)
			t.Fatal(err)
		}
	}
	return fd
}

// drainEvents reads the pending inotify events as "mask name" strings.
func drainEvents(t *testing.T, fd int) []string {
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EAGAIN) || n <= 0 {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameLen := int(ev.Len)
			name := string(trimNUL(buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+nameLen]))
			out = append(out, eventString(ev.Mask)+" "+name)
			off += unix.SizeofInotifyEvent + nameLen
		}
	}
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func eventString(mask uint32) string {
	names := map[uint32]string{unix.IN_OPEN: "open", unix.IN_ACCESS: "read", unix.IN_MODIFY: "write",
		unix.IN_CREATE: "create", unix.IN_DELETE: "delete", unix.IN_ATTRIB: "attrib", unix.IN_CLOSE_WRITE: "close",
		unix.IN_CLOSE_NOWRITE: "close", unix.IN_MOVED_FROM: "move", unix.IN_MOVED_TO: "move"}
	s := ""
	for bit, n := range names {
		if mask&bit != 0 {
			s += n + ","
		}
	}
	return s
}

func mustMkdir(t *testing.T, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, file, content string) {
	mustMkdir(t, filepath.Dir(file))
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
