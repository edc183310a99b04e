package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// pushFake is an engine whose ImagePush answers with a canned stream.
type pushFake struct {
	client.APIClient
	stream string
	auth   string
}

func (f *pushFake) ImagePush(_ context.Context, ref string, opts image.PushOptions) (io.ReadCloser, error) {
	f.auth = opts.RegistryAuth
	return io.NopCloser(strings.NewReader(f.stream)), nil
}

func TestPushImageStream(t *testing.T) {
	const (
		ok = `{"status":"The push refers to repository [r/x]"}
{"status":"Preparing","progressDetail":{},"id":"abc"}
{"status":"Pushing","progressDetail":{"current":512,"total":1024},"progress":"[=>  ]","id":"abc"}
{"status":"Pushed","progressDetail":{},"id":"abc"}
{"status":"latest: digest: sha256:1111 size: 528"}
{"progressDetail":{},"aux":{"Tag":"latest","Digest":"sha256:1111","Size":528}}
`
		unauthorized = `{"status":"The push refers to repository [r/x]"}
{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}
`
		noAuth    = `{"errorDetail":{"message":"no basic auth credentials"},"error":"no basic auth credentials"}` + "\n"
		transient = `{"errorDetail":{"message":"received unexpected HTTP status: 503 Service Unavailable"},"error":"received unexpected HTTP status: 503 Service Unavailable"}` + "\n"
		noDigest  = `{"status":"Pushed","progressDetail":{},"id":"abc"}` + "\n"
		truncated = `{"status":"Pushed","progr`
	)
	for _, tc := range []struct {
		name   string
		stream string
		kind   error
		err    string
	}{
		{name: "ok", stream: ok},
		{name: "unauthorized", stream: unauthorized, kind: engine.ErrUnauthorized, err: "unauthorized: authentication required"},
		{name: "no credentials", stream: noAuth, kind: engine.ErrUnauthorized},
		{name: "transient", stream: transient, err: "503"},
		{name: "no digest", stream: noDigest, err: "no digest"},
		{name: "truncated stream", stream: truncated, err: "reading the engine's output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &pushFake{stream: tc.stream}
			e := Wrap(fake)
			var progress bytes.Buffer
			auth := engine.RegistryAuth{ServerAddress: "r", Username: "u", Password: "p"}
			got, err := e.PushImage(context.Background(), "r/x:latest", auth, &progress)
			decoded, derr := registry.DecodeAuthConfig(fake.auth)
			assert.NilError(t, derr)
			assert.Check(t, is.DeepEqual(*decoded, registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "r"}))
			if tc.err == "" && tc.kind == nil {
				assert.NilError(t, err)
				assert.Check(t, is.DeepEqual(got, engine.Pushed{Digest: "sha256:1111", Size: 528}))
				assert.Check(t, is.Contains(progress.String(), "abc: Pushed"))
				assert.Check(t, !strings.Contains(progress.String(), "Pushing"), "progress bars are not logged")
				return
			}
			assert.Check(t, err != nil)
			if tc.kind != nil {
				assert.Check(t, errors.Is(err, tc.kind), "%v", err)
			} else {
				assert.Check(t, !errors.Is(err, engine.ErrUnauthorized) && !errors.Is(err, engine.ErrNotFound), "%v", err)
			}
			assert.Check(t, is.ErrorContains(err, tc.err))
		})
	}
}

func TestAuthHeader(t *testing.T) {
	h, err := authHeader(engine.RegistryAuth{ServerAddress: "reg.example.com", Username: "u", Password: "p"})
	assert.NilError(t, err)
	got, err := registry.DecodeAuthConfig(h)
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "reg.example.com"})

	h, err = authHeader(engine.RegistryAuth{ServerAddress: "reg.example.com", IdentityToken: "tok"})
	assert.NilError(t, err)
	got, err = registry.DecodeAuthConfig(h)
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, registry.AuthConfig{IdentityToken: "tok", ServerAddress: "reg.example.com"})
}

func TestPushStreamErrorKind(t *testing.T) {
	for msg, want := range map[string]error{
		"unauthorized: authentication required":                         engine.ErrUnauthorized,
		"denied: requested access to the resource is denied":            engine.ErrUnauthorized,
		"no basic auth credentials":                                     engine.ErrUnauthorized,
		"name unknown: repository name not known to registry":           engine.ErrNotFound,
		"An image does not exist locally with the tag: r/x":             engine.ErrNotFound,
		"Get \"https://127.0.0.1:1/v2/\": dial tcp: connection refused": nil,
		"blob upload unknown":                                           nil,
	} {
		assert.Check(t, is.Equal(streamErrorKind(msg), want), msg)
	}
}
