package supplychain

import (
	"errors"
	"os"
	"testing"
)

// FuzzVerify feeds arbitrary SBOM and envelope bytes (what a download may hold) to Verify beside
// a real package: it never panics, and what it finds wrong comes back as a *VerifyError.
func FuzzVerify(f *testing.F) {
	good := deliver(f, "")
	sbom, err := os.ReadFile(good.SBOM)
	if err != nil {
		f.Fatal(err)
	}
	envelope, err := os.ReadFile(good.Attestation)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sbom, envelope)
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3"}`), []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30="}`))
	f.Add([]byte("null"), []byte("[]"))
	f.Fuzz(func(t *testing.T, sbomData, envData []byte) {
		dir := t.TempDir()
		files := FilesFor(dir + "/demo.mpm")
		for _, c := range []struct {
			path string
			data []byte
		}{{files.SBOM, sbomData}, {files.Attestation, envData}} {
			if err := os.WriteFile(c.path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		copyTo(t, good.MPM, files.MPM)
		copyTo(t, good.Descriptor, files.Descriptor)
		_, err := Verify(t.Context(), files, nil)
		var ve *VerifyError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("not a *VerifyError: %v", err)
		}
	})
}

func copyTo(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
