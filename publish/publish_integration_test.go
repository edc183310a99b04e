package publish_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/report"
)

// publishCommit is the OSv commit of the hand-written reports; its date tag is publishTag.
const (
	publishCommit = "0123456789abcdef0123456789abcdef01234567"
	publishTag    = "2024-01-02_0123456"
)

var publishStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// buildTestImage builds a small image through the API, FROM base with one file of unique
// content, and removes it (all its tags) when the test ends.
func buildTestImage(t *testing.T, api client.APIClient, base string) string {
	t.Helper()
	content := fmt.Sprintf("%s %d\n", t.Name(), time.Now().UnixNano())
	id, err := docker.Wrap(api).BuildImage(context.Background(), engine.BuildSpec{
		Context: testutil.TarOf(t, map[string]string{
			"Dockerfile": "FROM " + base + "\nCOPY hello.txt /hello.txt\n",
			"hello.txt":  content,
		}),
		Labels: map[string]string{driver.LabelRole: "publish-test"},
		Log:    io.Discard,
	})
	assert.NilError(t, err)
	t.Cleanup(func() {
		_, _ = api.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return id
}

// readTestStream reads an engine progress stream to its end and fails the test on an error in it.
func readTestStream(t *testing.T, r io.Reader, aux func(json.RawMessage)) {
	t.Helper()
	dec := json.NewDecoder(r)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err == io.EOF {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		if msg.Error != nil {
			t.Fatalf("engine stream: %s", msg.Error.Message)
		}
		if msg.Aux != nil && aux != nil {
			aux(*msg.Aux)
		}
	}
}

// publishResult writes a result directory as a finished run leaves it: packages/, mike/, the
// Capstan images in repository/ (the loaders hard links of one file) and a report.json naming
// the toolchain image and how each recipe ended.
func publishResult(t *testing.T, toolchainID string, recipes ...report.RecipeResult) (resultdir.Layout, *report.Report) {
	t.Helper()
	l := resultdir.Layout{Root: t.TempDir()}
	for rel, content := range map[string]string{
		"packages/a.mpm":                                  "package a\n",
		"packages/a.yaml":                                 "name: a\n",
		"mike/osv-loader/index.yaml":                      "version: v0\n",
		"mike/osv-loader/osv-loader.qemu":                 "kernel\n",
		"repository/osv-loader/index.yaml":                "version: v0\n",
		"repository/osv-zfs-builder/osv-zfs-builder.qemu": "zfs builder\n",
		"repository/osv-zfs-builder/index.yaml":           "version: v0\n",
		"repository/mike/osv-loader/index.yaml":           "version: v0\n",
	} {
		p := filepath.Join(l.Root, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	for _, dir := range []string{"repository/osv-loader", "repository/mike/osv-loader"} {
		assert.NilError(t, os.Link(filepath.Join(l.Root, "mike/osv-loader/osv-loader.qemu"), filepath.Join(l.Root, dir, "osv-loader.qemu")))
	}
	if len(recipes) == 0 {
		recipes = []report.RecipeResult{{Name: "a", Status: report.StatusBuilt, Test: &report.TestResult{Status: report.TestPassed}}}
	}
	rep := &report.Report{
		RunID: fmt.Sprintf("publish-test-%d", time.Now().UnixNano()), Version: "test", Start: publishStart, Status: "ok",
		Toolchain: &report.Toolchain{ID: toolchainID, Commit: publishCommit, Tags: []string{"pkgdriver-test/x:latest"}},
		Recipes:   recipes,
	}
	if rep.Failed() {
		rep.Status = "failed"
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(l.Report(), data, 0o644))
	return l, rep
}

func pushedRefs(pub *publish.Publication) []string {
	var refs []string
	for _, p := range pub.Pushed {
		refs = append(refs, p.Ref)
	}
	return refs
}

// TestPublishPushAndPullBack pushes the toolchain image (a small stand-in built FROM the base)
// and the packages image to a real registry, removes them locally, pulls them back through the
// API and compares the digests the push reported with the pulled images' RepoDigests.
func TestPublishPushAndPullBack(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	addr := testutil.StartRegistry(t, "")
	repo := addr + "/pkgdriver/capstan-packages"
	pkgRepo := publish.PackagesRepository(repo)
	testutil.RemoveRepositories(t, api, repo, pkgRepo)
	id := buildTestImage(t, api, testutil.BaseImage)
	l, rep := publishResult(t, id)

	p := &publish.Publisher{
		Engine: docker.Wrap(api), Config: publish.Config{Repository: repo}, Layout: l,
		Credentials: publish.CredentialSource{ConfigDir: t.TempDir()}, Log: testutil.Logger(t),
	}
	pub, err := p.Publish(ctx, rep)
	assert.NilError(t, err)
	assert.Equal(t, pub.Tag, publishTag)
	assert.DeepEqual(t, pushedRefs(pub), []string{repo + ":" + publishTag, pkgRepo + ":" + publishTag, repo + ":latest", pkgRepo + ":latest"})
	digests := map[string]string{}
	for _, img := range pub.Pushed {
		assert.Check(t, strings.HasPrefix(img.Digest, "sha256:"), img.Ref)
		digests[img.Ref] = img.Digest
	}
	assert.Equal(t, digests[repo+":latest"], digests[repo+":"+publishTag])
	assert.Equal(t, digests[pkgRepo+":latest"], digests[pkgRepo+":"+publishTag])
	assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", "", ""), []string{publishTag, "latest"})
	assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages-packages", "", ""), []string{publishTag, "latest"})

	// publish.json says the same, and the progress went to log/publish.log.
	var onDisk publish.Publication
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, l.PublishRecord())), &onDisk))
	assert.DeepEqual(t, onDisk.Pushed, pub.Pushed)
	assert.Check(t, is.Contains(readFile(t, l.PublishLog()), "digest: "+digests[repo+":"+publishTag]))

	// Remove both images from the engine, then pull them back.
	pkgInfo, err := api.ImageInspect(ctx, pkgRepo+":"+publishTag)
	assert.NilError(t, err)
	for _, img := range []string{id, pkgInfo.ID} {
		_, err := api.ImageRemove(ctx, img, image.RemoveOptions{Force: true, PruneChildren: true})
		assert.NilError(t, err)
		_, err = api.ImageInspect(ctx, img)
		assert.Assert(t, cerrdefs.IsNotFound(err), "%s still there: %v", img, err)
	}
	for _, ref := range []string{repo + ":" + publishTag, pkgRepo + ":" + publishTag} {
		rc, err := api.ImagePull(ctx, ref, image.PullOptions{})
		assert.NilError(t, err)
		readTestStream(t, rc, nil)
		rc.Close()
		info, err := api.ImageInspect(ctx, ref)
		assert.NilError(t, err)
		name, _, _ := strings.Cut(ref[len(addr):], ":")
		assert.Check(t, is.Contains(info.RepoDigests, addr+name+"@"+digests[ref]), ref)
	}
	// The toolchain comes back as the very image that was pushed.
	info, err := api.ImageInspect(ctx, repo+":"+publishTag)
	assert.NilError(t, err)
	assert.Equal(t, info.ID, id)

	// The packages image is labelled and holds a Capstan repository at its root: packages/,
	// mike/ and the images in repository/, the loaders one file with three names.
	pkgInfo, err = api.ImageInspect(ctx, pkgRepo+":"+publishTag)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(pkgInfo.Config.Labels["pkgdriver.osv.commit"], publishCommit))
	assert.Check(t, is.Equal(pkgInfo.Config.Labels["pkgdriver.source-run"], rep.RunID))
	files := testutil.ImageFiles(t, api, pkgRepo+":"+publishTag, "/packages", "/mike", "/repository")
	assert.Check(t, is.Equal(files["packages/a.mpm"], "package a\n"))
	assert.Check(t, is.Equal(files["mike/osv-loader/osv-loader.qemu"], "kernel\n"))
	assert.Check(t, is.Equal(files["repository/osv-zfs-builder/osv-zfs-builder.qemu"], "zfs builder\n"))
	const oldL, newL = "repository/mike/osv-loader/osv-loader.qemu", "repository/osv-loader/osv-loader.qemu"
	assert.Check(t, (files[oldL] == "kernel\n" && files[newL] == "hard link to "+oldL) ||
		(files[newL] == "kernel\n" && files[oldL] == "hard link to "+newL), "%q, %q", files[oldL], files[newL])
}

