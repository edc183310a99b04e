package driver

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	"github.com/pkgdriver/pkgdriver/engine"
)

// readFileFromContainer returns one regular file of a (possibly never started) container.
func readFileFromContainer(ctx context.Context, run engine.Containers, id, path string, limit int64) ([]byte, error) {
	rc, err := run.CopyOut(ctx, id, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if hdr.Size > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", path, hdr.Size, limit)
	}
	return io.ReadAll(tr)
}
