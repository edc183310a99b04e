package packager

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// xenPhys32Entry is the ELF note type (owner "Xen") that gives a kernel's 32-bit PVH entry
// point, XEN_ELFNOTE_PHYS32_ENTRY. QEMU's -kernel boots an ELF with this note directly, without
// firmware disk reads and the boot loader's decompression (OSv's loader.elf has it since 2019).
const xenPhys32Entry = 18

// HasPVHEntry reports whether the ELF file r has a PVH entry note, so QEMU can boot it with
// -kernel. A file that is not an ELF file has none; only a read error is an error.
func HasPVHEntry(r io.ReaderAt) (bool, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return false, nil
		}
		return false, fmt.Errorf("kernel ELF: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p.Open(), 1<<20))
		if err != nil {
			return false, fmt.Errorf("kernel ELF notes: %w", err)
		}
		if hasNote(data, f.ByteOrder, "Xen", xenPhys32Entry) {
			return true, nil
		}
	}
	return false, nil
}

// hasNote walks ELF notes (namesz, descsz, type, name and desc each padded to 4 bytes).
func hasNote(data []byte, bo binary.ByteOrder, owner string, typ uint32) bool {
	for len(data) >= 12 {
		namesz, descsz, t := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := (uint64(namesz) + 3) &^ 3
		descEnd := nameEnd + (uint64(descsz)+3)&^3
		if descEnd > uint64(len(data)) {
			return false
		}
		if t == typ && string(bytes.TrimRight(data[:namesz], "\x00")) == owner {
			return true
		}
		data = data[descEnd:]
	}
	return false
}
