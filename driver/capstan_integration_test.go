package driver_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/build"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
)

// TestCapstanInContainer builds a small image from the base with the pkgdriver binary as
// capstan, runs `capstan package init` and `capstan package build` in a container the way a
// recipe does, copies the result out through the API and verifies it on the host.
func TestCapstanInContainer(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	bin, err := os.ReadFile(testutil.Pkgdriver(t))
	assert.NilError(t, err)

	var buildCtx bytes.Buffer
	tw := tar.NewWriter(&buildCtx)
	dockerfile := "ARG BASE\nFROM ${BASE}\nCOPY capstan /usr/local/bin/capstan\n"
	for name, data := range map[string][]byte{"Dockerfile": []byte(dockerfile), "capstan": bin} {
		assert.NilError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data))}))
		_, err := tw.Write(data)
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	base := testutil.BaseImage
	resp, err := api.ImageBuild(ctx, &buildCtx, build.ImageBuildOptions{
		Tags: []string{"pkgdriver-test/capstan:latest"}, BuildArgs: map[string]*string{"BASE": &base},
		Remove: true, ForceRemove: true, Version: build.BuilderV1,
	})
	assert.NilError(t, err)
	var imageID string
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Aux         *struct{ ID string } `json:"aux"`
			ErrorDetail *struct{ Message string }
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else {
			assert.NilError(t, err)
		}
		assert.Assert(t, msg.ErrorDetail == nil, "build failed: %+v", msg.ErrorDetail)
		if msg.Aux != nil {
			imageID = msg.Aux.ID
		}
	}
	resp.Body.Close()
	assert.Assert(t, imageID != "")

	run := docker.Wrap(api)
	id, err := run.Create(ctx, engine.ContainerSpec{
		Image: imageID, NoNetwork: true, Labels: map[string]string{driver.LabelRun: "test-capstan"},
		Env: []string{"SOURCE_DATE_EPOCH=1700000000"},
		Cmd: []string{"/bin/sh", "-ec", `mkdir -p /pkg/bin && cd /pkg && echo hi > bin/hello && ln -s /bin/hello bin/link
capstan package init --name demo --title "Demo package" --author "Tests" --version 2.1 --platform Debian-12 --require base
capstan package build
ls /pkg`},
	})
	assert.NilError(t, err)
	defer run.Remove(context.Background(), id)
	var out bytes.Buffer
	exit, err := run.Run(ctx, id, &out, &out)
	assert.NilError(t, err)
	assert.Equal(t, exit.Code, 0, out.String())

	rc, err := run.CopyOut(ctx, id, "/pkg/demo.mpm")
	assert.NilError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	assert.NilError(t, err)
	mpm := filepath.Join(t.TempDir(), hdr.Name)
	f, err := os.Create(mpm)
	assert.NilError(t, err)
	_, err = io.Copy(f, tr)
	assert.NilError(t, err)
	assert.NilError(t, f.Close())

	arch, err := packager.VerifyFile(mpm)
	assert.NilError(t, err)
	assert.Equal(t, arch.Package.Name, "demo")
	assert.Equal(t, arch.Package.Author, "Tests")
	assert.Check(t, is.DeepEqual(arch.Package.Require, []string{"base"}))
	names := map[string]packager.Entry{}
	for _, e := range arch.Entries {
		names[e.Name] = e
	}
	assert.Check(t, is.Equal(names["bin/link"].Linkname, "/bin/hello"))
	_, ok := names["bin/hello"]
	assert.Check(t, ok)
	_, ok = names["demo.mpm"]
	assert.Check(t, !ok, "the package must not contain itself")
}
