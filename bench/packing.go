package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pkgdriver/pkgdriver/packager"
)

// packingCompressor is what packager/pack.go uses (read from its source: gzipLevel and the
// import of github.com/klauspost/compress/gzip); the bench cannot ask the package.
const packingCompressor = "gzip level 6 (github.com/klauspost/compress/gzip, one stream, in process)"

// measurePacking is metric 5: packager.PackFile of a mixed package tree against GNU tar piping
// to gzip at its default level 6 (`tar -czf`), in throughput of input bytes.
func measurePacking(ctx context.Context, e *env) ([]Row, error) {
	dir, err := e.dir("pack")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	tree := filepath.Join(dir, "tree")
	e.step("packing: writing a %d MB mixed package tree", e.scale.PackMB)
	info, err := writePackTree(ctx, tree, e.scale.PackMB)
	if err != nil {
		return nil, err
	}
	if err := readTree(tree); err != nil {
		return nil, err
	}
	syscall.Sync()
	mpm, tgz := filepath.Join(dir, "out.mpm"), filepath.Join(dir, "out.tar.gz")
	packOnce := func() (time.Duration, int64, error) {
		start := time.Now()
		d, err := packager.PackFile(ctx, tree, mpm, packager.PackOptions{Name: "bench-pack", ModTime: time.Unix(1704164645, 0)})
		return time.Since(start), d.Size, err
	}
	tarOnce := func() (time.Duration, int64, error) {
		t, err := e.shell(ctx, "pack-tar", `tar -czf "$OUT" -C "$TREE" .`, map[string]string{"OUT": tgz, "TREE": tree, "GZIP": ""})
		if err != nil {
			return 0, 0, err
		}
		fi, err := os.Stat(tgz)
		if err != nil {
			return 0, 0, err
		}
		return t, fi.Size(), nil
	}
	var pkg, base []float64
	var pkgSize, tarSize int64
	for i := 0; i < e.scale.Reps; i++ {
		e.step("packing %d/%d: %d files, %.0f MB", i+1, e.scale.Reps, info.Files, float64(info.Bytes)/1e6)
		// Alternate which goes first, so neither always meets a cache the other warmed.
		order := []string{"pkgdriver", "tar"}
		if i%2 == 1 {
			order = []string{"tar", "pkgdriver"}
		}
		for _, who := range order {
			var t time.Duration
			var size int64
			var err error
			if who == "pkgdriver" {
				t, size, err = packOnce()
				pkg, pkgSize = append(pkg, float64(info.Bytes)/1e6/secs(t)), size
			} else {
				t, size, err = tarOnce()
				base, tarSize = append(base, float64(info.Bytes)/1e6/secs(t)), size
			}
			if err != nil {
				return nil, err
			}
			os.Remove(mpm)
			os.Remove(tgz)
			syscall.Sync() // neither side pays for the other's dirty pages
		}
	}
	p, b := median(pkg), median(base)
	return []Row{{
		ID:     "pack",
		Metric: fmt.Sprintf("packing: %.0f MB mixed tree (%d files)", float64(info.Bytes)/1e6, info.Files),
		Unit:   "MB/s", Pkgdriver: p, Baseline: b, Ratio: ratio(p, b),
		RatioMeans: "throughput of packager.PackFile / throughput of `tar -czf` (GNU tar, gzip -6)",
		Targets:    []Target{{On: "ratio", Op: ">=", Value: 1.0}},
		Note: fmt.Sprintf("pkgdriver packs with %s; baseline %s piping to %s at its default level 6. Output %.0f MB (.mpm) vs %.0f MB (.tar.gz). Tree: 40%% small text files, 30%% random, 30%% compressible binaries; PackFile also fsyncs its output, tar does not.",
			packingCompressor, toolVersion(ctx, "tar"), toolVersion(ctx, "gzip"), float64(pkgSize)/1e6, float64(tarSize)/1e6),
		Details: map[string]any{"pkgdriver_mb_s": pkg, "tar_czf_mb_s": base, "input_bytes": info.Bytes, "files": info.Files,
			"mpm_bytes": pkgSize, "tar_gz_bytes": tarSize},
	}}, nil
}

// toolVersion is the first line of `tool --version`.
func toolVersion(ctx context.Context, tool string) string {
	out, err := exec.CommandContext(ctx, tool, "--version").Output()
	if err != nil {
		return tool
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
