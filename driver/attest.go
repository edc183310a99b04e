package driver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// attest writes a staged package's SBOM and provenance, and with --sign-key its signature and a
// signed envelope, into dir, and names them in st for Install. The run details are the build's
// own: its run, start and end.
func (b *recipeBuild) attest(ctx context.Context, st *resultdir.Staged, dir string, version, runID string, started, finished time.Time) error {
	r, name := b.run, b.recipe.Name
	arch, err := packager.FileDigestsOf(st.MPM)
	if err != nil {
		return err
	}
	doc, err := supplychain.SBOM(supplychain.SBOMInput{
		Name: name, Version: version, Archive: arch,
		OSVRepository: r.osvRepository(), OSVCommit: r.Toolchain.Commit, OSVVersion: r.Toolchain.Describe,
		Debian: r.SupplyChain.debian(), Platform: r.Toolchain.Platform,
		Created: r.sourceDateEpoch(), Tool: "pkgdriver-" + r.Config.Version,
	})
	if err != nil {
		return err
	}
	sbom, err := supplychain.WriteSBOM(doc)
	if err != nil {
		return err
	}
	desc, err := fsutil.SHA256File(st.Descriptor)
	if err != nil {
		return err
	}
	content, err := b.contentHash(ctx)
	if err != nil {
		return err
	}
	env := append([]string(nil), b.spec().Env...)
	sort.Strings(env)
	statement, err := supplychain.Statement(supplychain.ProvenanceInput{
		Subjects: []supplychain.Subject{{Name: name + ".mpm", SHA256: arch.SHA256}, {Name: name + ".yaml", SHA256: desc}},
		Recipe:   name, RecipeDigest: content, Settings: r.provenanceSettings(), Environment: env,
		OSVRepository: r.osvRepository(), OSVCommit: strings.TrimSuffix(r.Toolchain.Commit, dirtySuffix), OSVDirty: r.Toolchain.Dirty(),
		ToolchainImage: r.Toolchain.ID, BaseImage: r.SupplyChain.baseImageID(), BaseImageRef: r.Config.Image.BaseImage,
		Version: r.Config.Version, RunID: runID, Started: started, Finished: finished,
	})
	if err != nil {
		return err
	}
	payload, err := supplychain.MarshalStatement(statement)
	if err != nil {
		return err
	}
	signed, err := supplychain.Envelope(ctx, r.Config.Signer, payload)
	if err != nil {
		return err
	}
	envelope, err := supplychain.MarshalEnvelope(signed)
	if err != nil {
		return err
	}
	st.SBOM = filepath.Join(dir, name+supplychain.SBOMSuffix)
	st.Attestation = filepath.Join(dir, name+supplychain.AttestationSuffix)
	if err := writeNew(st.SBOM, sbom); err != nil {
		return err
	}
	if err := writeNew(st.Attestation, envelope); err != nil {
		return err
	}
	if r.Config.Signer == nil {
		return nil
	}
	f, err := os.Open(st.MPM)
	if err != nil {
		return err
	}
	defer f.Close()
	sig, err := r.Config.Signer.SignBlob(f)
	if err != nil {
		return err
	}
	st.Signature = filepath.Join(dir, name+".mpm"+supplychain.SignatureSuffix)
	return writeNew(st.Signature, append(sig, '\n'))
}

// refreshSupplyChain keeps a cached package's statements when they still verify (with this
// run's key, when it signs), and writes them anew otherwise: an earlier unsigned run, a new key,
// or files that were lost. The run details stay those of the build that made the package.
func (b *recipeBuild) refreshSupplyChain(ctx context.Context, e *cacheEntry) error {
	r, name := b.run, b.recipe.Name
	files := supplychain.FilesFor(r.Layout.MPM(name))
	key := r.Config.Signer.Verifier()
	if _, err := supplychain.Verify(ctx, files, key); err == nil {
		_, sigErr := os.Stat(files.Signature)
		b.res.Evidence = supplyChainFiles(r.Layout, name, sigErr == nil)
		return nil
	}
	pkg, err := packager.LoadPackage(files.Descriptor)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.Layout.Staging(r.Config.RunID), name+".attest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st := resultdir.Staged{MPM: files.MPM, Descriptor: files.Descriptor}
	finished := e.Built.Add(time.Duration(e.Seconds * float64(time.Second)))
	if err := b.attest(ctx, &st, dir, pkg.Version, e.RunID, e.Built, finished); err != nil {
		return err
	}
	if err := r.Layout.InstallSupplyChain(name, st); err != nil {
		return err
	}
	b.res.Evidence = supplyChainFiles(r.Layout, name, r.Config.Signer != nil)
	return nil
}

// contentHash is the recipe's content hash, computed once (the cache key needs it too).
func (b *recipeBuild) contentHash(ctx context.Context) (string, error) {
	if b.content == "" {
		h, err := recipe.Hash(ctx, b.recipe, b.run.Catalog.CommonDirs)
		if err != nil {
			return "", err
		}
		b.content = h
	}
	return b.content, nil
}

// supplyChainFiles names a package's statements relative to the result directory.
func supplyChainFiles(l resultdir.Layout, name string, signed bool) *report.Evidence {
	rel := func(p string) string { r, _ := l.Rel(p); return r }
	f := &report.Evidence{SBOM: rel(l.SBOM(name)), Attestation: rel(l.Attestation(name))}
	if signed {
		f.Signature = rel(l.Signature(name))
	}
	return f
}

// provenanceSettings are the run's settings that change a package (what the cache key holds
// besides the recipe, the toolchain and the environment).
func (r *Run) provenanceSettings() map[string]string {
	s := map[string]string{
		"share OSv dir":        strconv.FormatBool(r.Config.ShareOSVDir),
		"privileged":           strconv.FormatBool(r.Config.Privileged),
		"accel":                string(r.Accel),
		"OSv build args":       r.Config.Image.OSVBuildArgs,
		"toolchain input hash": r.Toolchain.InputHash,
	}
	for k, v := range r.Config.Image.BuildArgs {
		s["build arg "+k] = v
	}
	return s
}

// osvRepository is where the OSv source came from, "" for a local checkout (--osv-src).
func (r *Run) osvRepository() string {
	if r.Config.Image.OSVSrc != "" {
		return ""
	}
	return r.Config.Image.OSVRepo
}

func (sc *supplyChain) debian() *supplychain.DebianIndex {
	if sc == nil {
		return nil
	}
	return sc.Debian
}

func (sc *supplyChain) baseImageID() string {
	if sc == nil {
		return ""
	}
	return sc.BaseImageID
}

// writeNew writes a file that must not exist yet (staging is the run's own).
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
