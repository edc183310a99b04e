package supplychain

import (
	"bytes"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestReadDpkg(t *testing.T) {
	idx := debianFixture(t)
	assert.Check(t, is.Len(idx.Packages, 2), "only installed packages")
	lib := idx.Packages["liblua5.3-0:amd64"]
	assert.Assert(t, lib != nil, "a multi-arch package is keyed with its arch")
	assert.DeepEqual(t, *lib, DebianPackage{Name: "liblua5.3-0", Version: "5.3.6-2", Arch: "amd64",
		Licenses: []string{"Expat", "GPL-2+ or Artistic"}})
	assert.DeepEqual(t, idx.Packages["lua5.3"].Licenses, []string{"Expat", "GPL-2+ or Artistic"}) // its doc dir is a link
	_, ok := idx.ByMD5[emptyMD5]
	assert.Check(t, !ok, "empty files are not indexed")
	_, ok = idx.ByMD5[md5hex("program bytes")]
	assert.Check(t, !ok, "files of a removed package are not indexed")
}

func TestReadDpkgWithoutStatus(t *testing.T) {
	_, err := ReadDpkg(bytes.NewReader(tarOf(t, tarFile{name: "dpkg/info/x.md5sums", content: ""})))
	assert.ErrorContains(t, err, "no status file")
}

func TestLookup(t *testing.T) {
	idx := debianFixture(t)
	got := idx.Lookup("usr/lib/liblua5.3.so.0", md5hex(liblua))
	assert.Assert(t, is.Len(got, 1))
	assert.Equal(t, got[0].Package.Name, "liblua5.3-0")
	assert.Equal(t, got[0].Path, "/usr/lib/x86_64-linux-gnu/liblua5.3.so.0.0.0")
	assert.Check(t, is.Len(idx.Lookup("x", md5hex("nothing like it")), 0))
	assert.Check(t, is.Len(idx.Lookup("x", emptyMD5), 0))
	var none *DebianIndex
	assert.Check(t, is.Len(none.Lookup("x", md5hex(liblua)), 0), "a nil index finds nothing")
}

func TestDEP5Licenses(t *testing.T) {
	assert.Check(t, is.Nil(dep5Licenses([]byte("This is Debian's old free-form copyright file.\nGPL\n"))))
	got := dep5Licenses([]byte("Format: x\n\nFiles: *\nLicense: MIT\n\nFiles: a\nLicense: BSD-3-clause\n text\n\nLicense: MIT\n full text\n"))
	assert.DeepEqual(t, got, []string{"BSD-3-clause", "MIT"})
}

func TestSPDXLicense(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, "NOASSERTION"},
		{[]string{"Expat"}, "MIT"},
		{[]string{"GPL-2+"}, "GPL-2.0-or-later"},
		{[]string{"GPL-2+ or Artistic"}, "GPL-2.0-or-later OR Artistic-1.0-Perl"},
		{[]string{"BSD-3-clause", "GPL-2+ or Artistic"}, "BSD-3-Clause AND (GPL-2.0-or-later OR Artistic-1.0-Perl)"},
		{[]string{"GPL-2+ with OpenSSL exception"}, "NOASSERTION"},
		{[]string{"MIT", "public-domain"}, "NOASSERTION"},
		{[]string{"or MIT"}, "NOASSERTION"},
	} {
		assert.Check(t, is.Equal(spdxLicense(tc.names), tc.want), "%q", tc.names)
	}
}
