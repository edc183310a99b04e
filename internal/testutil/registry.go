package testutil

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/engine"
)

// Helpers of the publishing tests: a local registry, credentials, and the images pushed.

// RequireTool fails (under CI) or skips when a program the test needs is missing.
func RequireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing under CI=true (run scripts/ensure-registry.sh)", name)
		}
		t.Skipf("%s is missing (run scripts/ensure-registry.sh)", name)
	}
	return p
}

// StartRegistry starts a Distribution registry on a free port of 127.0.0.1 (the engine treats
// 127.0.0.0/8 as insecure, so plain HTTP works), with basic auth when htpasswd is not empty. It
// returns host:port once GET /v2/ answers; the process is stopped when the test ends.
func StartRegistry(t *testing.T, htpasswd string) string {
	t.Helper()
	bin := RequireTool(t, "docker-registry")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"+
		"http:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if htpasswd != "" {
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: pkgdriver-test\n    path: %s\n", htpasswd)
	}
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o644))
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = &out, &out
	assert.NilError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() && out.Len() > 0 {
			t.Logf("registry output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return addr
			}
		}
		select {
		case <-exited:
			t.Fatalf("docker-registry exited: %s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry on %s did not answer within 20s: %v\n%s", addr, err, out.String())
		}
	}
}

// HtpasswdFile writes a bcrypt htpasswd file for one user.
func HtpasswdFile(t *testing.T, user, password string) string {
	t.Helper()
	out, err := exec.Command(RequireTool(t, "htpasswd"), "-Bbn", user, password).Output()
	assert.NilError(t, err)
	path := filepath.Join(t.TempDir(), "htpasswd")
	assert.NilError(t, os.WriteFile(path, out, 0o600))
	return path
}

// RemoveRepositories removes, when the test ends, every local tag (and digest reference) in
// the repositories. Only the references go: an image with other tags, such as the shared
// stand-in toolchain, stays; one left without any goes with its last.
func RemoveRepositories(t *testing.T, api client.APIClient, repos ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		for _, repo := range repos {
			list, _ := api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
			for _, img := range list {
				for _, ref := range append(img.RepoTags, img.RepoDigests...) {
					if strings.HasPrefix(ref, repo+":") || strings.HasPrefix(ref, repo+"@") {
						_, _ = api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true})
					}
				}
			}
		}
	})
}

// ImageFiles reads regular files under paths of an image (through a container that never runs);
// a hard link to a file met before in the same path reads "hard link to <name>".
func ImageFiles(t *testing.T, api client.APIClient, ref string, paths ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c, err := api.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"never-run"},
		Labels: map[string]string{engine.LabelRole: "publish-test"}}, nil, nil, nil, "")
	assert.NilError(t, err)
	defer api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	files := map[string]string{}
	for _, p := range paths {
		rc, _, err := api.CopyFromContainer(ctx, c.ID, p)
		assert.NilError(t, err)
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			assert.NilError(t, err)
			switch hdr.Typeflag {
			case tar.TypeReg:
				data, err := io.ReadAll(tr)
				assert.NilError(t, err)
				files[hdr.Name] = string(data)
			case tar.TypeLink:
				files[hdr.Name] = "hard link to " + hdr.Linkname
			}
		}
		rc.Close()
	}
	return files
}

// WriteAuthConfig writes a DOCKER_CONFIG directory whose config.json has content.
func WriteAuthConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600))
	return dir
}

func PlantedSecret(t *testing.T) string {
	b := make([]byte, 8)
	_, err := rand.Read(b)
	assert.NilError(t, err)
	return "planted-" + hex.EncodeToString(b)
}

// AssertNoSecret checks that none of the texts holds the secret, in plain or in the encodings it
// travels in (config.json's base64 user:password, the X-Registry-Auth header).
func AssertNoSecret(t *testing.T, secret, user, addr string, texts ...string) {
	t.Helper()
	header, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: user, Password: secret, ServerAddress: addr})
	assert.NilError(t, err)
	forms := []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + secret)),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		header,
		strings.TrimRight(header, "="),
	}
	for i, text := range texts {
		for _, f := range forms {
			assert.Check(t, !strings.Contains(text, f), "text %d holds the secret (as %q):\n%s", i, f, text)
		}
	}
}

// Logger logs to the test, and to w, at debug level.
func Logger(t *testing.T, w ...io.Writer) zerolog.Logger {
	return zerolog.New(io.MultiWriter(append(w, zerolog.NewTestWriter(t))...)).Level(zerolog.DebugLevel)
}

// RegistryTags asks the registry which tags a repository has (nil when it has none).
func RegistryTags(t *testing.T, addr, name, user, password string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/"+name+"/tags/list", nil)
	assert.NilError(t, err)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	var list struct{ Tags []string }
	assert.NilError(t, json.NewDecoder(resp.Body).Decode(&list))
	slices.Sort(list.Tags)
	return list.Tags
}
