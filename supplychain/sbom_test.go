package supplychain

import (
	"bytes"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdxlib"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/pkgdriver/pkgdriver/packager"
)

func sbomInput(t testing.TB, mpm string) SBOMInput {
	t.Helper()
	arch, err := packager.FileDigestsOf(mpm)
	assert.NilError(t, err)
	return SBOMInput{
		Name: "demo", Version: "1.0", Archive: arch,
		OSVRepository: "https://github.com/cloudius-systems/osv.git", OSVCommit: "0e34e4dc0123456789abcdef0123456789abcdef",
		OSVVersion: "v0.57.0-100-g0e34e4dc", Debian: debianFixture(t), Platform: "Debian-12",
		Created: epoch, Tool: "pkgdriver-test",
	}
}

func writeSBOM(t testing.TB, in SBOMInput) []byte {
	t.Helper()
	doc, err := SBOM(in)
	assert.NilError(t, err)
	data, err := WriteSBOM(doc)
	assert.NilError(t, err)
	return data
}

// The SBOM of a fixed package is fixed: refresh with go test ./supplychain -update.
func TestSBOMGolden(t *testing.T) {
	mpm := makePackage(t, t.TempDir())
	golden.Assert(t, string(writeSBOM(t, sbomInput(t, mpm))), "demo.spdx.golden.json")
}

// Two builds of the same bytes give the same SBOM, wherever and whenever they were packed.
func TestSBOMDeterministic(t *testing.T) {
	a := writeSBOM(t, sbomInput(t, makePackage(t, t.TempDir())))
	b := writeSBOM(t, sbomInput(t, makePackage(t, t.TempDir())))
	assert.Check(t, bytes.Equal(a, b))
	in := sbomInput(t, makePackage(t, t.TempDir()))
	in.Archive.Files[0].SHA256 = "00"
	assert.Check(t, !bytes.Equal(a, writeSBOM(t, in)), "the content shows")
}

// The library's own reader and validator accept the SBOM, and it says what the issue asks.
func TestSBOMParses(t *testing.T) {
	in := sbomInput(t, makePackage(t, t.TempDir()))
	doc, err := spdxjson.Read(bytes.NewReader(writeSBOM(t, in)))
	assert.NilError(t, err)
	assert.NilError(t, spdxlib.ValidateDocument(doc))
	assert.Equal(t, doc.SPDXVersion, "SPDX-2.3")
	assert.Equal(t, doc.CreationInfo.Created, "2024-05-06T07:08:09Z")
	ids, err := spdxlib.GetDescribedPackageIDs(doc)
	assert.NilError(t, err)
	assert.DeepEqual(t, ids, []common.ElementID{"Package"})

	names := map[string]bool{}
	for _, f := range doc.Files {
		names[f.FileName] = true
		assert.Check(t, is.Len(f.Checksums, 2), f.FileName)
	}
	assert.DeepEqual(t, names, map[string]bool{"./demo.so": true, "./etc/empty": true,
		"./meta/package.yaml": true, "./usr/lib/liblua5.3.so.0": true})

	byName := map[string]string{}
	for _, p := range doc.Packages {
		byName[p.PackageName] = p.PackageLicenseDeclared
		if p.PackageName == "osv" {
			assert.Equal(t, p.PackageDownloadLocation, "git+https://github.com/cloudius-systems/osv.git@"+in.OSVCommit)
		}
		if p.PackageName == "liblua5.3-0" {
			assert.Equal(t, p.PackageVersion, "5.3.6-2")
			assert.Equal(t, p.PackageExternalReferences[0].Locator, "pkg:deb/debian/liblua5.3-0@5.3.6-2?arch=amd64&distro=debian-12")
		}
	}
	assert.DeepEqual(t, byName, map[string]string{"demo": "NOASSERTION", "osv": "NOASSERTION",
		"liblua5.3-0": "MIT AND (GPL-2.0-or-later OR Artistic-1.0-Perl)"})
}

func TestDebianID(t *testing.T) {
	assert.Equal(t, debianID(&DebianPackage{Name: "libstdc++6", Arch: "amd64"}), "Debian-libstdcx2bx2b6-amd64")
}
