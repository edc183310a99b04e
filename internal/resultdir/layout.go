package resultdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// Layout names the places in the result directory. Users already know this layout, and it is
// directly usable as a Capstan repository, CAPSTAN_ROOT: packages/ for the packages and
// repository/ for the images current Capstan reads (osv-loader, osv-zfs-builder, and
// mike/osv-loader for old Capstan's -l); mike/ at the top is the old container's layout.
type Layout struct{ Root string }

// LogDir holds one log per recipe, the toolchain's and publishing's.
func (l Layout) LogDir() string { return filepath.Join(l.Root, "log") }

// Log is recipe name's build and test log.
func (l Layout) Log(name string) string { return filepath.Join(l.LogDir(), name+".log") }

// ToolchainLog is the toolchain image build's log.
func (l Layout) ToolchainLog() string { return filepath.Join(l.LogDir(), "toolchain.log") }

// PublishLog is the log of the last publish.
func (l Layout) PublishLog() string { return filepath.Join(l.LogDir(), "publish.log") }

// Packages holds the packages: <name>.mpm, its descriptor and its supply-chain files.
func (l Layout) Packages() string { return filepath.Join(l.Root, "packages") }

// MPM is package name's archive.
func (l Layout) MPM(name string) string { return filepath.Join(l.Packages(), name+".mpm") }

// Descriptor is package name's descriptor, the <name>.yaml a Capstan repository keeps.
func (l Layout) Descriptor(name string) string { return filepath.Join(l.Packages(), name+".yaml") }

// SBOM, Attestation and Signature are a package's supply-chain files, beside it in packages/.
func (l Layout) SBOM(name string) string {
	return filepath.Join(l.Packages(), name+supplychain.SBOMSuffix)
}

// Attestation is package name's provenance statement.
func (l Layout) Attestation(name string) string {
	return filepath.Join(l.Packages(), name+supplychain.AttestationSuffix)
}

// Signature is the signature of package name's archive.
func (l Layout) Signature(name string) string { return l.MPM(name) + supplychain.SignatureSuffix }

// Intermediates holds each recipe's unpacked package tree.
func (l Layout) Intermediates() string { return filepath.Join(l.Root, "intermediate") }

// Intermediate is recipe name's unpacked package tree.
func (l Layout) Intermediate(name string) string { return filepath.Join(l.Intermediates(), name) }

// Loader is the OSv kernel image in the old container's layout (mike/osv-loader).
func (l Layout) Loader() string { return filepath.Join(l.Root, "mike", "osv-loader") }

// CapstanRepository is the images directory of the result directory used as CAPSTAN_ROOT.
func (l Layout) CapstanRepository() string {
	return filepath.Join(l.Root, packager.CapstanRepositoryDir)
}

// CapstanImage is the directory of Capstan image name (such as osv-loader) in CapstanRepository.
func (l Layout) CapstanImage(name string) string {
	return filepath.Join(l.CapstanRepository(), filepath.FromSlash(name))
}

// Report is the run's report.json.
func (l Layout) Report() string { return filepath.Join(l.Root, "report.json") }

// PrevReport is the previous run's report.json, kept for the changes section of report.html.
func (l Layout) PrevReport() string { return filepath.Join(l.Root, "report.prev.json") }

// HTMLReport is the run's report.html.
func (l Layout) HTMLReport() string { return filepath.Join(l.Root, "report.html") }

// JUnit is the run's junit.xml.
func (l Layout) JUnit() string { return filepath.Join(l.Root, "junit.xml") }

// PublishRecord is what the last publish pushed and copied.
func (l Layout) PublishRecord() string { return filepath.Join(l.Root, "publish.json") }

// State is pkgdriver's own corner of the result directory; staging lives there so that moving a
// finished package into place is a rename on the same file system.
func (l Layout) State() string { return filepath.Join(l.Root, ".pkgdriver") }

// Stagings holds one staging directory per run.
func (l Layout) Stagings() string { return filepath.Join(l.State(), "staging") }

// Staging is run runID's staging directory.
func (l Layout) Staging(runID string) string { return filepath.Join(l.Stagings(), runID) }

// Lock is the lock file of the result directory (see AcquireLock).
func (l Layout) Lock() string { return filepath.Join(l.State(), "lock") }

// CacheFile records what produced package name, so that an unchanged recipe is not rebuilt.
func (l Layout) CacheFile(name string) string {
	return filepath.Join(l.State(), "cache", name+".json")
}

// Durations records how long each recipe took to build, kept across runs: a run that stopped
// early (or only hit the cache) must not make pkgdriver forget how long each recipe takes.
func (l Layout) Durations() string { return filepath.Join(l.State(), "durations.json") }

// AccelRecord records which QEMU accelerator works with a toolchain image.
func (l Layout) AccelRecord() string { return filepath.Join(l.State(), "accel.json") }

// LoaderRecord lists the kernel files delivered from a toolchain image, with their checksums.
func (l Layout) LoaderRecord() string { return filepath.Join(l.State(), "loader.json") }

// ToolchainInput remembers the input hash of the last toolchain build context.
func (l Layout) ToolchainInput() string { return filepath.Join(l.State(), "toolchain-input.json") }

// DebianIndex is the cached Debian package index of toolchain image imageID.
func (l Layout) DebianIndex(imageID string) string {
	return filepath.Join(l.State(), "dpkg", strings.ReplaceAll(imageID, ":", "-")+".json")
}

// Rel is p (a path inside the result directory) relative to its root, slash-separated.
func (l Layout) Rel(p string) (string, error) {
	rel, err := filepath.Rel(l.Root, p)
	return filepath.ToSlash(rel), err
}

// Create makes the directories a run writes to.
func (l Layout) Create() error {
	for _, d := range []string{l.LogDir(), l.Packages(), l.Intermediates(), l.State()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("result directory: %w", err)
		}
	}
	return nil
}

// Staged is one recipe's finished output, waiting in the staging directory. SBOM, Attestation
// and Signature are optional: an empty one removes the installed file of that kind, so a package
// never sits beside another build's statement or signature.
type Staged struct {
	Tree, MPM, Descriptor        string
	SBOM, Attestation, Signature string
}

// Install moves a staged package into place. Each step is a rename, so a reader sees either the
// old file or the new one, never a partial one; the old intermediate tree is moved aside before
// the new one takes its place and deleted last.
func (l Layout) Install(name string, s Staged, trash string) error {
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
	if err := l.InstallSupplyChain(name, s); err != nil {
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

// InstallSupplyChain moves the staged SBOM, attestation and signature of package name into place;
// an empty one removes the installed file of that kind.
func (l Layout) InstallSupplyChain(name string, s Staged) error {
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
