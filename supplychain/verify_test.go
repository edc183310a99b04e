package supplychain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/packager"
)

// deliver writes a package and all its supply-chain files into a new directory, signed with the
// key at priv (unsigned when priv is ""), as the driver does.
func deliver(t testing.TB, priv string) Files {
	t.Helper()
	dir := t.TempDir()
	f := FilesFor(makePackage(t, dir))
	arch, err := packager.FileDigestsOf(f.MPM)
	assert.NilError(t, err)
	in := sbomInput(t, f.MPM)
	assert.NilError(t, os.WriteFile(f.SBOM, writeSBOM(t, in), 0o644))
	yamlSum, err := fileDigest(f.Descriptor)
	assert.NilError(t, err)
	pin := provenanceInput()
	pin.Subjects = []Subject{{Name: "demo.mpm", SHA256: arch.SHA256}, {Name: "demo.yaml", SHA256: yamlSum}}
	st, err := Statement(pin)
	assert.NilError(t, err)
	payload, err := MarshalStatement(st)
	assert.NilError(t, err)
	var s *Signer
	if priv != "" {
		s, err = LoadSigner(priv, nil)
		assert.NilError(t, err)
		mpm, err := os.Open(f.MPM)
		assert.NilError(t, err)
		sig, err := s.SignBlob(mpm)
		mpm.Close()
		assert.NilError(t, err)
		assert.NilError(t, os.WriteFile(f.Signature, sig, 0o644))
	}
	env, err := Envelope(t.Context(), s, payload)
	assert.NilError(t, err)
	data, err := MarshalEnvelope(env)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(f.Attestation, data, 0o644))
	return f
}

func loadKey(t testing.TB, pub string) signature.Verifier {
	t.Helper()
	v, err := LoadPublicKey(pub)
	assert.NilError(t, err)
	return v
}

func problems(t testing.TB, err error) []string {
	t.Helper()
	var ve *VerifyError
	assert.Assert(t, errors.As(err, &ve), "want a *VerifyError, got %v", err)
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestVerifySigned(t *testing.T) {
	priv, pub := plainKeyPair(t, t.TempDir())
	f := deliver(t, priv)
	got, err := Verify(t.Context(), f, loadKey(t, pub))
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, Verified{Files: 4, Signed: true})
}

// An unsigned run still writes the SBOM and the (unsigned) provenance, which verify without a
// key; asked to check signatures, verify says there are none.
func TestVerifyUnsigned(t *testing.T) {
	f := deliver(t, "")
	_, err := os.Stat(f.Signature)
	assert.Check(t, os.IsNotExist(err))
	got, err := Verify(t.Context(), f, nil)
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, Verified{Files: 4})

	_, pub := plainKeyPair(t, t.TempDir())
	_, err = Verify(t.Context(), f, loadKey(t, pub))
	assert.DeepEqual(t, problems(t, err), []string{
		"demo.mpm.sig: missing: the signature is not beside the package",
		"demo.intoto.jsonl: the envelope is not signed",
	})
}

