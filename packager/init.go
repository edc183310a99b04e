package packager

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Init does what `capstan package init` does: it writes dir/meta/package.yaml
// from p, creating meta/ (0755) as needed. Like Capstan it overwrites an
// existing descriptor without asking. Created is set to the current time in
// Capstan's format (RFC 3339, here in UTC) when p leaves it empty.
func Init(dir string, p Package) error {
	return initAt(dir, p, time.Now())
}

// initAt is Init with the clock passed in, for tests.
func initAt(dir string, p Package, now time.Time) error {
	if p.Created == "" {
		p.Created = now.UTC().Truncate(time.Second).Format(CreatedLayout)
	}
	file := filepath.Join(dir, filepath.FromSlash(PackageFile))
	if err := p.Validate(); err != nil {
		setFile(err, file)
		return fmt.Errorf("package init: %w", err)
	}
	meta := filepath.Join(dir, "meta")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return fmt.Errorf("package init: %w", err)
	}
	if err := WritePackage(file, &p); err != nil {
		return fmt.Errorf("package init: %w", err)
	}
	return nil
}