// TestPublishRegistryBasicAuth pushes to a registry that requires basic auth (htpasswd, bcrypt):
// anonymous and wrong-password pushes fail at once as unauthorized; credentials from a temporary
// DOCKER_CONFIG, as an auths entry or from a credential helper, get the push through.
func TestPublishRegistryBasicAuth(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	const user, password = "pkgtest", "correct-horse-battery"
	addr := testutil.StartRegistry(t, testutil.HtpasswdFile(t, user, password))
	repo := addr + "/pkgdriver/capstan-packages"
	testutil.RemoveRepositories(t, api, repo, publish.PackagesRepository(repo))
	id := buildTestImage(t, api, "scratch")
	l, rep := publishResult(t, id)
	publisher := func() *publish.Publisher {
		// A long backoff: a retried unauthorized push would show in the elapsed time.
		return &publish.Publisher{Engine: docker.Wrap(api), Config: publish.Config{Repository: repo}, Layout: l,
			Log: testutil.Logger(t), PushBackoff: 30 * time.Second}
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))

	for _, tc := range []struct{ name, config string }{
		{name: "anonymous", config: `{}`},
		{name: "wrong password", config: `{"auths":{"` + addr + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":nope")) + `"}}}`},
		{name: "other registry's credentials", config: `{"auths":{"127.0.0.1:1":{"auth":"` + auth + `"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", testutil.WriteAuthConfig(t, tc.config))
			start := time.Now()
			_, err := publisher().Publish(ctx, rep)
			assert.Check(t, errors.Is(err, publish.ErrRegistryUnauthorized), "%v", err)
			var pe *publish.PushError
			assert.Check(t, errors.As(err, &pe) && pe.Permanent())
			assert.Check(t, time.Since(start) < 20*time.Second, "an unauthorized push is not retried")
			assert.Check(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", user, password) == nil)
		})
	}

	t.Run("auths entry", func(t *testing.T) {
		t.Setenv("DOCKER_CONFIG", testutil.WriteAuthConfig(t, `{"auths":{"http://`+addr+`/v2/":{"auth":"`+auth+`"}}}`))
		pub, err := publisher().Publish(ctx, rep)
		assert.NilError(t, err)
		assert.Check(t, is.Len(pub.Pushed, 4))
		assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", user, password), []string{publishTag, "latest"})
	})

	t.Run("credential helper", func(t *testing.T) {
		bin := t.TempDir()
		helper := "#!/bin/sh\nserver=$(cat)\n" +
			`[ "$1 $server" = "get ` + addr + `" ] || { echo "credentials not found in native keychain"; exit 1; }` + "\n" +
			`echo '{"ServerURL":"` + addr + `","Username":"` + user + `","Secret":"` + password + `"}'` + "\n"
		assert.NilError(t, os.WriteFile(filepath.Join(bin, "docker-credential-pkgdriver-test"), []byte(helper), 0o755))
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		t.Setenv("DOCKER_CONFIG", testutil.WriteAuthConfig(t, `{"credHelpers":{"`+addr+`":"pkgdriver-test"}}`))
		pub, err := publisher().Publish(ctx, rep)
		assert.NilError(t, err)
		assert.Check(t, is.Len(pub.Pushed, 4))
	})
}

// TestPublishRefusedWhenRecipeFailed: a report with a failed recipe pushes nothing, unless
// --push-on-failure.
func TestPublishRefusedWhenRecipeFailed(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	addr := testutil.StartRegistry(t, "")
	repo := addr + "/pkgdriver/capstan-packages"
	testutil.RemoveRepositories(t, api, repo, publish.PackagesRepository(repo))
	id := buildTestImage(t, api, "scratch")
	l, rep := publishResult(t, id,
		report.RecipeResult{Name: "good", Status: report.StatusBuilt},
		report.RecipeResult{Name: "broken", Status: report.StatusFailed},
		report.RecipeResult{Name: "flaky", Status: report.StatusCached, Test: &report.TestResult{Status: report.TestFailed}},
	)
	p := &publish.Publisher{Engine: docker.Wrap(api), Config: publish.Config{Repository: repo}, Layout: l,
		Credentials: publish.CredentialSource{ConfigDir: t.TempDir()}, Log: testutil.Logger(t)}
	pub, err := p.Publish(ctx, rep)
	var refused *publish.NotPublishedError
	assert.Assert(t, errors.As(err, &refused), "%v", err)
	assert.DeepEqual(t, refused.Reasons, []string{"broken: build failed", "flaky: test failed"})
	assert.Check(t, is.Len(pub.Pushed, 0))
	assert.Check(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", "", "") == nil)
	_, err = api.ImageInspect(ctx, repo+":latest")
	assert.Check(t, cerrdefs.IsNotFound(err), "not even tagged: %v", err)

	p.Config.PushOnFailure = true
	pub, err = p.Publish(ctx, rep)
	assert.NilError(t, err)
	assert.Check(t, is.Len(pub.Pushed, 4))
	assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", "", ""), []string{publishTag, "latest"})
}

// TestPublishKeepTags: older date tags of both repositories go, by tag date; latest, the tag just
// pushed, and tags of another form stay. An image left without tags is removed with its last.
func TestPublishKeepTags(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	addr := testutil.StartRegistry(t, "")
	repo := addr + "/pkgdriver/capstan-packages"
	pkgRepo := publish.PackagesRepository(repo)
	testutil.RemoveRepositories(t, api, repo, pkgRepo)
	id := buildTestImage(t, api, "scratch")
	older := buildTestImage(t, api, "scratch")
	oldest := buildTestImage(t, api, "scratch")
	for img, refs := range map[string][]string{
		oldest: {repo + ":2023-12-30_1111111"},
		older:  {repo + ":2023-12-31_2222222", repo + ":hand-made", pkgRepo + ":2023-12-31_2222222"},
		id:     {repo + ":2024-01-01_3333333"}, // the same image as tonight's, an older tag
	} {
		for _, ref := range refs {
			assert.NilError(t, api.ImageTag(ctx, img, ref))
		}
	}
	l, rep := publishResult(t, id)
	p := &publish.Publisher{Engine: docker.Wrap(api), Config: publish.Config{Repository: repo, KeepTags: 2}, Layout: l,
		Credentials: publish.CredentialSource{ConfigDir: t.TempDir()}, Log: testutil.Logger(t)}
	pub, err := p.Publish(ctx, rep)
	assert.NilError(t, err)
	assert.DeepEqual(t, pub.RemovedTags, []string{repo + ":2023-12-31_2222222", repo + ":2023-12-30_1111111"})

	left := map[string]bool{}
	for _, r := range []string{repo, pkgRepo} {
		list, err := api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", r))})
		assert.NilError(t, err)
		for _, img := range list {
			for _, t := range img.RepoTags {
				left[t] = true
			}
		}
	}
	for _, ref := range []string{repo + ":latest", repo + ":" + publishTag, repo + ":2024-01-01_3333333", repo + ":hand-made",
		pkgRepo + ":latest", pkgRepo + ":" + publishTag, pkgRepo + ":2023-12-31_2222222"} {
		assert.Check(t, left[ref], "%s was removed", ref)
	}
	assert.Check(t, is.Len(left, 7), "%v", left)
	_, err = api.ImageInspect(ctx, oldest)
	assert.Check(t, cerrdefs.IsNotFound(err), "the image of the oldest tag is gone: %v", err)
	_, err = api.ImageInspect(ctx, older)
	assert.Check(t, err, "an image with other tags stays")

	// KeepTags 1 with the same night again, a package rebuilt meanwhile: only tonight's tag of
	// each repository is left, and the packages image the first publish built, now without tags,
	// is gone.
	first, err := api.ImageInspect(ctx, pkgRepo+":"+publishTag)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(l.Packages(), "a.mpm"), []byte("package a, rebuilt\n"), 0o644))
	p.Config.KeepTags = 1
	pub, err = p.Publish(ctx, rep)
	assert.NilError(t, err)
	slices.Sort(pub.RemovedTags)
	assert.DeepEqual(t, pub.RemovedTags, []string{pkgRepo + ":2023-12-31_2222222", repo + ":2024-01-01_3333333"})
	_, err = api.ImageInspect(ctx, first.ID)
	assert.Check(t, cerrdefs.IsNotFound(err), "the replaced packages image is left: %v", err)
}

// TestPublishCommandNeverShowsSecrets runs the real `pkgdriver publish` binary with debug logs in
// both formats against a registry with basic auth, once with the right password (from an auths
// entry) and once with a wrong one (from a credential helper), and greps everything it wrote for
// the planted password and its encodings.
func TestPublishCommandNeverShowsSecrets(t *testing.T) {
	api := testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	secret := testutil.PlantedSecret(t)
	const user = "pkgtest"
	addr := testutil.StartRegistry(t, testutil.HtpasswdFile(t, user, secret))
	repo := addr + "/pkgdriver/capstan-packages"
	testutil.RemoveRepositories(t, api, repo, publish.PackagesRepository(repo))
	id := buildTestImage(t, api, "scratch")
	l, _ := publishResult(t, id)
	capstanRepo := filepath.Join(t.TempDir(), "capstan")

	good := testutil.WriteAuthConfig(t, `{"auths":{"`+addr+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(user+":"+secret))+`"}}}`)
	helperDir := t.TempDir()
	helper := "#!/bin/sh\ncat >/dev/null\necho '{\"Username\":\"" + user + "\",\"Secret\":\"" + secret + "-wrong\"}'\n"
	assert.NilError(t, os.WriteFile(filepath.Join(helperDir, "docker-credential-pkgdriver-leak"), []byte(helper), 0o755))
	bad := testutil.WriteAuthConfig(t, `{"credsStore":"pkgdriver-leak"}`)

	var outputs []string
	for _, tc := range []struct {
		name, config, format string
		code                 int
		stdout, stderr       string
	}{
		{name: "pushed, json log", config: good, format: "json", code: 0, stdout: "pushed " + repo + ":" + publishTag},
		{name: "pushed, console log", config: good, format: "console", code: 0, stdout: "pushed " + repo + ":latest"},
		{name: "refused credentials", config: bad, format: "json", code: 1, stderr: "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "publish", "--log-level", "debug", "--log-format", tc.format,
				"--result-dir", l.Root, "--repository", repo, "--packages-to", capstanRepo, "--keep-tags", "1")
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+tc.config,
				"PATH="+helperDir+string(os.PathListSeparator)+os.Getenv("PATH"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				assert.NilError(t, err)
			}
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Check(t, is.Equal(code, tc.code))
			assert.Check(t, is.Contains(stdout.String(), tc.stdout))
			assert.Check(t, is.Contains(stderr.String(), tc.stderr))
			assert.Check(t, is.Contains(stderr.String(), "registry credentials"), "the debug log ran")
			outputs = append(outputs, stdout.String(), stderr.String(), readFile(t, l.PublishRecord()), readFile(t, l.PublishLog()))
		})
	}
	outputs = append(outputs, readFile(t, l.Report()))
	testutil.AssertNoSecret(t, secret, user, addr, outputs...)
	assert.Check(t, is.Equal(readFile(t, filepath.Join(capstanRepo, "packages", "a.mpm")), "package a\n"))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	return string(data)
}
