package packager

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gotest.tools/v3/assert"
)

// elfWithNotes is a minimal little-endian ELF64 file whose one PT_NOTE segment holds notes.
func elfWithNotes(notes ...[]byte) []byte {
	var seg []byte
	for _, n := range notes {
		seg = append(seg, n...)
	}
	const ehsize, phsize = 64, 56
	b := new(bytes.Buffer)
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	for _, v := range []any{uint16(2), uint16(62), uint32(1), uint64(0x200000), uint64(ehsize), uint64(0),
		uint32(0), uint16(ehsize), uint16(phsize), uint16(1), uint16(64), uint16(0), uint16(0)} {
		binary.Write(b, le, v)
	}
	for _, v := range []any{uint32(4), uint32(4), uint64(ehsize + phsize), uint64(0), uint64(0),
		uint64(len(seg)), uint64(len(seg)), uint64(4)} {
		binary.Write(b, le, v)
	}
	b.Write(seg)
	return b.Bytes()
}

func note(owner string, typ uint32, desc []byte) []byte {
	b := new(bytes.Buffer)
	name := append([]byte(owner), 0)
	for _, v := range []uint32{uint32(len(name)), uint32(len(desc)), typ} {
		binary.Write(b, binary.LittleEndian, v)
	}
	pad := func(p []byte) []byte { return append(p, make([]byte, (4-len(p)%4)%4)...) }
	b.Write(pad(name))
	b.Write(pad(desc))
	return b.Bytes()
}

func TestHasPVHEntry(t *testing.T) {
	entry := []byte{0x1c, 0xb0, 0x32, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		name string
		file []byte
		want bool
	}{
		{name: "OSv's notes, PVH entry last", file: elfWithNotes(note("Xen", 5, []byte("xen-3.0\x00")), note("Xen", 6, []byte("osv\x00")), note("Xen", 18, entry)), want: true},
		{name: "Xen notes without a PVH entry", file: elfWithNotes(note("Xen", 5, []byte("xen-3.0\x00")))},
		{name: "type 18 of another owner", file: elfWithNotes(note("GNU", 18, entry))},
		{name: "no notes", file: elfWithNotes()},
		{name: "a truncated note", file: elfWithNotes(note("Xen", 18, entry)[:14])},
		{name: "not an ELF file (the stand-in's flat kernel)", file: []byte("\xeb\x3c\x90 a boot sector")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HasPVHEntry(bytes.NewReader(tc.file))
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
		})
	}
}
