package driver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestPublishRunPush runs the whole pipeline with --push against a registry with basic auth, the
// credentials in a temporary DOCKER_CONFIG: the stand-in toolchain and the packages image are
// pushed, and neither report.json, publish.json, the log nor the summary holds the password.
func TestPublishRunPush(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	secret := testutil.PlantedSecret(t)
	const user = "pkgtest"
	addr := testutil.StartRegistry(t, testutil.HtpasswdFile(t, user, secret))
	repo := addr + "/pkgdriver/capstan-packages"
	testutil.RemoveRepositories(t, api, repo, publish.PackagesRepository(repo))
	t.Setenv("DOCKER_CONFIG", testutil.WriteAuthConfig(t, `{"auths":{"`+addr+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(user+":"+secret))+`"}}}`))

	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "hello", script(`echo hello > "$PACKAGE_RESULT_DIR/hello.txt"`, packageInit), nil)
	cfg, out := testConfig(t, recipes, result)
	var logged bytes.Buffer
	cfg.Log = testutil.Logger(t, &logged)
	cfg.Publish = publish.Hook(publish.Config{Push: true, Repository: repo, KeepTags: 3}, cfg.ResultDir, cfg.Log)
	cfg.Accel = driver.AccelTCG // nothing boots; no KVM probe
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	assert.Equal(t, rep.Status, report.RunOK)

	tag := publish.PublishTag(rep.Start, rep.Toolchain.ShortCommit())
	assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages", user, secret), []string{tag, "latest"})
	assert.DeepEqual(t, testutil.RegistryTags(t, addr, "pkgdriver/capstan-packages-packages", user, secret), []string{tag, "latest"})
	l := resultdir.Layout{Root: result}
	var pub publish.Publication
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, l.PublishRecord())), &pub))
	assert.Check(t, is.Equal(pub.RunID, cfg.RunID))
	assert.Check(t, is.Len(pub.Pushed, 4))
	info, err := api.ImageInspect(ctx, repo+":"+tag)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(info.ID, rep.Toolchain.ID))

	testutil.AssertNoSecret(t, secret, user, addr, readFile(t, l.Report()), readFile(t, l.PublishRecord()),
		readFile(t, l.PublishLog()), logged.String(), out.String())
}
