package supplychain

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// writeKeyPair generates a key pair into dir as key.key and key.pub.
func writeKeyPair(t *testing.T, dir, alg, password string) (priv, pub string) {
	t.Helper()
	privPEM, pubPEM, err := GenerateKey(alg, []byte(password))
	assert.NilError(t, err)
	priv, pub = filepath.Join(dir, alg+".key"), filepath.Join(dir, alg+".pub")
	assert.NilError(t, os.WriteFile(priv, privPEM, 0o600))
	assert.NilError(t, os.WriteFile(pub, pubPEM, 0o644))
	return priv, pub
}

func TestGeneratedKeysSignAndVerify(t *testing.T) {
	for _, alg := range []string{KeyECDSAP256, KeyEd25519} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			priv, pub := writeKeyPair(t, dir, alg, "s3cret")
			data, err := os.ReadFile(priv)
			assert.NilError(t, err)
			assert.Check(t, strings.HasPrefix(string(data), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"), "cosign's format")

			s, err := LoadSigner(priv, []byte("s3cret"))
			assert.NilError(t, err)
			sig, err := s.SignBlob(strings.NewReader("blob"))
			assert.NilError(t, err)
			v, err := LoadPublicKey(pub)
			assert.NilError(t, err)
			raw := make([]byte, len(sig))
			n, err := base64Decode(sig, raw)
			assert.NilError(t, err)
			assert.NilError(t, v.VerifySignature(bytes.NewReader(raw[:n]), strings.NewReader("blob")))
			assert.Check(t, v.VerifySignature(bytes.NewReader(raw[:n]), strings.NewReader("blob!")) != nil)
		})
	}
}

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	encrypted, _ := writeKeyPair(t, dir, KeyECDSAP256, "right")
	emptyPassword, _ := writeKeyPair(t, t.TempDir(), KeyECDSAP256, "")
	write := func(name string, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		assert.NilError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384der, _ := x509.MarshalPKCS8PrivateKey(p384)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	for _, tc := range []struct {
		name, path, password, err string
	}{
		{"encrypted", encrypted, "right", ""},
		{"encrypted with an empty password", emptyPassword, "", ""},
		{"wrong password", encrypted, "wrong", "PKGDRIVER_SIGN_PASSWORD"},
		{"plain PKCS#8", write("pkcs8.pem", "PRIVATE KEY", pkcs8), "", ""},
		{"SEC 1", write("sec1.pem", "EC PRIVATE KEY", sec1), "", ""},
		{"P-384", write("p384.pem", "PRIVATE KEY", p384der), "", "want P-256 or Ed25519"},
		{"RSA", write("rsa.pem", "PRIVATE KEY", rsaDER), "", "want ECDSA P-256 or Ed25519"},
		{"missing", filepath.Join(dir, "missing.pem"), "", "no such file"},
		{"not a key", write("cert.pem", "CERTIFICATE", []byte{1}), "", "unknown private key PEM file type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSigner(tc.path, []byte(tc.password))
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Check(t, s.PublicKey() != nil)
		})
	}
}

// A signer in a log line, a %v, a %#v or JSON shows where the key came from, never the key.
func TestSignerRedacts(t *testing.T) {
	priv, _ := writeKeyPair(t, t.TempDir(), KeyEd25519, "pw")
	s, err := LoadSigner(priv, []byte("pw"))
	assert.NilError(t, err)
	js, err := json.Marshal(map[string]any{"key": s})
	assert.NilError(t, err)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(js)} {
		assert.Check(t, is.Contains(out, "redacted"))
		assert.Check(t, !strings.Contains(out, "PRIVATE"), out)
		assert.Check(t, !strings.Contains(out, "sv:"), out)
	}
}

func TestGenerateKeyRefusesUnknownType(t *testing.T) {
	_, _, err := GenerateKey("rsa-4096", nil)
	assert.ErrorContains(t, err, "want ecdsa-p256 or ed25519")
}
