package packager

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func FuzzExtract(f *testing.F) {
	f.Add(makeTar(f, tarEntry{name: "result/", typ: tar.TypeDir}, tarEntry{name: "result/a", content: "a"}), 1)
	f.Add(makeTar(f, tarEntry{name: "link", typ: tar.TypeSymlink, linkname: "/etc"}, tarEntry{name: "link/passwd", content: "x"}), 0)
	f.Add(makeTar(f, tarEntry{name: "a", content: "a"}, tarEntry{name: "b", typ: tar.TypeLink, linkname: "a"}), 0)
	f.Add(makeTar(f, tarEntry{name: "../x", content: "x"}), 0)
	f.Add(gzipBytes(f, makeTar(f, tarEntry{name: "d/", typ: tar.TypeDir, mode: 0o7777}, tarEntry{name: "d/f", mode: 0o4777, content: "f"})), 0)
	f.Fuzz(func(t *testing.T, archive []byte, strip int) {
		if strip < 0 || strip > 3 {
			strip = 0
		}
		base := t.TempDir()
		dest := filepath.Join(base, "dest")
		outside := filepath.Join(base, "outside")
		if err := os.Mkdir(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = Extract(t.Context(), bytes.NewReader(archive), dest, ExtractOptions{StripComponents: strip, MaxSize: 1 << 20})

		if entries, err := os.ReadDir(outside); err != nil || len(entries) != 0 {
			t.Fatalf("wrote outside the destination: %v %v", entries, err)
		}
		if entries, err := os.ReadDir(base); err != nil || len(entries) != 2 {
			t.Fatalf("wrote beside the destination: %v %v", entries, err)
		}
		// Whatever was extracted has normalised modes.
		err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			switch m := fi.Mode(); {
			case m.IsDir() && p != dest && m.Perm() != 0o755:
				t.Errorf("%s: directory mode %v", p, m)
			case m.IsRegular() && m.Perm() != 0o644 && m.Perm() != 0o755:
				t.Errorf("%s: file mode %v", p, m)
			case m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky|fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
				t.Errorf("%s: mode %v", p, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePackage(f *testing.F) {
	f.Add([]byte(validPackageYAML))
	f.Add([]byte("name: osv.cli\ntitle: CLI\nauthor: a\nversion: 0.51\nrequire:\n- osv.httpserver-api\nbinary: {cli: /cli.so}\ncreated: 2018-05-30T04:04:22Z\n"))
	f.Add([]byte("name: [a]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("name: n\nname: n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePackage(data, "meta/package.yaml")
		if err != nil {
			return
		}
		// A package that parses renders back to the same package.
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := ParsePackage(out, "again")
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if back.Name != p.Name || back.Title != p.Title || back.Author != p.Author ||
			back.Version != p.Version || back.Created != p.Created || back.Platform != p.Platform ||
			len(back.Require) != len(p.Require) || len(back.Binary) != len(p.Binary) {
			t.Fatalf("round trip changed %+v into %+v", p, back)
		}
	})
}

func FuzzParseRunConfig(f *testing.F) {
	f.Add([]byte("runtime: native\nconfig_set:\n  default:\n    bootcmd: /program.so $ARGS\n    env:\n      ARGS: --flag\nconfig_set_default: default\n"))
	f.Add([]byte("config_set:\n  a:\n    base: self:a\n"))
	f.Add([]byte("config_set:\n  a: {bootcmd: /a}\n  b: {base: 'x:y', env: {K: v}}\nconfig_set_default: a,b\n"))
	f.Add([]byte("runtime: node\nconfig_set: {app: {main: /x.js}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseRunConfig(data, "meta/run.yaml")
		if err != nil {
			return
		}
		if len(c.ConfigSets) == 0 {
			t.Fatal("parsed a run.yaml without config sets")
		}
		// Resolution terminates even when every base points back here.
		self := func(string) (*RunConfig, error) { return c, nil }
		for name := range c.ConfigSets {
			_, _ = c.Resolve(name, self)
		}
		_, _ = c.Resolve("", self)
	})
}
