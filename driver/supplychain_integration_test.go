package driver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/report"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// hostCopyScript copies a program and a library of the toolchain's Debian packages into the
// package (as the built-in recipes' from_host does), and one file of its own.
var hostCopyScript = script(
	`mkdir -p "$PACKAGE_RESULT_DIR/usr/lib"`,
	`cp "$(readlink -f /usr/bin/ls)" "$PACKAGE_RESULT_DIR/ls"`,
	`cp "$(readlink -f /lib/x86_64-linux-gnu/libpcre2-8.so.0)" "$PACKAGE_RESULT_DIR/usr/lib/libpcre2-8.so.0"`,
	`echo own > "$PACKAGE_RESULT_DIR/own.txt"`,
	packageInit,
)

// signingKey writes an unencrypted ECDSA key pair and loads its signer. Encrypted keys are made
// by the pkgdriver binary below: scrypt takes 64 MiB, which would raise this test process's peak
// memory, and with it what TestLoadOutputMemory measures of the processes it starts.
func signingKey(t *testing.T) (*supplychain.Signer, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	assert.NilError(t, err)
	priv, err := cryptoutils.MarshalPrivateKeyToPEM(k)
	assert.NilError(t, err)
	pub, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	assert.NilError(t, err)
	dir := t.TempDir()
	privPath, pubPath := filepath.Join(dir, "sign.key"), filepath.Join(dir, "sign.pub")
	assert.NilError(t, os.WriteFile(privPath, priv, 0o600))
	assert.NilError(t, os.WriteFile(pubPath, pub, 0o644))
	s, err := supplychain.LoadSigner(privPath, nil)
	assert.NilError(t, err)
	return s, pubPath
}

