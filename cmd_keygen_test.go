package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/supplychain"
)

// testKey makes an encrypted key pair with keygen and returns the private key's path.
func testKey(t *testing.T, password string) string {
	t.Helper()
	t.Setenv("PKGDRIVER_SIGN_PASSWORD", password)
	prefix := filepath.Join(t.TempDir(), "k")
	res := pkgdriver(t, "keygen", "--output-key-prefix", prefix)
	assert.Assert(t, res.code == exitOK, res)
	return prefix + ".key"
}

func TestKeygen(t *testing.T) {
	for _, typ := range []string{"ecdsa-p256", "ed25519"} {
		t.Run(typ, func(t *testing.T) {
			t.Setenv("PKGDRIVER_SIGN_PASSWORD", "s3cret")
			prefix := filepath.Join(t.TempDir(), "pkgdriver")
			res := pkgdriver(t, "keygen", "--type", typ, "--output-key-prefix", prefix)
			assert.Equal(t, res.code, exitOK, res)
			assert.Check(t, is.Contains(res.stdout, "wrote "+prefix+".key"))
			assert.Check(t, !strings.Contains(res.stdout+res.stderr, "s3cret"))
			fi, err := os.Stat(prefix + ".key")
			assert.NilError(t, err)
			assert.Check(t, is.Equal(fi.Mode().Perm(), os.FileMode(0o600)))
			_, err = supplychain.LoadSigner(prefix+".key", []byte("s3cret"))
			assert.NilError(t, err)
			_, err = supplychain.LoadPublicKey(prefix + ".pub")
			assert.NilError(t, err)

			// Never over an existing key.
			before, _ := os.ReadFile(prefix + ".key")
			res = pkgdriver(t, "keygen", "--type", typ, "--output-key-prefix", prefix)
			assert.Check(t, is.Equal(res.code, exitUsage), res)
			assert.Check(t, is.Contains(res.stderr, "exists: not overwriting a key"))
			after, _ := os.ReadFile(prefix + ".key")
			assert.Check(t, is.Equal(string(after), string(before)))
		})
	}
	res := pkgdriver(t, "keygen", "--type", "rsa", "--output-key-prefix", filepath.Join(t.TempDir(), "k"))
	assert.Check(t, is.Equal(res.code, exitUsage), res)
	assert.Check(t, is.Contains(res.stderr, `key type "rsa"`))
}

// verify: without its supply-chain files a package is checked as an archive, unless a key
// asks for them; a key that cannot be read is a usage error.
func TestPackageVerifySupplyChain(t *testing.T) {
	dir := t.TempDir()
	initPackage(t, dir)
	assert.Equal(t, capstan(t, "package", "build", dir).code, exitOK)
	mpm := filepath.Join(dir, "foo.mpm")

	res := pkgdriver(t, "package", "verify", mpm)
	assert.Equal(t, res.code, exitOK, res)
	assert.Check(t, is.Contains(res.stdout, "no SBOM or provenance beside it"))

	priv := testKey(t, "pw")
	pub := strings.TrimSuffix(priv, ".key") + ".pub"
	res = pkgdriver(t, "package", "verify", "--key", pub, mpm)
	assert.Equal(t, res.code, exitFailed, res)
	for _, want := range []string{"verification failed, 3 problem(s)", "foo.mpm.sig: missing", "foo.spdx.json: missing", "foo.intoto.jsonl: missing"} {
		assert.Check(t, is.Contains(res.stderr, want))
	}
	res = pkgdriver(t, "package", "verify", "--key", filepath.Join(dir, "none.pub"), mpm)
	assert.Check(t, is.Equal(res.code, exitUsage), res)
	res = pkgdriver(t, "package", "verify", "--key", priv, mpm)
	assert.Check(t, is.Equal(res.code, exitUsage), res)
	assert.Check(t, is.Contains(res.stderr, "public key"))
}