// Each kind of tampering fails verification, naming the file and what is wrong.
func TestVerifyTampering(t *testing.T) {
	priv, pub := plainKeyPair(t, t.TempDir())
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, f Files)
		want   []string // substrings of the problems, in order
	}{
		{
			name: "one byte of the .mpm (gzip header: still readable)",
			tamper: func(t *testing.T, f Files) {
				editFile(t, f.MPM, func(b []byte) []byte { b[5] ^= 1; return b })
			},
			want: []string{"demo.mpm.sig: the signature does not match demo.mpm under the key",
				"demo.spdx.json: the package's SHA256", "demo.intoto.jsonl: subject demo.mpm has sha256"},
		},
		{
			name: "one byte inside the .mpm's compressed data",
			tamper: func(t *testing.T, f Files) {
				editFile(t, f.MPM, func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
			},
			want: []string{"demo.mpm.sig: the signature does not match", "demo.mpm: cannot be read"},
		},
		{
			name: "one SBOM entry's digest",
			tamper: func(t *testing.T, f Files) {
				editSBOM(t, f.SBOM, func(doc map[string]any) {
					file := doc["files"].([]any)[0].(map[string]any)
					sums := file["checksums"].([]any)
					sums[1].(map[string]any)["checksumValue"] = strings.Repeat("0", 64)
				})
			},
			want: []string{"demo.spdx.json: ./demo.so: the SBOM's SHA256 0000000000000000000000000000000000000000000000000000000000000000 differs from the archive's"},
		},
		{
			name: "an SBOM entry removed and one added",
			tamper: func(t *testing.T, f Files) {
				editSBOM(t, f.SBOM, func(doc map[string]any) {
					files := doc["files"].([]any)
					files[0].(map[string]any)["fileName"] = "./not-there"
				})
			},
			want: []string{"./demo.so is in the archive but not in the SBOM", "./not-there is in the SBOM but not in the archive"},
		},
		{
			name: "the envelope's payload",
			tamper: func(t *testing.T, f Files) {
				editEnvelope(t, f.Attestation, func(env *dsse.Envelope) {
					payload, _ := base64.StdEncoding.DecodeString(env.Payload)
					env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"demo.mpm"`), []byte(`"other.mpm"`), 1))
				})
			},
			want: []string{"demo.intoto.jsonl: the envelope's signature does not verify under the key", "demo.intoto.jsonl: no subject demo.mpm"},
		},
		{
			name: "the envelope's signature",
			tamper: func(t *testing.T, f Files) {
				editEnvelope(t, f.Attestation, func(env *dsse.Envelope) {
					sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
					sig[len(sig)-1] ^= 1
					env.Signatures[0].Sig = base64.StdEncoding.EncodeToString(sig)
				})
			},
			want: []string{"demo.intoto.jsonl: the envelope's signature does not verify under the key"},
		},
		{
			name: "the blob signature",
			tamper: func(t *testing.T, f Files) {
				editFile(t, f.Signature, func(b []byte) []byte {
					sig, _ := base64.StdEncoding.DecodeString(string(b))
					sig[len(sig)-1] ^= 1
					return []byte(base64.StdEncoding.EncodeToString(sig))
				})
			},
			want: []string{"demo.mpm.sig: the signature does not match demo.mpm under the key"},
		},
		{
			name: "the descriptor",
			tamper: func(t *testing.T, f Files) {
				editFile(t, f.Descriptor, func(b []byte) []byte { return append(b, '#') })
			},
			want: []string{"demo.intoto.jsonl: subject demo.yaml has sha256"},
		},
		{
			name:   "the SBOM is gone",
			tamper: func(t *testing.T, f Files) { assert.NilError(t, os.Remove(f.SBOM)) },
			want:   []string{"demo.spdx.json: missing: the SBOM is not beside the package"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := deliver(t, priv)
			tc.tamper(t, f)
			_, err := Verify(t.Context(), f, loadKey(t, pub))
			got := problems(t, err)
			assert.Assert(t, is.Len(got, len(tc.want)), "%q", got)
			for i, w := range tc.want {
				assert.Check(t, is.Contains(got[i], w))
			}
		})
	}
}

// Another key's signatures are refused.
func TestVerifyWrongKey(t *testing.T) {
	priv, _ := plainKeyPair(t, t.TempDir())
	_, other := plainKeyPair(t, t.TempDir())
	_, err := Verify(t.Context(), deliver(t, priv), loadKey(t, other))
	got := problems(t, err)
	assert.Assert(t, is.Len(got, 2))
	assert.Check(t, is.Contains(got[0], "the signature does not match"))
	assert.Check(t, is.Contains(got[1], "the envelope's signature does not verify"))
}

func editFile(t testing.TB, path string, edit func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(path, edit(data), 0o644))
}

func editSBOM(t testing.TB, path string, edit func(map[string]any)) {
	t.Helper()
	editFile(t, path, func(b []byte) []byte {
		var doc map[string]any
		assert.NilError(t, json.Unmarshal(b, &doc))
		edit(doc)
		out, err := json.Marshal(doc)
		assert.NilError(t, err)
		return out
	})
}

func editEnvelope(t testing.TB, path string, edit func(*dsse.Envelope)) {
	t.Helper()
	editFile(t, path, func(b []byte) []byte {
		var env dsse.Envelope
		assert.NilError(t, json.Unmarshal(b, &env))
		edit(&env)
		out, err := MarshalEnvelope(&env)
		assert.NilError(t, err)
		return out
	})
}
