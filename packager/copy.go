package packager

import (
	"context"
	"io"
)

// copyBufferSize is the chunk size for streaming file content: large enough
// to keep syscalls and compressor calls few, small enough to stay bounded.
const copyBufferSize = 1 << 20

// copyWithContext copies src to dst through buf, checking ctx between
// chunks so that cancelling stops a long copy promptly.
func copyWithContext(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
			if nw != nr {
				return n, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
