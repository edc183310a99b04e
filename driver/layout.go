package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// Layout names the places in the result directory. Users already know this layout, and it is
// directly usable as a Capstan repository, CAPSTAN_ROOT: packages/ for the packages and
// repository/ for the images current Capstan reads (osv-loader, osv-zfs-builder, and
// mike/osv-loader for old Capstan's -l); mike/ at the top is the old container's layout.
type Layout struct{ Root string }

func (l Layout) LogDir() string         { return filepath.Join(l.Root, "log") }
func (l Layout) Log(name string) string { return filepath.Join(l.Root, "log", name+".log") }
func (l Layout) Packages() string       { return filepath.Join(l.Root, "packages") }
func (l Layout) MPM(name string) string { return filepath.Join(l.Root, "packages", name+".mpm") }
func (l Layout) Descriptor(name string) string {
	return filepath.Join(l.Root, "packages", name+".yaml")
}

// SBOM, Attestation and Signature are a package's supply-chain files, beside it in packages/.
func (l Layout) SBOM(name string) string {
	return filepath.Join(l.Root, "packages", name+supplychain.SBOMSuffix)
}
func (l Layout) Attestation(name string) string {
	return filepath.Join(l.Root, "packages", name+supplychain.AttestationSuffix)
}
func (l Layout) Signature(name string) string {
	return l.MPM(name) + supplychain.SignatureSuffix
}
func (l Layout) Intermediates() string { return filepath.Join(l.Root, "intermediate") }
func (l Layout) Intermediate(name string) string {
	return filepath.Join(l.Root, "intermediate", name)
}
func (l Layout) Loader() string { return filepath.Join(l.Root, "mike", "osv-loader") }

// CapstanRepository is the images directory of the result directory used as CAPSTAN_ROOT.
func (l Layout) CapstanRepository() string {
	return filepath.Join(l.Root, packager.CapstanRepositoryDir)
}

// CapstanImage is the directory of Capstan image name (such as osv-loader) in CapstanRepository.
func (l Layout) CapstanImage(name string) string {
	return filepath.Join(l.CapstanRepository(), filepath.FromSlash(name))
}
func (l Layout) Report() string       { return filepath.Join(l.Root, "report.json") }
func (l Layout) JUnit() string        { return filepath.Join(l.Root, "junit.xml") }
func (l Layout) ToolchainLog() string { return filepath.Join(l.Root, "log", "toolchain.log") }

// State is pkgdriver's own corner of the result directory; staging lives there so that moving a
// finished package into place is a rename on the same file system.
func (l Layout) State() string               { return filepath.Join(l.Root, ".pkgdriver") }
func (l Layout) Staging(runID string) string { return filepath.Join(l.State(), "staging", runID) }

// Create makes the directories a run writes to.
func (l Layout) Create() error {
	for _, d := range []string{l.LogDir(), l.Packages(), l.Intermediates(), l.State()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("result directory: %w", err)
		}
	}
	return nil
}

// staged is one recipe's finished output, waiting in the staging directory. SBOM, Attestation
// and Signature are optional: an empty one removes the installed file of that kind, so a package
// never sits beside another build's statement or signature.
type staged struct {
	Tree, MPM, Descriptor        string
	SBOM, Attestation, Signature string
}

// Install moves a staged package into place. Each step is a rename, so a reader sees either the
// old file or the new one, never a partial one; the old intermediate tree is moved aside before
// the new one takes its place and deleted last.
func (l Layout) Install(name string, s staged, trash string) error {
	for _, p := range []string{s.Tree, s.MPM, s.Descriptor} {
		if _, err := os.Lstat(p); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	dest := l.Intermediate(name)
	old := filepath.Join(trash, name+".old")
	hadOld := true
	if err := os.Rename(dest, old); errors.Is(err, fs.ErrNotExist) {
		hadOld = false
	} else if err != nil {
		return fmt.Errorf("install %s: %w", name, err)
	}
	undoTree := func() {
		_ = os.Rename(dest, s.Tree)
		if hadOld {
			_ = os.Rename(old, dest)
		}
	}
	if err := os.Rename(s.Tree, dest); err != nil {
		undoTree()
		return fmt.Errorf("install %s: %w", name, err)
	}
	// The supply-chain files before the package: until the .mpm is replaced they describe a
	// package that is not there yet, which verification reports, never the other way round.
	if err := l.installSupplyChain(name, s); err != nil {
		undoTree()
		return fmt.Errorf("install %s: %w", name, err)
	}
	// The descriptor first: a new .mpm beside an old .yaml would describe the wrong package,
	// while the old .mpm beside the new .yaml is repaired by the next step at once.
	if err := os.Rename(s.Descriptor, l.Descriptor(name)); err != nil {
		undoTree()
		return fmt.Errorf("install %s: %w", name, err)
	}
	if err := os.Rename(s.MPM, l.MPM(name)); err != nil {
		undoTree()
		return fmt.Errorf("install %s: %w", name, err)
	}
	return os.RemoveAll(old)
}

func (l Layout) installSupplyChain(name string, s staged) error {
	for _, f := range []struct{ from, to string }{
		{s.SBOM, l.SBOM(name)}, {s.Attestation, l.Attestation(name)}, {s.Signature, l.Signature(name)},
	} {
		var err error
		if f.from == "" {
			err = ignoreNotExist(os.Remove(f.to))
		} else {
			err = os.Rename(f.from, f.to)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes everything the result directory holds for a recipe.
func (l Layout) Remove(name string) error {
	return errors.Join(
		os.RemoveAll(l.Intermediate(name)),
		ignoreNotExist(os.Remove(l.MPM(name))),
		ignoreNotExist(os.Remove(l.Descriptor(name))),
		ignoreNotExist(os.Remove(l.SBOM(name))),
		ignoreNotExist(os.Remove(l.Attestation(name))),
		ignoreNotExist(os.Remove(l.Signature(name))),
		ignoreNotExist(os.Remove(l.Log(name))),
	)
}

func ignoreNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// PublishRecord is publish.json, what the last publish from this result directory did.
func (l Layout) PublishRecord() string { return filepath.Join(l.Root, "publish.json") }

// PublishLog is the engine's output of the last publish (image build and push progress).
func (l Layout) PublishLog() string { return filepath.Join(l.LogDir(), "publish.log") }