// TestSupplyChain runs a recipe that copies files of the toolchain's Debian packages through
// the real engine, signed: the SBOM names those packages (from the toolchain's dpkg database)
// and every file, the provenance's subjects are the package, and pkgdriver's verify (and cosign,
// when it is there) accept the files. A rebuild gives a byte-identical SBOM and the same
// predicate apart from the run details; an unsigned rebuild writes an SBOM and an unsigned
// envelope and removes the old signature; a signed run over cached packages signs them.
// publish carries the files beside the packages and into the packages image.
func TestSupplyChain(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "hostcopy", hostCopyScript, nil)
	signer, pubPath := signingKey(t)
	l := resultdir.Layout{Root: result}
	files := supplychain.FilesFor(l.MPM("hostcopy"))

	cfg, out := testConfig(t, recipes, result)
	cfg.Signer, cfg.Accel = signer, driver.AccelTCG
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	assert.Assert(t, is.Equal(rep.Status, report.RunOK), out.String())
	res := resultOf(t, rep, "hostcopy")
	assert.DeepEqual(t, res.Evidence, &report.Evidence{SBOM: "packages/hostcopy.spdx.json",
		Attestation: "packages/hostcopy.intoto.jsonl", Signature: "packages/hostcopy.mpm.sig"})
	key, err := supplychain.LoadPublicKey(pubPath)
	assert.NilError(t, err)
	v, err := supplychain.Verify(ctx, files, key)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(*v, supplychain.Verified{Files: 4, Signed: true}))

	sbom := readFile(t, files.SBOM)
	var doc struct {
		Packages []struct {
			Name, VersionInfo, LicenseComments string
			Supplier                           string
		}
		Files []struct{ FileName, Comment string }
	}
	assert.NilError(t, json.Unmarshal([]byte(sbom), &doc))
	debian := map[string]string{}
	for _, p := range doc.Packages {
		if p.Supplier == "Organization: Debian" {
			debian[p.Name] = p.VersionInfo
		}
	}
	assert.Check(t, is.Equal(debian["coreutils"], dpkgVersion(t, rep.Toolchain.ID, "coreutils")), "SBOM packages: %v", debian)
	assert.Check(t, is.Equal(debian["libpcre2-8-0"], dpkgVersion(t, rep.Toolchain.ID, "libpcre2-8-0:amd64")))
	assert.Check(t, is.Len(debian, 2))
	comments := map[string]string{}
	for _, f := range doc.Files {
		comments[f.FileName] = f.Comment
	}
	assert.Check(t, is.Contains(comments["./ls"], "/bin/ls of Debian package coreutils"))
	assert.Check(t, is.Equal(comments["./own.txt"], ""))
	payload := statementOf(t, files.Attestation)

	t.Run("cosign accepts the signature and the attestation", func(t *testing.T) {
		cosign := requireCosign(t)
		pkgs := l.Packages()
		cosignRun(t, cosign, pkgs, "", "verify-blob", "--key", pubPath, "--signature", files.Signature, "--insecure-ignore-tlog", files.MPM)
		cosignRun(t, cosign, pkgs, "", "verify-blob-attestation", "--key", pubPath, "--signature", files.Attestation,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", files.MPM)
		// and cosign refuses a tampered one, so the check above means something
		other := filepath.Join(t.TempDir(), "hostcopy.mpm")
		data, _ := os.ReadFile(files.MPM)
		data[5] ^= 1
		assert.NilError(t, os.WriteFile(other, data, 0o644))
		cosignFails(t, cosign, pkgs, "verify-blob", "--key", pubPath, "--signature", files.Signature, "--insecure-ignore-tlog", other)
		// cosign reads pkgdriver keygen's encrypted key, and pkgdriver cosign's (a run that
		// loads it gets as far as the engine, here a missing one, never a key error).
		bin := testutil.Pkgdriver(t)
		keys := t.TempDir()
		t.Setenv("PKGDRIVER_SIGN_PASSWORD", "pw")
		_, stderr, code := runBin(t, bin, "keygen", "--output-key-prefix", filepath.Join(keys, "pkgdriver"))
		assert.Assert(t, code == 0, stderr)
		sig := filepath.Join(keys, "blob.sig")
		cosignRun(t, cosign, pkgs, "pw", "sign-blob", "--key", filepath.Join(keys, "pkgdriver.key"), "--tlog-upload=false", "--output-signature", sig, "--yes", files.MPM)
		cosignRun(t, cosign, pkgs, "", "verify-blob", "--key", filepath.Join(keys, "pkgdriver.pub"), "--signature", sig, "--insecure-ignore-tlog", files.MPM)
		cosignRun(t, cosign, keys, "cosign-pw", "generate-key-pair")
		t.Setenv("PKGDRIVER_SIGN_PASSWORD", "cosign-pw")
		t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(keys, "no-engine.sock"))
		_, stderr, code = runBin(t, bin, "run", "--builtin-recipes=false", "--result-dir", filepath.Join(keys, "r"),
			"--sign-key", filepath.Join(keys, "cosign.key"))
		assert.Check(t, code != 0, stderr)
		assert.Check(t, is.Contains(stderr, "docker engine"))
		assert.Check(t, !strings.Contains(stderr, "signing key"), stderr)
		t.Setenv("PKGDRIVER_SIGN_PASSWORD", "wrong")
		_, stderr, code = runBin(t, bin, "run", "--builtin-recipes=false", "--result-dir", filepath.Join(keys, "r"),
			"--sign-key", filepath.Join(keys, "cosign.key"))
		assert.Check(t, is.Equal(code, 2), stderr)
		assert.Check(t, is.Contains(stderr, "a wrong PKGDRIVER_SIGN_PASSWORD"))

		// Ed25519 keys too: the blob and an envelope of the same statement.
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		assert.NilError(t, err)
		edPriv, err := cryptoutils.MarshalPrivateKeyToPEM(edKey)
		assert.NilError(t, err)
		edPub, err := cryptoutils.MarshalPublicKeyToPEM(edKey.Public())
		assert.NilError(t, err)
		assert.NilError(t, os.WriteFile(filepath.Join(keys, "ed.key"), edPriv, 0o600))
		assert.NilError(t, os.WriteFile(filepath.Join(keys, "ed.pub"), edPub, 0o644))
		ed, err := supplychain.LoadSigner(filepath.Join(keys, "ed.key"), nil)
		assert.NilError(t, err)
		mpm, err := os.Open(files.MPM)
		assert.NilError(t, err)
		defer mpm.Close()
		sigData, err := ed.SignBlob(mpm)
		assert.NilError(t, err)
		assert.NilError(t, os.WriteFile(sig, sigData, 0o644))
		statement, err := json.Marshal(payload)
		assert.NilError(t, err)
		env, err := supplychain.Envelope(ctx, ed, statement)
		assert.NilError(t, err)
		envData, err := supplychain.MarshalEnvelope(env)
		assert.NilError(t, err)
		edEnv := filepath.Join(keys, "ed.intoto.jsonl")
		assert.NilError(t, os.WriteFile(edEnv, envData, 0o644))
		cosignRun(t, cosign, pkgs, "", "verify-blob", "--key", filepath.Join(keys, "ed.pub"), "--signature", sig, "--insecure-ignore-tlog", files.MPM)
		cosignRun(t, cosign, pkgs, "", "verify-blob-attestation", "--key", filepath.Join(keys, "ed.pub"), "--signature", edEnv,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", files.MPM)
	})

	t.Run("pkgdriver package verify names what was tampered with", func(t *testing.T) {
		bin := testutil.Pkgdriver(t)
		dir := t.TempDir()
		copyFiles(t, files, dir)
		mpm := filepath.Join(dir, "hostcopy.mpm")
		stdout, stderr, code := runBin(t, bin, "package", "verify", "--key", pubPath, mpm)
		assert.Check(t, is.Equal(code, 0), stderr)
		assert.Check(t, is.Contains(stdout, "the signature and the provenance's signature verify"))
		sbomPath := filepath.Join(dir, "hostcopy.spdx.json")
		good := readFile(t, sbomPath)
		assert.NilError(t, os.WriteFile(sbomPath, []byte(strings.Replace(good, `"./own.txt"`, `"./other.txt"`, 1)), 0o644))
		_, stderr, code = runBin(t, bin, "package", "verify", "--key", pubPath, mpm)
		assert.Check(t, is.Equal(code, 1))
		assert.Check(t, is.Contains(stderr, "hostcopy.spdx.json: ./own.txt is in the archive but not in the SBOM"))
		assert.Check(t, is.Contains(stderr, "hostcopy.spdx.json: ./other.txt is in the SBOM but not in the archive"))
	})

	// A clean rebuild: the same package, the same SBOM byte for byte, the same predicate but
	// for the run details.
	cfg2, out := testConfig(t, recipes, result)
	cfg2.Signer, cfg2.Accel, cfg2.NoCache = signer, driver.AccelTCG, true
	rep, err = execute(t, ctx, api, cfg2)
	assert.NilError(t, err)
	assert.Assert(t, is.Equal(rep.Status, report.RunOK), out.String())
	assert.Check(t, is.Equal(readFile(t, files.SBOM), sbom), "the SBOM changed in a rebuild")
	again := statementOf(t, files.Attestation)
	assert.Check(t, !is.DeepEqual(payload, again)().Success(), "the run details should differ")
	for _, st := range []map[string]any{payload, again} {
		delete(st["predicate"].(map[string]any), "runDetails")
	}
	assert.Check(t, is.DeepEqual(payload, again))

	// Unsigned: the SBOM and an unsigned envelope, and no signature of an earlier build.
	cfg3, out := testConfig(t, recipes, result)
	cfg3.Accel, cfg3.NoCache = driver.AccelTCG, true
	rep, err = execute(t, ctx, api, cfg3)
	assert.NilError(t, err)
	assert.Assert(t, is.Equal(rep.Status, report.RunOK), out.String())
	assert.DeepEqual(t, resultOf(t, rep, "hostcopy").Evidence, &report.Evidence{SBOM: "packages/hostcopy.spdx.json",
		Attestation: "packages/hostcopy.intoto.jsonl"})
	_, err = os.Stat(files.Signature)
	assert.Check(t, errors.Is(err, os.ErrNotExist), "an old signature is left")
	_, err = supplychain.Verify(ctx, files, nil)
	assert.NilError(t, err)
	_, err = supplychain.Verify(ctx, files, key)
	assert.Check(t, is.ErrorContains(err, "the envelope is not signed"))

	// Signed again, cached: the package is not rebuilt but gets its signature.
	cfg4, out := testConfig(t, recipes, result)
	cfg4.Signer, cfg4.Accel = signer, driver.AccelTCG
	rep, err = execute(t, ctx, api, cfg4)
	assert.NilError(t, err)
	assert.Assert(t, is.Equal(resultOf(t, rep, "hostcopy").Status, report.StatusCached), out.String())
	assert.Check(t, is.Equal(resultOf(t, rep, "hostcopy").Evidence.Signature, "packages/hostcopy.mpm.sig"))
	_, err = supplychain.Verify(ctx, files, key)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(readFile(t, files.SBOM), sbom))

	t.Run("publish carries them", func(t *testing.T) {
		addr := testutil.StartRegistry(t, "")
		repo := addr + "/pkgdriver/supply-chain"
		pkgRepo := publish.PackagesRepository(repo)
		testutil.RemoveRepositories(t, api, repo, pkgRepo)
		to := filepath.Join(t.TempDir(), "capstan")
		loaded, err := report.Load(l)
		assert.NilError(t, err)
		p := &publish.Publisher{Engine: docker.Wrap(api), Config: publish.Config{Repository: repo, PackagesTo: to}, Layout: l,
			Credentials: publish.CredentialSource{ConfigDir: t.TempDir()}, Log: testutil.Logger(t)}
		pub, err := p.Publish(ctx, loaded)
		assert.NilError(t, err)
		inImage := testutil.ImageFiles(t, api, pkgRepo+":"+pub.Tag, "/packages")
		for _, f := range []string{files.SBOM, files.Attestation, files.Signature} {
			base := filepath.Base(f)
			assert.Check(t, is.Equal(readFile(t, filepath.Join(to, "packages", base)), readFile(t, f)), base)
			assert.Check(t, is.Equal(inImage["packages/"+base], readFile(t, f)), base)
		}
	})
}

