package testutil

import (
	"archive/tar"
	"bytes"
	"io"
	"sort"
	"testing"
	"time"
)

// TarUID, TarGID and TarMode are what TarOf gives every entry, so a test can check that a backend keeps
// a file's owner, mode and time on the way in.
const (
	TarUID  = 1234
	TarGID  = 5678
	TarMode = 0o750
)

// TarTime is every entry's modification time in TarOf's streams.
var TarTime = time.Unix(1e9, 0)

// TarOf is a tar stream of regular files (name to content), in name order, each with TarMode,
// TarUID/TarGID and TarTime: what a test copies into a container.
func TarOf(t testing.TB, files map[string]string) io.Reader {
	t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		body := files[name]
		hdr := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: TarMode, Size: int64(len(body)),
			Uid: TarUID, Gid: TarGID, ModTime: TarTime}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// TarFiles reads a tar stream to its end: each entry's name to its content (directories with
// empty content): what a test copied out of a container.
func TarFiles(t testing.TB, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(data)
	}
}
