package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/packager"
)

// gatherScript fills a result directory with files of random bytes in directories of 100.
const gatherScript = `
import os, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(size))
`

// measureGather is metric 7: pkgdriver's way of taking a result out of a stopped container (the
// engine's archive stream, extracted by packager.Extract with every safety check, exactly what
// gather does before packing) against `docker cp` of the same path. The container is made once
// and both sides copy from it, so only the copy is timed.
func measureGather(ctx context.Context, e *env) ([]Row, error) {
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("gather")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	files := e.scale.GatherFiles
	size := int64(e.scale.GatherMB) * 1_000_000 / int64(files)
	total := size * int64(files)
	const src = "/pkgdriver/result/bench-gather"

	runner := docker.Wrap(e.api)
	id, err := runner.Create(ctx, engine.ContainerSpec{
		Image:     img.ID,
		Cmd:       []string{"python3", "-c", gatherScript, src, fmt.Sprint(files), fmt.Sprint(size)},
		Labels:    e.labels("bench-gather"),
		NoNetwork: true,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := runner.Remove(cctx, id); err != nil {
			e.warn("gather: %v", err)
		}
	}()
	e.step("gathering: writing %d files of %d bytes in a container", files, size)
	var out bytes.Buffer
	exit, err := runner.Run(ctx, id, &out, &out)
	if err == nil && exit.Code != 0 {
		err = fmt.Errorf("exit %d: %s", exit.Code, out.String())
	}
	if err != nil {
		return nil, fmt.Errorf("gather: making the result: %w", err)
	}
	// Read once untimed, so both sides find the container's files in the page cache.
	if err := copyOut(ctx, runner, id, src, ""); err != nil {
		return nil, err
	}

	var pkg, base []float64
	for i := 0; i < e.scale.Reps; i++ {
		e.step("gathering %d/%d: %.0f MB in %d files", i+1, e.scale.Reps, float64(total)/1e6, files)
		order := []string{"pkgdriver", "docker cp"}
		if i%2 == 1 {
			order = []string{"docker cp", "pkgdriver"}
		}
		for _, who := range order {
			dest := filepath.Join(dir, "out")
			var took time.Duration
			if who == "pkgdriver" {
				if err := os.Mkdir(dest, 0o755); err != nil {
					return nil, err
				}
				start := time.Now()
				if err := copyOut(ctx, runner, id, src, dest); err != nil {
					return nil, err
				}
				took = time.Since(start)
				pkg = append(pkg, secs(took))
			} else {
				t, err := e.shell(ctx, "gather-docker-cp", `"$DOCKER" cp "$ID:$SRC" "$DEST"`, map[string]string{"ID": id, "SRC": src, "DEST": dest})
				if err != nil {
					return nil, err
				}
				took = t
				base = append(base, secs(t))
			}
			got, err := treeBytes(dest)
			if err != nil {
				return nil, err
			}
			if got != total {
				return nil, fmt.Errorf("gather: %s copied %d bytes, want %d", who, got, total)
			}
			e.log.Info().Str("who", who).Dur("took", took).Msg("gather")
			if err := os.RemoveAll(dest); err != nil {
				return nil, err
			}
			syscall.Sync() // neither side pays for the other's dirty pages
		}
	}
	p, b := median(pkg), median(base)
	return []Row{{
		ID:     "gather",
		Metric: fmt.Sprintf("artifact gathering: %.0f MB in %d files", float64(total)/1e6, files),
		Unit:   "s", Pkgdriver: p, Baseline: b, Ratio: ratio(b, p),
		RatioMeans: "speedup: `docker cp` time / pkgdriver copy-out time",
		Targets:    []Target{{On: "ratio", Op: ">=", Value: 1.0}},
		Note:       "pkgdriver side: the Docker engine's CopyOut + packager.Extract (StripComponents 1, 4 GiB limit) from a stopped container, as gather does before packing; baseline: `docker cp` of the same path. Packing is metric pack.",
		Details:    map[string]any{"pkgdriver_s": pkg, "docker_cp_s": base, "bytes": total, "files": files},
	}}, nil
}

// copyOut is gather's copy-out: the engine's tar stream of path, extracted safely into dest
// (or read and dropped when dest is empty).
func copyOut(ctx context.Context, runner engine.Containers, id, path, dest string) error {
	rc, err := runner.CopyOut(ctx, id, path)
	if err != nil {
		return err
	}
	defer rc.Close()
	if dest == "" {
		_, err = io.Copy(io.Discard, rc)
		return err
	}
	return packager.Extract(ctx, rc, dest, packager.ExtractOptions{StripComponents: 1, MaxSize: 4 << 30})
}
