package packager

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// rofsImage is a ROFS image read back the way OSv's kernel reads it.
type rofsImage struct {
	data     []byte
	inodes   []rofsInode
	dirents  []rofsDirent
	symlinks []string
}

func readROFS(t *testing.T, data []byte) *rofsImage {
	t.Helper()
	var sb [8]uint64
	assert.NilError(t, binary.Read(bytes.NewReader(data), binary.LittleEndian, &sb))
	assert.Equal(t, sb[0], uint64(rofsMagic))
	assert.Equal(t, sb[1], uint64(1))
	assert.Equal(t, sb[2], uint64(512))
	assert.Equal(t, int(sb[3]+sb[4])*512, len(data), "the metadata ends the image")
	img := &rofsImage{data: data}
	r := bytes.NewReader(data[sb[3]*512:])
	for i := uint64(0); i < sb[5]; i++ {
		var inode uint64
		var n uint16
		assert.NilError(t, binary.Read(r, binary.LittleEndian, &inode))
		assert.NilError(t, binary.Read(r, binary.LittleEndian, &n))
		name := make([]byte, n)
		_, err := r.Read(name)
		assert.NilError(t, err)
		img.dirents = append(img.dirents, rofsDirent{inode: inode, name: string(name)})
	}
	for i := uint64(0); i < sb[6]; i++ {
		var n uint16
		assert.NilError(t, binary.Read(r, binary.LittleEndian, &n))
		target := make([]byte, n)
		_, err := r.Read(target)
		assert.NilError(t, err)
		img.symlinks = append(img.symlinks, string(target))
	}
	img.inodes = make([]rofsInode, sb[7])
	assert.NilError(t, binary.Read(r, binary.LittleEndian, img.inodes))
	return img
}

// lookup walks a path from the root inode (1), as the kernel does.
func (img *rofsImage) lookup(t *testing.T, parts ...string) rofsInode {
	t.Helper()
	cur := img.inodes[0]
	for _, p := range parts {
		assert.Equal(t, cur.Mode, uint64(rofsDir))
		found := false
		for _, d := range img.dirents[cur.Offset : cur.Offset+cur.Count] {
			if d.name == p {
				cur, found = img.inodes[d.inode-1], true
				break
			}
		}
		assert.Assert(t, found, "no %s in %v", p, parts)
	}
	return cur
}

func (img *rofsImage) content(in rofsInode) []byte {
	return img.data[in.Offset*512 : in.Offset*512+in.Count]
}

