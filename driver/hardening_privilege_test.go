package driver_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/report"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// probeScript is a build.sh that reports, into its package, what a recipe can see of its
// container, then waits (up to a minute) for the test to release it by copying in
// /tmp/release, so that the test can inspect the container while it runs. "plant""ed-" is the
// planted secrets' prefix, split so that this script does not hold it.
var probeScript = script(
	`r="$PACKAGE_RESULT_DIR"`,
	`grep -E 'NoNewPrivs|CapEff|CapBnd' /proc/self/status > "$r/status.txt"`,
	`for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock; do if test -e $s; then echo $s; fi; done > "$r/sockets.txt"`,
	`env | sort > "$r/env.txt"`,
	`tr '\000' '\n' < /proc/1/environ > "$r/init-env.txt"`,
	`ls -la / /root /root/.docker > "$r/ls.txt" 2>&1 || true`,
	`grep -rIl "plant""ed-" /etc /root /home /pkgdriver /tmp /run /usr/local /opt > "$r/found.txt" 2>/dev/null || true`,
	`awk '{print $2, $3}' /proc/self/mounts > "$r/mounts.txt"`,
	`echo ready`,
	`i=0; while [ ! -e /tmp/release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
	`test -e /tmp/release`,
	packageInit,
)

// plantedSigningKey writes an ECDSA key encrypted with password (pkgdriver keygen's and cosign's
// format), names it in PKGDRIVER_SIGN_KEY and PKGDRIVER_SIGN_PASSWORD as a user would, and
// returns its signer and the forms in which the key could leak: the PKCS#8 DER and the private
// scalar in base64 and hex, and the encrypted PEM's body.
func plantedSigningKey(t *testing.T, password string) (*supplychain.Signer, []string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	assert.NilError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	assert.NilError(t, err)
	enc, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(k, cryptoutils.StaticPasswordFunc([]byte(password)))
	assert.NilError(t, err)
	pemData := cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, enc)
	path := filepath.Join(t.TempDir(), "planted.key")
	assert.NilError(t, os.WriteFile(path, pemData, 0o600))
	t.Setenv("PKGDRIVER_SIGN_KEY", path)
	t.Setenv("PKGDRIVER_SIGN_PASSWORD", password)
	s, err := supplychain.LoadSigner(path, []byte(password))
	assert.NilError(t, err)
	d, err := k.Bytes()
	assert.NilError(t, err)
	forms := []string{base64.StdEncoding.EncodeToString(der)[:40], base64.StdEncoding.EncodeToString(d)[:32],
		hex.EncodeToString(d), base64.StdEncoding.EncodeToString(enc)[:64]}
	forms = append(forms, strings.Split(string(pemData), "\n")[2:4]...)
	return s, forms
}

// releaseContainer copies /tmp/release into a running container.
func releaseContainer(ctx context.Context, api client.APIClient, id string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/release", Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return api.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{})
}

// contractEnv are the variables pkgdriver sets for build.sh; every other variable of a build
// container comes from the toolchain image.
var contractEnv = []string{"COMMON_DIR", "CPU_COUNT", "GCCBASE", "MISCBASE", "OSV_BUILD_DIR", "OSV_DIR",
	"PACKAGE_NAME", "PACKAGE_RESULT_DIR", "PLATFORM", "RECIPE_DIR", "SOURCE_DATE_EPOCH"}

// TestLeastPrivilege inspects a recipe's build container while it runs: not privileged,
// no-new-privileges, no added capabilities, no host namespaces, no bind mounts and no volumes
// but the shared OSv volume with --share-osv-dir (the engine socket least of all), the resource limits asked for with swap equal to memory,
// /dev/kvm as the only device and only when the run uses KVM, and an environment that is the
// image's plus the contract's variables, nothing of the host's. Inside, the recipe sees
// NoNewPrivs set and no engine socket.
func TestLeastPrivilege(t *testing.T) {
	api := testutil.Engine(t)
	for _, tc := range []struct {
		name    string
		accel   driver.Accel
		devices []string
		shared  bool // --share-osv-dir: the one mount is the OSv volume
	}{
		{name: "tcg", accel: driver.AccelTCG, devices: nil},
		{name: "kvm", accel: driver.AccelKVM, devices: []string{"/dev/kvm"}},
		{name: "shared OSv tree", accel: driver.AccelTCG, shared: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.devices) > 0 {
				if _, err := os.Stat("/dev/kvm"); err != nil {
					t.Skip("no /dev/kvm on this host")
				}
			}
			t.Setenv("PKGDRIVER_HOST_ONLY", "must not reach a container")
			recipes := t.TempDir()
			testutil.Recipe(t, recipes, "probe", probeScript, nil)
			cfg, _ := testConfig(t, recipes, t.TempDir())
			cfg.Accel = tc.accel
			cfg.ShareOSVDir = tc.shared
			cfg.Memory, cfg.PidsLimit, cfg.CPUs = 512<<20, 512, 1
			cfg.Timeout = 2 * time.Minute

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var info container.InspectResponse
			var image []string
			inspected := make(chan error, 1)
			go func() {
				id, err := recipeContainer(ctx, t, api, cfg, "probe", "ready")
				if err == nil {
					info, err = api.ContainerInspect(ctx, id)
				}
				if err == nil {
					img, _ := api.ImageInspect(ctx, info.Image)
					if img.Config != nil {
						image = img.Config.Env
					}
					err = releaseContainer(ctx, api, id)
				}
				inspected <- err
			}()
			rep, err := execute(t, ctx, api, cfg)
			assert.NilError(t, err)
			assert.NilError(t, <-inspected)
			res := resultOf(t, rep, "probe")
			assert.Assert(t, is.Equal(res.Status, report.StatusBuilt), res.Error)

			hc := info.HostConfig
			assert.Check(t, !hc.Privileged, "privileged")
			assert.Check(t, slices.Contains(hc.SecurityOpt, "no-new-privileges"), "security options %v", hc.SecurityOpt)
			assert.Check(t, is.Len(hc.CapAdd, 0))
			assert.Check(t, is.Len(hc.Binds, 0))
			if tc.shared {
				assert.Assert(t, is.Len(info.Mounts, 1), "mounts %+v", info.Mounts)
				m := info.Mounts[0]
				assert.Check(t, is.Equal(string(m.Type), "volume"))
				assert.Check(t, is.Equal(m.Destination, "/osv"))
				assert.Check(t, strings.HasPrefix(m.Name, "pkgdriver-osv-"), "volume %s", m.Name)
			} else {
				assert.Check(t, is.Len(hc.Mounts, 0))
				assert.Check(t, is.Len(info.Mounts, 0), "mounts %+v", info.Mounts)
			}
			assert.Check(t, !hc.NetworkMode.IsHost() && !hc.PidMode.IsHost() && !hc.IpcMode.IsHost() && !hc.UTSMode.IsHost(),
				"host namespaces: net %s pid %s ipc %s uts %s", hc.NetworkMode, hc.PidMode, hc.IpcMode, hc.UTSMode)
			assert.Check(t, is.Equal(hc.Memory, int64(512<<20)))
			assert.Check(t, is.Equal(hc.MemorySwap, int64(512<<20)), "swap would hide an out-of-memory recipe")
			assert.Check(t, hc.PidsLimit != nil && *hc.PidsLimit == 512)
			assert.Check(t, is.Equal(hc.NanoCPUs, int64(1e9)))
			var devices []string
			for _, d := range hc.Devices {
				devices = append(devices, d.PathOnHost)
				assert.Check(t, is.Equal(d.PathInContainer, d.PathOnHost))
			}
			assert.Check(t, is.DeepEqual(devices, tc.devices))

			added := map[string]bool{}
			for _, kv := range info.Config.Env {
				if !slices.Contains(image, kv) {
					k, _, _ := strings.Cut(kv, "=")
					added[k] = true
				}
			}
			var keys []string
			for k := range added {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			assert.Check(t, is.DeepEqual(keys, contractEnv), "variables beyond the image's")

			dir := filepath.Join(cfg.ResultDir, "intermediate", "probe")
			assert.Check(t, is.Contains(readFile(t, filepath.Join(dir, "status.txt")), "NoNewPrivs:\t1"))
			assert.Check(t, is.Equal(readFile(t, filepath.Join(dir, "sockets.txt")), ""), "an engine socket is in the container")
			assert.Check(t, !strings.Contains(readFile(t, filepath.Join(dir, "env.txt")), "PKGDRIVER_HOST_ONLY"))
			assert.Check(t, !strings.Contains(readFile(t, filepath.Join(dir, "mounts.txt")), "docker.sock"))
		})
	}
}

// inspectAll records `docker inspect` of every container of the run while it exists, until
// the returned function is called; it returns the raw documents.
func inspectAll(t *testing.T, api client.APIClient, runID string) func() map[string][]byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	seen := map[string][]byte{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f := filters.NewArgs(filters.Arg("label", "pkgdriver.run="+runID))
		for ctx.Err() == nil {
			list, _ := api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
			for _, c := range list {
				mu.Lock()
				_, ok := seen[c.ID]
				mu.Unlock()
				if ok {
					continue
				}
				if _, raw, err := api.ContainerInspectWithRaw(ctx, c.ID, false); err == nil {
					mu.Lock()
					seen[c.ID] = raw
					mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	stop := func() map[string][]byte {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
	t.Cleanup(func() { stop() })
	return stop
}

// resultTexts reads every file of the result directory as text, gzip-compressed ones (packages,
// the loader) also decompressed.
func resultTexts(t *testing.T, root string) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		texts[p] = string(data)
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				texts[p+" (decompressed)"] = string(plain)
			}
		}
		return nil
	})
	assert.NilError(t, err)
	return texts
}

// TestCredentialsNeverReachRecipes plants a unique secret as registry credentials in a temporary
// DOCKER_CONFIG (and in the environment of pkgdriver, where a careless tool would pass it on),
// then builds, tests and, when a local registry can be started, pushes with those credentials.
// The secret appears nowhere: not in what recipes see (their environment, their files, a search
// of their file system), not in any file of the result directory, the log or the summary, not
// in `docker inspect` of any container the run made.
func TestCredentialsNeverReachRecipes(t *testing.T) {
	api := testutil.Engine(t)
	secret := testutil.PlantedSecret(t)
	const user = "pkgtest"
	registryHost := "registry.pkgdriver.invalid"
	push := false
	if _, err := exec.LookPath("docker-registry"); err == nil {
		if _, err := exec.LookPath("htpasswd"); err == nil {
			registryHost = testutil.StartRegistry(t, testutil.HtpasswdFile(t, user, secret))
			push = true
		}
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	t.Setenv("DOCKER_CONFIG", testutil.WriteAuthConfig(t, `{"auths":{"`+registryHost+`":{"auth":"`+auth+`"},"https://index.docker.io/v1/":{"auth":"`+auth+`"}}}`))
	t.Setenv("DOCKER_AUTH_CONFIG", `{"auths":{"`+registryHost+`":{"auth":"`+auth+`"}}}`)
	t.Setenv("REGISTRY_PASSWORD", secret)

	recipes := t.TempDir()
	// The canary shows the recipe's search works: it is the one file it may find.
	testutil.Recipe(t, recipes, "probe", probeScript, map[string]string{"canary.txt": "plant" + "ed-canary\n"})
	demoRecipe(t, recipes, "greeter", standinProgram("Hello, $1!"), "Hello, unikernel!")
	cfg, out := testConfig(t, recipes, t.TempDir())
	var logged bytes.Buffer
	cfg.Log = zerolog.New(io.MultiWriter(&logged, zerolog.NewTestWriter(t))).Level(zerolog.DebugLevel)
	cfg.SkipTests = false
	cfg.TestTimeout = time.Minute
	cfg.TestMemory = 256 << 20
	cfg.Accel = driver.AccelTCG
	if push {
		repo := registryHost + "/pkgdriver/hardening"
		testutil.RemoveRepositories(t, api, repo, publish.PackagesRepository(repo))
		cfg.Publish = publish.Hook(publish.Config{Push: true, Repository: repo}, cfg.ResultDir, cfg.Log)
	}
	t.Logf("push with the planted credentials: %t", push)
	// A signing key whose password is the secret: neither reaches anything but the signatures.
	signer, keyForms := plantedSigningKey(t, secret)
	cfg.Signer = signer

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stop := inspectAll(t, api, cfg.RunID)
	released := make(chan error, 1)
	go func() {
		id, err := recipeContainer(ctx, t, api, cfg, "probe", "ready")
		if err == nil {
			err = releaseContainer(ctx, api, id)
		}
		released <- err
	}()
	rep, err := execute(t, ctx, api, cfg)
	inspected := stop()
	assert.NilError(t, err)
	assert.NilError(t, <-released)
	assert.Check(t, is.Equal(rep.Status, report.RunOK), out.String())
	assert.Check(t, is.Equal(resultOf(t, rep, "greeter").Test.Status, report.TestPassed))

	roles := map[string]bool{}
	texts := []string{out.String(), logged.String()}
	for _, raw := range inspected {
		texts = append(texts, string(raw))
		var labels struct {
			Config struct{ Labels map[string]string }
		}
		if json.Unmarshal(raw, &labels) == nil {
			roles[labels.Config.Labels["pkgdriver.role"]] = true
		}
	}
	assert.Check(t, roles["build"] && roles["test"], "containers inspected: %v", roles)
	files := resultTexts(t, cfg.ResultDir)
	for _, text := range files {
		texts = append(texts, text)
	}
	testutil.AssertNoSecret(t, secret, user, registryHost, texts...)
	for i, text := range texts {
		for _, f := range keyForms {
			assert.Check(t, !strings.Contains(text, f), "text %d holds the signing key (as %q)", i, f)
		}
	}
	assert.Check(t, is.Equal(resultOf(t, rep, "greeter").Evidence.Signature, "packages/greeter.mpm.sig"), "the run signed")
	assert.Check(t, !strings.Contains(readFile(t, filepath.Join(cfg.ResultDir, "intermediate", "probe", "env.txt")), "PKGDRIVER_SIGN"))
	dir := filepath.Join(cfg.ResultDir, "intermediate", "probe")
	assert.Check(t, is.Equal(readFile(t, filepath.Join(dir, "found.txt")), "/pkgdriver/recipes/probe/canary.txt\n"), "what the recipe found in its container")
	assert.Check(t, !strings.Contains(readFile(t, filepath.Join(dir, "env.txt")), "DOCKER_"), "Docker settings reached the recipe")
	assert.Check(t, !strings.Contains(readFile(t, filepath.Join(dir, "ls.txt")), "config.json"))
}
