package packager

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The layout of an OSv disk image (arch/x64/boot16.S): a boot sector with an MBR partition table,
// the kernel command line from byte 512, the kernel from 64 KiB; the root file system as MBR
// partition 2 (which the kernel names /dev/vblk0.1 and mounts as root) at the next 2 MiB
// boundary after the loader.
const (
	cmdlineOffset  = 512
	cmdlineMax     = 0x3F*512 - 1 // boot16 reads 63 sectors of command line; one byte is the NUL
	partitionAlign = 2 << 20
	mbrSlot2       = 0x1CE
	mbrTypeLinux   = 0x83
)

// Compose writes a bootable OSv image to out: the loader image (Capstan's osv-loader.qemu, OSv's
// loader.img), then the tree under root as a ROFS partition, booting cmdline. This is what
// OSv's rofs image build and Capstan's rofs compose do, without booting anything.
func Compose(ctx context.Context, loader, root, cmdline, out string) error {
	if len(cmdline) > cmdlineMax {
		return fmt.Errorf("compose: the command line has %d bytes, more than the %d the loader reads", len(cmdline), cmdlineMax)
	}
	in, err := os.Open(loader)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	size, err := io.Copy(tmp, in)
	if err != nil {
		return fmt.Errorf("compose: %s: %w", loader, err)
	}
	var boot [512]byte
	if _, err := tmp.ReadAt(boot[:], 0); err != nil || boot[510] != 0x55 || boot[511] != 0xAA {
		return fmt.Errorf("compose: %s is not a bootable OSv loader image (no boot signature)", loader)
	}
	start := (size + partitionAlign - 1) / partitionAlign * partitionAlign
	fsSize, err := WriteROFS(ctx, root, io.NewOffsetWriter(tmp, start))
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if err := tmp.Truncate(start + fsSize); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if _, err := tmp.WriteAt(partitionEntry(uint32(start/512), uint32(fsSize/512)), mbrSlot2); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	area := make([]byte, cmdlineMax+1)
	copy(area, cmdline)
	if _, err := tmp.WriteAt(area, cmdlineOffset); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	return os.Rename(tmp.Name(), out)
}

// partitionEntry is one MBR partition table entry: type Linux, the LBA start and length, and
// CHS fields computed for 255 heads and 63 sectors per track (clamped as MBR tools do).
func partitionEntry(lba, sectors uint32) []byte {
	e := make([]byte, 16)
	copy(e[1:4], chs(lba))
	e[4] = mbrTypeLinux
	copy(e[5:8], chs(lba+sectors-1))
	binary.LittleEndian.PutUint32(e[8:], lba)
	binary.LittleEndian.PutUint32(e[12:], sectors)
	return e
}

func chs(lba uint32) []byte {
	const heads, spt = 255, 63
	c, h, s := lba/(heads*spt), (lba/spt)%heads, lba%spt+1
	if c > 1023 {
		c, h, s = 1023, 254, 63
	}
	return []byte{byte(h), byte(s) | byte((c>>2)&0xC0), byte(c)}
}
