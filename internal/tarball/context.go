package tarball

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/pkgdriver/pkgdriver/engine"
)

// Context is an image build context made in a temporary file (in the system's temporary
// directory, not the result directory, which may be small): written once, hashed, then built
// from as often as needed. Close removes it.
type Context struct {
	f *os.File
}

// NewContext makes an empty context file named by pattern (os.CreateTemp's).
func NewContext(pattern string) (*Context, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, err
	}
	return &Context{f: f}, nil
}

// Write fills the context through fill and returns the SHA-256 of the tar it wrote.
func (c *Context) Write(fill func(w *Writer) error) (string, error) {
	h := sha256.New()
	tw := NewWriter(io.MultiWriter(c.f, h))
	if err := fill(tw); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Build builds spec with this context through images and returns the image id.
func (c *Context) Build(ctx context.Context, images engine.Images, spec engine.BuildSpec) (string, error) {
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	spec.Context = c.f
	return images.BuildImage(ctx, spec)
}

// Close closes and removes the context file.
func (c *Context) Close() error {
	err := c.f.Close()
	if rerr := os.Remove(c.f.Name()); err == nil {
		err = rerr
	}
	return err
}
