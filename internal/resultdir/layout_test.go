package resultdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	tfs "gotest.tools/v3/fs"
)

// unitStaged writes a finished package for name into a staging directory and returns it.
func unitStaged(t *testing.T, stage, name, content string) Staged {
	t.Helper()
	s := Staged{
		Tree:       filepath.Join(stage, "tree"),
		MPM:        filepath.Join(stage, name+".mpm"),
		Descriptor: filepath.Join(stage, name+".yaml"),
	}
	assert.NilError(t, os.MkdirAll(filepath.Join(s.Tree, "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(s.Tree, "meta", "package.yaml"), []byte(content), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(s.Tree, content+".txt"), []byte(content), 0o644))
	assert.NilError(t, os.WriteFile(s.MPM, []byte(content+" mpm"), 0o644))
	assert.NilError(t, os.WriteFile(s.Descriptor, []byte(content+" yaml"), 0o644))
	return s
}

// unitInstalled puts an earlier package for name in place, as a previous run left it.
func unitInstalled(t *testing.T, l Layout, name, content string) {
	t.Helper()
	assert.NilError(t, l.Create())
	assert.NilError(t, os.MkdirAll(filepath.Join(l.Intermediate(name), "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(l.Intermediate(name), content+".txt"), []byte(content), 0o644))
	assert.NilError(t, os.WriteFile(l.MPM(name), []byte(content+" mpm"), 0o644))
	assert.NilError(t, os.WriteFile(l.Descriptor(name), []byte(content+" yaml"), 0o644))
}

func unitRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	return string(data)
}

func unitExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestLayoutInstall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		previous bool
		// breakStaged removes part of the Staged package before Install.
		breakStaged func(Staged)
		wantErr     bool
	}{
		{name: "first install"},
		{name: "replaces the previous package", previous: true},
		{
			name: "missing Staged tree keeps the old package and tree", previous: true, wantErr: true,
			breakStaged: func(s Staged) { os.RemoveAll(s.Tree) },
		},
		{
			name: "missing Staged mpm keeps the old package", previous: true, wantErr: true,
			breakStaged: func(s Staged) { os.Remove(s.MPM) },
		},
		{
			name: "missing Staged descriptor keeps the old package", previous: true, wantErr: true,
			breakStaged: func(s Staged) { os.Remove(s.Descriptor) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := Layout{Root: t.TempDir()}
			assert.NilError(t, l.Create())
			if tc.previous {
				unitInstalled(t, l, "foo", "old")
			}
			stage := filepath.Join(l.Staging("run-1"), "foo")
			s := unitStaged(t, stage, "foo", "new")
			if tc.breakStaged != nil {
				tc.breakStaged(s)
			}

			err := l.Install("foo", s, stage)
			if !tc.wantErr {
				assert.NilError(t, err)
				assert.Equal(t, unitRead(t, l.MPM("foo")), "new mpm")
				assert.Equal(t, unitRead(t, l.Descriptor("foo")), "new yaml")
				assert.Equal(t, unitRead(t, filepath.Join(l.Intermediate("foo"), "new.txt")), "new")
				assert.Check(t, !unitExists(filepath.Join(l.Intermediate("foo"), "old.txt")), "old intermediate file survived")
				assert.Check(t, !unitExists(filepath.Join(stage, "foo.old")), "old tree left in the trash")
				assert.Check(t, !unitExists(s.Tree), "Staged tree was copied, not moved")
				return
			}
			assert.Assert(t, err != nil)
			assert.Check(t, is.ErrorContains(err, "install foo"))
			// Whatever else happens, a package stays delivered and the old tree is not
			// deleted (in place, or moved aside into the trash).
			assert.Check(t, unitExists(l.MPM("foo")), "packages/foo.mpm was deleted")
			inPlace := unitExists(filepath.Join(l.Intermediate("foo"), "old.txt"))
			aside := unitExists(filepath.Join(stage, "foo.old", "old.txt"))
			assert.Check(t, inPlace || aside, "old intermediate tree is gone")

			// All or nothing: after a failure the previous package is delivered whole.
			var mixed []string
			if got := unitRead(t, l.MPM("foo")); got != "old mpm" {
				mixed = append(mixed, "packages/foo.mpm is "+got)
			}
			if got := unitRead(t, l.Descriptor("foo")); got != "old yaml" {
				mixed = append(mixed, "packages/foo.yaml is "+got)
			}
			if !inPlace {
				mixed = append(mixed, "intermediate/foo is not the old tree")
			}
			assert.Check(t, len(mixed) == 0, "old and new package mixed: %v", mixed)
		})
	}
}

// A failed rename of the tree puts the old intermediate tree back where it was.
func TestLayoutInstallRestoresTree(t *testing.T) {
	t.Parallel()
	l := Layout{Root: t.TempDir()}
	unitInstalled(t, l, "foo", "old")
	stage := filepath.Join(l.Staging("run-1"), "foo")
	s := unitStaged(t, stage, "foo", "new")
	assert.NilError(t, os.RemoveAll(s.Tree))

	err := l.Install("foo", s, stage)
	assert.Assert(t, errors.Is(err, fs.ErrNotExist), "%v", err)
	assert.Equal(t, unitRead(t, filepath.Join(l.Intermediate("foo"), "old.txt")), "old")
	assert.Equal(t, unitRead(t, l.Descriptor("foo")), "old yaml")
}

func TestLayoutRemove(t *testing.T) {
	t.Parallel()
	l := Layout{Root: t.TempDir()}
	unitInstalled(t, l, "foo", "old")
	unitInstalled(t, l, "bar", "keep")
	assert.NilError(t, os.WriteFile(l.Log("foo"), []byte("log"), 0o644))

	assert.NilError(t, l.Remove("foo"))
	assert.NilError(t, l.Remove("never-built")) // nothing there is not an error

	want := tfs.Expected(t, tfs.MatchAnyFileMode,
		tfs.WithDir("intermediate", tfs.WithDir("bar", tfs.WithDir("meta"), tfs.WithFile("keep.txt", "keep"))),
		tfs.WithDir("packages", tfs.WithFile("bar.mpm", "keep mpm"), tfs.WithFile("bar.yaml", "keep yaml")),
		tfs.WithDir("log"),
		tfs.WithDir(".pkgdriver"),
	)
	assert.Assert(t, tfs.Equal(l.Root, want))
}

// The supply-chain files are installed with the package, and a new build without one of them
// (an unsigned run after a signed one) removes the earlier build's: a package never sits beside
// another build's statement or signature.
func TestLayoutInstallSupplyChain(t *testing.T) {
	t.Parallel()
	l := Layout{Root: t.TempDir()}
	unitInstalled(t, l, "foo", "old")
	for _, p := range []string{l.SBOM("foo"), l.Attestation("foo"), l.Signature("foo")} {
		assert.NilError(t, os.WriteFile(p, []byte("old"), 0o644))
	}
	stage := t.TempDir()
	s := unitStaged(t, stage, "foo", "new")
	s.SBOM, s.Attestation = filepath.Join(stage, "foo.spdx.json"), filepath.Join(stage, "foo.intoto.jsonl")
	assert.NilError(t, os.WriteFile(s.SBOM, []byte("new sbom"), 0o644))
	assert.NilError(t, os.WriteFile(s.Attestation, []byte("new envelope"), 0o644))

	assert.NilError(t, l.Install("foo", s, stage))
	assert.Check(t, is.Equal(unitRead(t, l.SBOM("foo")), "new sbom"))
	assert.Check(t, is.Equal(unitRead(t, l.Attestation("foo")), "new envelope"))
	assert.Check(t, !unitExists(l.Signature("foo")), "the old signature is left beside the new package")
	assert.Check(t, is.Equal(unitRead(t, l.MPM("foo")), "new mpm"))

	assert.NilError(t, l.Remove("foo"))
	for _, p := range []string{l.SBOM("foo"), l.Attestation("foo")} {
		assert.Check(t, !unitExists(p), p)
	}
}
