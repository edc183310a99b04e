package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadConfined(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	mk := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	mk("meta/package.yaml", "name: x\n")
	mk("real/package.yaml", "name: inside\n")
	mk("big", strings.Repeat("x", 100))
	link(outside, "hostdir")
	link("real", "inlink")
	link(secret, "meta/run.yaml")
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		want    string
		wantErr string
		notExit bool
	}{
		{name: "meta/package.yaml", want: "name: x\n"},
		{name: "hostdir/secret", wantErr: "hostdir is a symlink"},
		{name: "inlink/package.yaml", wantErr: "inlink is a symlink"},
		{name: "meta/run.yaml", wantErr: "meta/run.yaml: a symlink, not a regular file"},
		{name: "../secret", wantErr: "leaves its directory"},
		{name: "/etc/hostname", wantErr: "leaves its directory"},
		{name: "fifo", wantErr: "a named pipe (fifo), not a regular file"},
		{name: "meta", wantErr: "a directory, not a regular file"},
		{name: "big", wantErr: "100 bytes, more than the 64 allowed"},
		{name: "big/x", wantErr: "big is not a directory"},
		{name: "missing", notExit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				defer close(done)
				got, err = ReadConfined(root, tt.name, 64)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadConfined blocked")
			}
			switch {
			case tt.notExit:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want fs.ErrNotExist", err)
				}
			case tt.wantErr != "":
				var ce *ConfinedError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a *ConfinedError containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "host secret") {
					t.Fatalf("the error carries the host file's content: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case string(got) != tt.want:
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
