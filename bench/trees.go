package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// The generated trees are the same bytes in every run (fixed seeds), so the big OSv checkout
// gives the same commit and its toolchain image is reused, and packing figures compare.

// writeTreeData writes mb files of 1 MB (10^6 bytes) in directories of 100: text that differs
// in every line, like source, so git stores it compactly but no two files are the same.
func writeTreeData(ctx context.Context, dir string, mb int) error {
	const size = 1_000_000
	for i := 0; i < mb; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, fmt.Sprintf("d%03d", i/100), fmt.Sprintf("f%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		buf := make([]byte, 0, size+128)
		for line := 0; len(buf) < size; line++ {
			buf = fmt.Appendf(buf, "bench-data file %05d line %06d: the quick brown fox jumps over the lazy dog\n", i, line)
		}
		if err := os.WriteFile(p, buf[:size], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// packTree describes the mixed package tree the packing metric uses.
type packTree struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// writePackTree writes a package of about totalMB megabytes: 40% small text files (1-16 KB),
// 30% large random files (incompressible, like already-compressed assets), 30% binaries that
// compress about 3:1 (structured words with some noise, like shared libraries), and a valid
// meta/package.yaml.
func writePackTree(ctx context.Context, dir string, totalMB int) (packTree, error) {
	total := int64(totalMB) * 1_000_000
	rng := rand.New(rand.NewPCG(7, 11))
	// Real words in random order compress about as well as source and documentation do.
	words := []string{"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with",
		"was", "on", "be", "by", "this", "are", "or", "from", "at", "which", "an", "but", "not",
		"kernel", "package", "recipe", "build", "image", "container", "library", "function", "return",
		"static", "const", "struct", "include", "define", "error", "value", "string", "memory",
		"thread", "signal", "buffer", "device", "driver", "module", "export", "symbol", "section",
		"offset", "header", "mutex", "lock", "queue", "page", "file", "path", "mount", "volume"}
	var t packTree
	write := func(rel string, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		t.Files++
		t.Bytes += int64(len(data))
		return os.WriteFile(p, data, 0o644)
	}
	meta := "name: bench-pack\ntitle: bench packing tree\nauthor: bench\nversion: \"1.0\"\n"
	if err := write("meta/package.yaml", []byte(meta)); err != nil {
		return t, err
	}

	// Small text files.
	for n, budget := 0, total*4/10; budget > 0; n++ {
		size := 1000 + rng.IntN(15000)
		buf := make([]byte, 0, size+16)
		for len(buf) < size {
			buf = append(buf, words[rng.IntN(len(words))]...)
			if rng.IntN(12) == 0 {
				buf = append(buf, '\n')
			} else {
				buf = append(buf, ' ')
			}
		}
		if err := write(fmt.Sprintf("usr/share/doc/d%03d/t%05d.txt", n/200, n), buf[:size]); err != nil {
			return t, err
		}
		budget -= int64(size)
	}

	// Large random files, in 50 MB pieces.
	for n, budget := 0, total*3/10; budget > 0; n++ {
		size := min(budget, 50_000_000)
		buf := make([]byte, size)
		for i := 0; i+8 <= len(buf); i += 8 {
			v := rng.Uint64()
			for k := 0; k < 8; k++ {
				buf[i+k] = byte(v >> (8 * k))
			}
		}
		if err := write(fmt.Sprintf("usr/share/assets/blob%02d.bin", n), buf); err != nil {
			return t, err
		}
		budget -= size
	}

	// Compressible binaries, in 25 MB pieces: little-endian counters and opcodes-like words with
	// a random byte in every eight.
	for n, budget := 0, total*3/10; budget > 0; n++ {
		size := min(budget, 25_000_000)
		buf := make([]byte, size)
		for i := 0; i+8 <= len(buf); i += 8 {
			w := uint64(i/8) | uint64(0x48_89_e5_00)<<32
			for k := 0; k < 8; k++ {
				buf[i+k] = byte(w >> (8 * k))
			}
			buf[i+rng.IntN(8)] = byte(rng.Uint32())
		}
		if err := write(fmt.Sprintf("usr/lib/lib%02d.so", n), buf); err != nil {
			return t, err
		}
		budget -= size
	}
	return t, nil
}

// treeBytes is the total size of the regular files under dir.
func treeBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// readTree reads every file once, so a timed step finds the tree in the page cache whichever
// side runs first.
func readTree(dir string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.CopyBuffer(io.Discard, f, buf)
		return err
	})
}