// dpkgVersion asks the toolchain image's own dpkg for a package's version (the docker CLI, so
// that the answer does not come from pkgdriver's reading of the database).
func dpkgVersion(t *testing.T, image, pkg string) string {
	t.Helper()
	out, err := exec.Command("docker", "run", "--rm", "--network", "none", "--label", "pkgdriver.run=attest-test",
		image, "dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	assert.NilError(t, err)
	return string(out)
}

func statementOf(t *testing.T, path string) map[string]any {
	t.Helper()
	var env struct{ Payload string }
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, path)), &env))
	data, err := base64.StdEncoding.DecodeString(env.Payload)
	assert.NilError(t, err)
	var st map[string]any
	assert.NilError(t, json.Unmarshal(data, &st))
	return st
}

func copyFiles(t *testing.T, f supplychain.Files, dir string) {
	t.Helper()
	for _, p := range []string{f.MPM, f.Descriptor, f.SBOM, f.Attestation, f.Signature} {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, filepath.Base(p)), []byte(readFile(t, p)), 0o644))
	}
}

func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitCode()
	}
	assert.NilError(t, err)
	return o.String(), e.String(), 0
}

// requireCosign finds cosign (scripts/ensure-cosign.sh installs it): $COSIGN, PATH, or Go's bin
// directory. Missing, the test is skipped, or fails under CI=true.
func requireCosign(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("COSIGN")}
	if p, err := exec.LookPath("cosign"); err == nil {
		candidates = append(candidates, p)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(out)), "bin", "cosign"))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); c != "" && err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("cosign is missing under CI=true (run scripts/ensure-cosign.sh)")
	}
	t.Skip("cosign is missing (run scripts/ensure-cosign.sh)")
	return ""
}

