package supplychain

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/packager"
)

// epoch is the SOURCE_DATE_EPOCH the tests build with.
var epoch = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// liblua is the content of a library the fixture's Debian package ships.
const liblua = "\x7fELF liblua5.3 library bytes"

// makePackage packs a small package (a program, a library from Debian, a symlink) into
// dir/demo.mpm and writes demo.yaml beside it.
func makePackage(t testing.TB, dir string) string {
	t.Helper()
	tree := t.TempDir()
	files := map[string]string{
		"meta/package.yaml":      "name: demo\ntitle: Demo\nauthor: Tester\nversion: \"1.0\"\n",
		"demo.so":                "program bytes",
		"usr/lib/liblua5.3.so.0": liblua,
		"etc/empty":              "",
	}
	for name, content := range files {
		p := filepath.Join(tree, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	assert.NilError(t, os.Symlink("liblua5.3.so.0", filepath.Join(tree, "usr/lib/liblua.so")))
	mpm := filepath.Join(dir, "demo.mpm")
	_, err := packager.PackFile(t.Context(), tree, mpm, packager.PackOptions{Name: "demo", ModTime: epoch})
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "demo.yaml"), []byte(files["meta/package.yaml"]), 0o644))
	return mpm
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

type tarFile struct {
	name, content, link string
}

func tarOf(t testing.TB, files ...tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.content)), Typeflag: tar.TypeReg}
		if f.link != "" {
			hdr = &tar.Header{Name: f.name, Linkname: f.link, Typeflag: tar.TypeSymlink, Mode: 0o777}
		}
		assert.NilError(t, tw.WriteHeader(hdr))
		_, err := tw.Write([]byte(f.content))
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	return buf.Bytes()
}

// dpkgFixture is a dpkg database as the engine's copy API sends /var/lib/dpkg: liblua5.3-0
// (multi-arch, its library matches the package's), lua5.3 (its docs link to liblua's) and a
// removed package whose files must not count.
func dpkgFixture(t testing.TB) (dpkg, doc []byte) {
	status := "Package: liblua5.3-0\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 5.3.6-2\nDescription: Lua\n multi-line\n\n" +
		"Package: lua5.3\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.3.6-2\n\n" +
		"Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n"
	dpkg = tarOf(t,
		tarFile{name: "dpkg/status", content: status},
		tarFile{name: "dpkg/info/liblua5.3-0:amd64.md5sums", content: md5hex(liblua) + "  usr/lib/x86_64-linux-gnu/liblua5.3.so.0.0.0\n" + emptyMD5 + "  usr/share/empty\n"},
		tarFile{name: "dpkg/info/lua5.3.md5sums", content: md5hex("lua binary") + "  usr/bin/lua5.3\n"},
		tarFile{name: "dpkg/info/gone.md5sums", content: md5hex("program bytes") + "  usr/bin/demo.so\n"},
		tarFile{name: "dpkg/info/lua5.3.list", content: "/usr/bin/lua5.3\n"},
	)
	copyright := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: Lua\n\n" +
		"Files: *\nCopyright: 1994-2020 Lua.org, PUC-Rio.\nLicense: Expat\n\n" +
		"Files: debian/*\nCopyright: 2007 Someone\nLicense: GPL-2+ or Artistic\n\n" +
		"License: Expat\n Permission is hereby granted...\n"
	doc = tarOf(t,
		tarFile{name: "doc/liblua5.3-0/copyright", content: copyright},
		tarFile{name: "doc/liblua5.3-0/changelog.Debian.gz", content: "zz"},
		tarFile{name: "doc/lua5.3", link: "liblua5.3-0"},
	)
	return dpkg, doc
}

func debianFixture(t testing.TB) *DebianIndex {
	t.Helper()
	dpkg, doc := dpkgFixture(t)
	idx, err := ReadDpkg(bytes.NewReader(dpkg))
	assert.NilError(t, err)
	assert.NilError(t, idx.ReadCopyrights(bytes.NewReader(doc)))
	return idx
}

func base64Decode(src, dst []byte) (int, error) {
	return base64.StdEncoding.Decode(dst, src)
}

// plainKeyPair writes an unencrypted ECDSA P-256 key pair (no scrypt: fast) into dir.
func plainKeyPair(t testing.TB, dir string) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	assert.NilError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	assert.NilError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(k.Public())
	assert.NilError(t, err)
	priv, pub = filepath.Join(dir, "plain.key"), filepath.Join(dir, "plain.pub")
	assert.NilError(t, os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	assert.NilError(t, os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))
	return priv, pub
}
