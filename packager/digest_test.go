package packager

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"gotest.tools/v3/assert"
)

func TestFileDigests(t *testing.T) {
	dir := packageTree(t,
		node{path: "b/lib.so", content: "abc"},
		node{path: "a", content: ""},
		node{path: "link", link: "a"},
		node{path: "d", dir: true},
	)
	mpm := packBytes(t, dir, PackOptions{Name: "demo", ModTime: fixedTime})
	got, err := FileDigests(bytes.NewReader(mpm))
	assert.NilError(t, err)
	sum := sha256.Sum256(mpm)
	assert.Equal(t, got.SHA256, hex.EncodeToString(sum[:]))
	assert.Equal(t, got.Size, int64(len(mpm)))
	var names []string
	for _, f := range got.Files {
		names = append(names, f.Name)
	}
	assert.DeepEqual(t, names, []string{"a", "b/lib.so", "meta/package.yaml"}) // regular files, sorted
	assert.DeepEqual(t, got.Files[1], FileDigest{Name: "b/lib.so", Size: 3,
		SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		SHA1:   "a9993e364706816aba3e25717850c26c9cd0d89d",
		MD5:    "900150983cd24fb0d6963f7d28e17f72"})
}

func TestFileDigestsRefusesUnsafeArchives(t *testing.T) {
	_, err := FileDigests(bytes.NewReader(makeTar(t, tarEntry{name: "../x", typ: '0', content: "x"})))
	asUnsafe(t, err)
	mpm := packBytes(t, packageTree(t), PackOptions{Name: "demo", ModTime: fixedTime})
	mpm[len(mpm)-5] ^= 0xff // the gzip trailer's CRC
	_, err = FileDigests(bytes.NewReader(mpm))
	assert.ErrorContains(t, err, "reading archive")
}
