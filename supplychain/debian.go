package supplychain

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// DebianPackage is one installed package of the toolchain image's dpkg database.
type DebianPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	// Licenses are the License: short names of a machine-readable (DEP-5) copyright file,
	// sorted, as Debian writes them; empty when the file is missing or not machine-readable.
	Licenses []string `json:"licenses,omitempty"`
}

// DebianFile is a file a Debian package installed: the package's key and the file's path.
type DebianFile struct {
	Package string `json:"package"`
	Path    string `json:"path"`
}

// DebianIndex finds the Debian package a file came from by its content (dpkg records every
// file's MD5). It is read once per toolchain image and can be cached as JSON.
type DebianIndex struct {
	// Packages by key: name, or name:arch for a package whose info files carry the arch.
	Packages map[string]*DebianPackage `json:"packages"`
	// ByMD5 maps a file's MD5 (lowercase hex) to the packages' files with that content.
	ByMD5 map[string][]DebianFile `json:"by_md5"`
}

// emptyMD5 is the MD5 of no bytes: empty files say nothing about where they came from.
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

// ReadDpkg reads the tar stream of /var/lib/dpkg (as the engine's copy API sends it: entries
// named dpkg/status, dpkg/info/<package>[:<arch>].md5sums) into an index. Only installed
// packages count; other entries are skipped unread.
func ReadDpkg(r io.Reader) (*DebianIndex, error) {
	idx := &DebianIndex{Packages: map[string]*DebianPackage{}, ByMD5: map[string][]DebianFile{}}
	sums := map[string][]byte{} // info file key -> md5sums content
	var status []byte
	err := eachTarEntry(r, "dpkg database", func(hdr *tar.Header, content io.Reader) (err error) {
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		dir, base := path.Split(strings.TrimPrefix(hdr.Name, "./"))
		switch {
		case dir == "dpkg/" && base == "status":
			status, err = io.ReadAll(content)
		case dir == "dpkg/info/" && strings.HasSuffix(base, ".md5sums"):
			sums[strings.TrimSuffix(base, ".md5sums")], err = io.ReadAll(content)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if status == nil {
		return nil, errors.New("dpkg database: no status file")
	}
	for _, p := range parseStatus(status) {
		key := p.Name
		if _, ok := sums[p.Name+":"+p.Arch]; ok {
			key = p.Name + ":" + p.Arch
		}
		idx.Packages[key] = p
		for _, f := range parseMD5Sums(sums[key]) {
			idx.ByMD5[f.md5] = append(idx.ByMD5[f.md5], DebianFile{Package: key, Path: f.path})
		}
	}
	for _, files := range idx.ByMD5 {
		sort.Slice(files, func(i, j int) bool {
			if files[i].Package != files[j].Package {
				return files[i].Package < files[j].Package
			}
			return files[i].Path < files[j].Path
		})
	}
	return idx, nil
}

// eachTarEntry calls fn with each entry of a tar stream; errors name what the stream is and the
// entry.
func eachTarEntry(r io.Reader, what string, fn func(hdr *tar.Header, content io.Reader) error) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(hdr, tr); err != nil {
			return fmt.Errorf("%s: %s: %w", what, hdr.Name, err)
		}
	}
}

// parseStatus returns the installed packages of a dpkg status file.
func parseStatus(data []byte) []*DebianPackage {
	var out []*DebianPackage
	for _, para := range bytes.Split(data, []byte("\n\n")) {
		f := controlFields(para)
		if f["Package"] == "" || !strings.HasSuffix(f["Status"], " installed") {
			continue
		}
		out = append(out, &DebianPackage{Name: f["Package"], Version: f["Version"], Arch: f["Architecture"]})
	}
	return out
}

// controlFields reads the single-line fields of one deb822 paragraph (the first line of a
// multi-line field).
func controlFields(para []byte) map[string]string {
	f := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(para))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

type md5Line struct{ md5, path string }

// parseMD5Sums reads "<md5>  <path>" lines; paths are relative to / in dpkg's files.
func parseMD5Sums(data []byte) []md5Line {
	var out []md5Line
	for _, line := range strings.Split(string(data), "\n") {
		sum, p, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 32 || sum == emptyMD5 {
			continue
		}
		out = append(out, md5Line{md5: strings.ToLower(sum), path: "/" + strings.TrimPrefix(p, "/")})
	}
	return out
}

// ReadCopyrights reads the tar stream of /usr/share/doc (entries doc/<package>/copyright, or
// doc/<package> as a symlink to another package's directory) and records each package's DEP-5
// licence names. Other entries are skipped unread.
func (idx *DebianIndex) ReadCopyrights(r io.Reader) error {
	licenses := map[string][]string{} // doc directory -> names
	links := map[string]string{}      // doc directory -> the directory it links to
	err := eachTarEntry(r, "copyright files", func(hdr *tar.Header, content io.Reader) error {
		parts := strings.Split(strings.Trim(strings.TrimPrefix(hdr.Name, "./"), "/"), "/")
		switch {
		case len(parts) == 2 && hdr.Typeflag == tar.TypeSymlink:
			links[parts[1]] = path.Base(hdr.Linkname)
		case len(parts) == 3 && parts[2] == "copyright" && hdr.Typeflag == tar.TypeReg && hdr.Size < 4<<20:
			data, err := io.ReadAll(content)
			if err != nil {
				return err
			}
			licenses[parts[1]] = dep5Licenses(data)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for key, p := range idx.Packages {
		dir := p.Name
		for i := 0; i < 8 && licenses[dir] == nil && links[dir] != ""; i++ {
			dir = links[dir]
		}
		idx.Packages[key].Licenses = licenses[dir]
	}
	return nil
}

// dep5Licenses returns the License: names of a machine-readable copyright file, sorted and
// unique, or nil when the file is not machine-readable.
func dep5Licenses(data []byte) []string {
	if !bytes.HasPrefix(data, []byte("Format:")) && !bytes.HasPrefix(data, []byte("Format-Specification:")) {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, para := range bytes.Split(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n\n")) {
		if name := controlFields(para)["License"]; name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Origin is where a file of a package came from in the toolchain image.
type Origin struct {
	Package *DebianPackage
	Path    string
}

// Lookup returns the Debian packages' files with the same content as a package's file (its MD5;
// size zero files never match). When several packages ship that content, the ones whose file has
// the same base name win; all of them are returned, in a fixed order.
func (idx *DebianIndex) Lookup(name, md5 string) []Origin {
	if idx == nil || md5 == emptyMD5 {
		return nil
	}
	files := idx.ByMD5[md5]
	var same []DebianFile
	for _, f := range files {
		if path.Base(f.Path) == path.Base(name) {
			same = append(same, f)
		}
	}
	if len(same) > 0 {
		files = same
	}
	out := make([]Origin, 0, len(files))
	for _, f := range files {
		if p := idx.Packages[f.Package]; p != nil {
			out = append(out, Origin{Package: p, Path: f.Path})
		}
	}
	return out
}