func composeTree(t *testing.T) string {
	root := t.TempDir()
	for name, content := range map[string]string{
		"hello":            "#!standin\nhello\n",
		"usr/lib/libx.so":  string(bytes.Repeat([]byte("x"), 1300)),
		"etc/fstab":        "/dev/vblk0.1 / rofs defaults 0 0\n",
		"data/empty":       "",
		"data/deep/a/b/zz": "deep\n",
	} {
		p := filepath.Join(root, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	assert.NilError(t, os.Symlink("/usr/lib/libx.so", filepath.Join(root, "libx-abs.so")))
	assert.NilError(t, os.Symlink("../hello", filepath.Join(root, "data", "rel")))
	assert.NilError(t, os.Mkdir(filepath.Join(root, "tmp"), 0o755))
	return root
}

func TestWriteROFS(t *testing.T) {
	root := composeTree(t)
	out := filepath.Join(t.TempDir(), "rofs.img")
	f, err := os.Create(out)
	assert.NilError(t, err)
	size, err := WriteROFS(context.Background(), root, f)
	assert.NilError(t, err)
	assert.NilError(t, f.Close())
	data, err := os.ReadFile(out)
	assert.NilError(t, err)
	assert.Equal(t, int64(len(data)), size)
	assert.Equal(t, size%512, int64(0))

	img := readROFS(t, data)
	assert.Equal(t, string(img.content(img.lookup(t, "hello"))), "#!standin\nhello\n")
	assert.Equal(t, len(img.content(img.lookup(t, "usr", "lib", "libx.so"))), 1300)
	assert.Equal(t, string(img.content(img.lookup(t, "data", "deep", "a", "b", "zz"))), "deep\n")
	assert.Equal(t, img.lookup(t, "data", "empty").Count, uint64(0))
	tmp := img.lookup(t, "tmp")
	assert.Equal(t, tmp.Mode, uint64(rofsDir))
	assert.Equal(t, tmp.Count, uint64(0), "an empty directory is kept")
	link := img.lookup(t, "libx-abs.so")
	assert.Equal(t, link.Mode, uint64(rofsLink))
	assert.Equal(t, img.symlinks[link.Offset], "/usr/lib/libx.so", "symlinks are stored, never followed")
	assert.Equal(t, img.symlinks[img.lookup(t, "data", "rel").Offset], "../hello")
	for i, in := range img.inodes {
		assert.Equal(t, in.Number, uint64(i+1))
	}

	// The same tree gives the same bytes.
	f2, err := os.Create(out + "2")
	assert.NilError(t, err)
	_, err = WriteROFS(context.Background(), root, f2)
	assert.NilError(t, err)
	f2.Close()
	again, _ := os.ReadFile(out + "2")
	assert.Check(t, bytes.Equal(data, again))
}

func TestWriteROFSRejectsFifo(t *testing.T) {
	root := t.TempDir()
	assert.NilError(t, syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644))
	f, err := os.Create(filepath.Join(t.TempDir(), "img"))
	assert.NilError(t, err)
	defer f.Close()
	_, err = WriteROFS(context.Background(), root, f)
	assert.ErrorContains(t, err, `"pipe" is a`)
}

func TestCompose(t *testing.T) {
	dir := t.TempDir()
	loader := make([]byte, 70000)
	copy(loader, []byte{0xFA, 0xFC})
	loader[510], loader[511] = 0x55, 0xAA
	copy(loader[512:], "--rootfs=rofs /old-command-that-is-longer")
	loaderPath := filepath.Join(dir, "loader.img")
	assert.NilError(t, os.WriteFile(loaderPath, loader, 0o644))
	out := filepath.Join(dir, "image.raw")

	cmdline := "--rootfs=rofs /hello world"
	assert.NilError(t, Compose(context.Background(), loaderPath, composeTree(t), cmdline, out))
	data, err := os.ReadFile(out)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(data[:0x1BE], loader[:0x1BE]), "the boot code is kept")
	assert.Equal(t, data[510], byte(0x55))
	// The command line replaces the loader's, NUL-terminated, the rest of its area zero.
	end := bytes.IndexByte(data[512:], 0)
	assert.Equal(t, string(data[512:512+end]), cmdline)
	assert.Check(t, bytes.Count(data[512+end:512+cmdlineMax], []byte{0}) == cmdlineMax-end)
	assert.Check(t, bytes.Equal(data[0x3F*512+512:70000], loader[0x3F*512+512:]), "the kernel is kept")
	// Partition 2 at the 2 MiB boundary, holding the ROFS image.
	entry := data[mbrSlot2 : mbrSlot2+16]
	assert.Equal(t, entry[4], byte(mbrTypeLinux))
	lba := binary.LittleEndian.Uint32(entry[8:])
	sectors := binary.LittleEndian.Uint32(entry[12:])
	assert.Equal(t, lba, uint32(partitionAlign/512))
	assert.Equal(t, len(data), int(lba+sectors)*512)
	img := readROFS(t, data[lba*512:])
	assert.Equal(t, string(img.content(img.lookup(t, "hello"))), "#!standin\nhello\n")
	for _, slot := range []int{0x1BE, 0x1DE, 0x1EE} {
		assert.Check(t, bytes.Equal(data[slot:slot+16], make([]byte, 16)), "only slot 2 is set")
	}
}

func TestComposeRejects(t *testing.T) {
	dir := t.TempDir()
	notBoot := filepath.Join(dir, "plain")
	assert.NilError(t, os.WriteFile(notBoot, make([]byte, 1024), 0o644))
	err := Compose(context.Background(), notBoot, t.TempDir(), "x", filepath.Join(dir, "out"))
	assert.ErrorContains(t, err, "not a bootable OSv loader image")

	loader := make([]byte, 512)
	loader[510], loader[511] = 0x55, 0xAA
	ok := filepath.Join(dir, "loader")
	assert.NilError(t, os.WriteFile(ok, loader, 0o644))
	long := string(bytes.Repeat([]byte("a"), cmdlineMax+1))
	err = Compose(context.Background(), ok, t.TempDir(), long, filepath.Join(dir, "out"))
	assert.ErrorContains(t, err, "command line has")
	_, err = os.Stat(filepath.Join(dir, "out"))
	assert.Check(t, os.IsNotExist(err))
}
