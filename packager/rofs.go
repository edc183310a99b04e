package packager

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// OSv's read-only file system (ROFS), as the kernel's fs/rofs reads it: 512-byte blocks; block 0
// a superblock; then every file's content, each from a block boundary; then one metadata area
// holding all directory entries, all symlink targets and all inodes. A composed image with ROFS
// needs no booted helper to fill it, unlike ZFS.
const (
	rofsBlock   = 512
	rofsMagic   = 0xDEADBEAD
	rofsVersion = 1
	rofsDir     = 0x4000
	rofsFile    = 0x8000
	rofsLink    = 0xA000
)

type rofsInode struct {
	Mode, Number, Offset, Count uint64
}

type rofsDirent struct {
	inode uint64
	name  string
}

// rofsWriter lays a directory tree out as ROFS. Inodes are numbered depth first from the root
// (1), and each directory's entries are contiguous, which is what the kernel expects.
type rofsWriter struct {
	w        *bufio.Writer
	block    uint64
	inodes   []rofsInode
	dirents  []rofsDirent
	symlinks []string
}

// WriteROFS writes the tree under root as a ROFS image to w (which must start empty at offset
// 0 and support seeking back to write the superblock). Symlinks are stored as they are, never
// followed; other file types are an error. It returns the image's size.
func WriteROFS(ctx context.Context, root string, w io.WriteSeeker) (int64, error) {
	rw := &rofsWriter{w: bufio.NewWriterSize(w, 1<<20)}
	if err := rw.pad(rofsBlock); err != nil { // the superblock, written last
		return 0, err
	}
	rw.block = 1
	rootInode := rw.newInode(rofsDir)
	count, first, err := rw.dir(ctx, root, "")
	if err != nil {
		return 0, err
	}
	rw.inodes[rootInode].Count, rw.inodes[rootInode].Offset = count, first

	metaBlock := rw.block
	var meta int64
	for _, d := range rw.dirents {
		if len(d.name) > 0xFFFF {
			return 0, fmt.Errorf("rofs: name too long: %.40s…", d.name)
		}
		var hdr [10]byte
		binary.LittleEndian.PutUint64(hdr[:8], d.inode)
		binary.LittleEndian.PutUint16(hdr[8:], uint16(len(d.name)))
		rw.w.Write(hdr[:])
		rw.w.WriteString(d.name)
		meta += int64(len(hdr) + len(d.name))
	}
	for _, s := range rw.symlinks {
		var hdr [2]byte
		binary.LittleEndian.PutUint16(hdr[:], uint16(len(s)))
		rw.w.Write(hdr[:])
		rw.w.WriteString(s)
		meta += int64(len(hdr) + len(s))
	}
	for _, in := range rw.inodes {
		if err := binary.Write(rw.w, binary.LittleEndian, in); err != nil {
			return 0, err
		}
		meta += 32
	}
	metaBlocks := uint64((meta + rofsBlock - 1) / rofsBlock)
	if err := rw.pad(int(int64(metaBlocks)*rofsBlock - meta)); err != nil {
		return 0, err
	}
	if err := rw.w.Flush(); err != nil {
		return 0, err
	}
	size := int64(metaBlock+metaBlocks) * rofsBlock
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	sb := [8]uint64{rofsMagic, rofsVersion, rofsBlock, metaBlock, metaBlocks,
		uint64(len(rw.dirents)), uint64(len(rw.symlinks)), uint64(len(rw.inodes))}
	if err := binary.Write(w, binary.LittleEndian, sb); err != nil {
		return 0, err
	}
	if _, err := w.Seek(size, io.SeekStart); err != nil {
		return 0, err
	}
	return size, nil
}

func (rw *rofsWriter) newInode(mode uint64) int {
	rw.inodes = append(rw.inodes, rofsInode{Mode: mode, Number: uint64(len(rw.inodes) + 1)})
	return len(rw.inodes) - 1
}

// dir writes a directory's files and returns its entry count and first entry index.
func (rw *rofsWriter) dir(ctx context.Context, dir, rel string) (count, first uint64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var mine []rofsDirent
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		p := filepath.Join(dir, e.Name())
		relName := rel + "/" + e.Name()
		info, err := os.Lstat(p)
		if err != nil {
			return 0, 0, err
		}
		var idx int
		switch {
		case info.IsDir():
			idx = rw.newInode(rofsDir)
			c, f, err := rw.dir(ctx, p, relName)
			if err != nil {
				return 0, 0, err
			}
			rw.inodes[idx].Count, rw.inodes[idx].Offset = c, f
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return 0, 0, err
			}
			idx = rw.newInode(rofsLink)
			rw.inodes[idx].Offset, rw.inodes[idx].Count = uint64(len(rw.symlinks)), 1
			rw.symlinks = append(rw.symlinks, target)
		case info.Mode().IsRegular():
			idx = rw.newInode(rofsFile)
			rw.inodes[idx].Offset = rw.block
			n, err := rw.file(p)
			if err != nil {
				return 0, 0, err
			}
			rw.inodes[idx].Count = uint64(n)
		default:
			return 0, 0, &UnsupportedFileError{Path: relName[1:], Mode: info.Mode()}
		}
		mine = append(mine, rofsDirent{inode: rw.inodes[idx].Number, name: e.Name()})
	}
	first = uint64(len(rw.dirents))
	rw.dirents = append(rw.dirents, mine...)
	return uint64(len(mine)), first, nil
}

// file copies a file's content and pads it to a whole block.
func (rw *rofsWriter) file(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(rw.w, f)
	if err != nil {
		return 0, fmt.Errorf("rofs: %s: %w", p, err)
	}
	blocks := (n + rofsBlock - 1) / rofsBlock
	rw.block += uint64(blocks)
	return n, rw.pad(int(blocks*rofsBlock - n))
}

func (rw *rofsWriter) pad(n int) error {
	var zero [rofsBlock]byte
	for n > 0 {
		k := min(n, rofsBlock)
		if _, err := rw.w.Write(zero[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