// cosignCmd runs cosign offline: its TUF client is pointed at a mirror on 127.0.0.1 it has no
// root for, so it never reaches out (a key-based verification needs nothing from TUF).
func cosignCmd(cosign, dir, password string, args ...string) *exec.Cmd {
	cmd := exec.Command(cosign, args...)
	cmd.Dir = dir
	tuf, _ := os.MkdirTemp("", "pkgdriver-tuf-")
	cmd.Env = append(os.Environ(), "TUF_ROOT="+tuf, "TUF_MIRROR=http://127.0.0.1:9", "COSIGN_PASSWORD="+password,
		"HOME="+tuf, "SIGSTORE_NO_CACHE=true")
	return cmd
}

func cosignRun(t *testing.T, cosign, dir, password string, args ...string) {
	t.Helper()
	cmd := cosignCmd(cosign, dir, password, args...)
	defer os.RemoveAll(envValue(cmd.Env, "TUF_ROOT"))
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "cosign %s:\n%s", strings.Join(args, " "), out)
	t.Logf("cosign %s:\n%s", args[0], out)
}

func cosignFails(t *testing.T, cosign, dir string, args ...string) {
	t.Helper()
	cmd := cosignCmd(cosign, dir, "", args...)
	defer os.RemoveAll(envValue(cmd.Env, "TUF_ROOT"))
	out, err := cmd.CombinedOutput()
	assert.Check(t, err != nil, "cosign %s accepted a tampered file:\n%s", strings.Join(args, " "), out)
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}
