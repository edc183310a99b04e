package driver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

func TestRegistryKey(t *testing.T) {
	for _, tc := range []struct {
		repo, want, err string
	}{
		{repo: "127.0.0.1:5000/pkgdriver/capstan-packages", want: "127.0.0.1:5000"},
		{repo: "registry.example.com/pkgdriver/capstan-packages", want: "registry.example.com"},
		{repo: "registry.example.com:443/a", want: "registry.example.com:443"},
		{repo: "localhost/x", want: "localhost"},
		{repo: "pkgdriver/capstan-packages", want: dockerHubKey},
		{repo: "ubuntu", want: dockerHubKey},
		{repo: "docker.io/pkgdriver/x", want: dockerHubKey},
		{repo: "index.docker.io/pkgdriver/x", want: dockerHubKey},
		{repo: "Not/Valid", err: "must be lowercase"},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			got, err := RegistryKey(tc.repo)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
		})
	}
}

func TestRegistryConfigKeyHost(t *testing.T) {
	for key, want := range map[string]string{
		"https://index.docker.io/v1/": dockerHubKey,
		"index.docker.io":             dockerHubKey,
		"https://docker.io":           dockerHubKey,
		"https://reg.example.com/v2/": "reg.example.com",
		"http://reg.example.com:5000": "reg.example.com:5000",
		"reg.example.com:5000":        "reg.example.com:5000",
		"reg.example.com/some/path":   "reg.example.com",
	} {
		assert.Check(t, is.Equal(configKeyHost(key), want), key)
	}
}

func pubBasicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// pubDockerConfig writes config.json into a new directory and returns the directory.
func pubDockerConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600))
	return dir
}

func TestAuthConfigAuths(t *testing.T) {
	const cfg = `{
		"auths": {
			"reg.example.com": {"auth": "` + "%s" + `"},
			"https://legacy.example.com:5000/v2/": {"username": "legacy-user", "password": "legacy-pass"},
			"https://index.docker.io/v1/": {"auth": "%s"},
			"token.example.com": {"identitytoken": "id-token-value"},
			"bad64.example.com": {"auth": "***"},
			"nocolon.example.com": {"auth": "%s"},
			"empty.example.com": {}
		},
		"HttpHeaders": {"User-Agent": "ignored"}
	}`
	dir := pubDockerConfig(t, fmt.Sprintf(cfg, pubBasicAuth("alice", "pa:ss"), pubBasicAuth("hubuser", "hubpass"),
		base64.StdEncoding.EncodeToString([]byte("no-colon-here"))))
	src := CredentialSource{ConfigDir: dir}
	for _, tc := range []struct {
		repo                     string
		user, pass, token, store string
		empty                    bool
		err                      string
	}{
		{repo: "reg.example.com/a/b", user: "alice", pass: "pa:ss", store: "reg.example.com"},
		{repo: "legacy.example.com:5000/a", user: "legacy-user", pass: "legacy-pass", store: "legacy.example.com:5000"},
		{repo: "pkgdriver/capstan-packages", user: "hubuser", pass: "hubpass", store: dockerHubKey},
		{repo: "token.example.com/a", token: "id-token-value", store: "token.example.com"},
		{repo: "empty.example.com/a", empty: true, store: "empty.example.com"},
		{repo: "other.example.com/a", empty: true, store: "other.example.com"},
		{repo: "bad64.example.com/a", err: `"auth" is not base64`},
		{repo: "nocolon.example.com/a", err: `"auth" is not user:password`},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			c, err := src.Lookup(context.Background(), tc.repo)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				assert.Check(t, !strings.Contains(err.Error(), "no-colon-here"))
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Equal(c.Empty(), tc.empty))
			assert.Check(t, is.Equal(c.username, tc.user))
			assert.Check(t, is.Equal(c.password, tc.pass))
			assert.Check(t, is.Equal(c.identityToken, tc.token))
			assert.Check(t, is.Equal(c.ServerAddress, tc.store))
		})
	}
}

func TestAuthConfigFileLocation(t *testing.T) {
	ctx := context.Background()
	t.Run("no file: anonymous", func(t *testing.T) {
		c, err := CredentialSource{ConfigDir: t.TempDir()}.Lookup(ctx, "reg.example.com/a")
		assert.NilError(t, err)
		assert.Check(t, c.Empty())
	})
	t.Run("DOCKER_CONFIG", func(t *testing.T) {
		t.Setenv("DOCKER_CONFIG", pubDockerConfig(t, `{"auths":{"reg.example.com":{"auth":"`+pubBasicAuth("env", "pw")+`"}}}`))
		c, err := CredentialSource{}.Lookup(ctx, "reg.example.com/a")
		assert.NilError(t, err)
		assert.Check(t, is.Equal(c.username, "env"))
	})
	t.Run("home", func(t *testing.T) {
		home := t.TempDir()
		assert.NilError(t, os.MkdirAll(filepath.Join(home, ".docker"), 0o700))
		assert.NilError(t, os.WriteFile(filepath.Join(home, ".docker", "config.json"),
			[]byte(`{"auths":{"reg.example.com":{"auth":"`+pubBasicAuth("home", "pw")+`"}}}`), 0o600))
		t.Setenv("DOCKER_CONFIG", "")
		t.Setenv("HOME", home)
		assert.Equal(t, CredentialSource{}.Path(), filepath.Join(home, ".docker", "config.json"))
		c, err := CredentialSource{}.Lookup(ctx, "reg.example.com/a")
		assert.NilError(t, err)
		assert.Check(t, is.Equal(c.username, "home"))
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := CredentialSource{ConfigDir: pubDockerConfig(t, `{"auths": "secret-looking-text`)}.Lookup(ctx, "reg.example.com/a")
		assert.ErrorContains(t, err, "docker config")
		assert.Check(t, !strings.Contains(err.Error(), "secret-looking-text"))
	})
}

// pubFakeHelper puts docker-credential-pkgtest on PATH. It answers per server address, like a
// keychain with a few entries, and records every address it was asked for in the returned file.
func pubFakeHelper(t *testing.T) (asked string) {
	t.Helper()
	dir := t.TempDir()
	asked = filepath.Join(dir, "asked")
	script := `#!/bin/sh
[ "$1" = get ] || { echo "unexpected action $1"; exit 1; }
server=$(cat)
echo "$server" >> ` + asked + `
case "$server" in
reg.example.com) echo '{"ServerURL":"reg.example.com","Username":"helper-user","Secret":"helper-secret"}' ;;
store.example.com) echo '{"ServerURL":"store.example.com","Username":"store-user","Secret":"store-secret"}' ;;
https://index.docker.io/v1/) echo '{"ServerURL":"hub","Username":"hub-user","Secret":"hub-secret"}' ;;
token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"helper-token"}' ;;
broken.example.com) echo "the keychain is locked"; exit 1 ;;
garbage.example.com) echo "not json helper-secret"; exit 0 ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "docker-credential-pkgtest"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return asked
}

func TestAuthCredentialHelpers(t *testing.T) {
	asked := pubFakeHelper(t)
	dir := pubDockerConfig(t, `{
		"auths": {"reg.example.com": {"auth": "`+pubBasicAuth("file-user", "file-pass")+`"},
		          "plain.example.com": {"auth": "`+pubBasicAuth("file-user", "file-pass")+`"}},
		"credHelpers": {"reg.example.com": "pkgtest", "https://token.example.com": "pkgtest",
		                "missing.example.com": "nosuchhelper"},
		"credsStore": "pkgtest"
	}`)
	src := CredentialSource{ConfigDir: dir}
	for _, tc := range []struct {
		repo                      string
		user, pass, token, source string
		empty                     bool
		err                       string
		errMustNotContain         string
	}{
		// credHelpers wins over auths, as with the docker CLI.
		{repo: "reg.example.com/a", user: "helper-user", pass: "helper-secret", source: "credential helper pkgtest"},
		// credsStore covers every registry without its own helper, the auths entry included.
		{repo: "plain.example.com/a", empty: true, source: "credential helper pkgtest"},
		{repo: "store.example.com/a", user: "store-user", pass: "store-secret", source: "credential helper pkgtest"},
		{repo: "pkgdriver/x", user: "hub-user", pass: "hub-secret", source: "credential helper pkgtest"},
		{repo: "token.example.com/a", token: "helper-token", source: "credential helper pkgtest"},
		{repo: "nothing.example.com/a", empty: true, source: "credential helper pkgtest"},
		{repo: "broken.example.com/a", err: "the keychain is locked"},
		{repo: "garbage.example.com/a", err: "not the JSON", errMustNotContain: "helper-secret"},
		{repo: "missing.example.com/a", err: `credential helper "nosuchhelper"`},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			c, err := src.Lookup(context.Background(), tc.repo)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				if tc.errMustNotContain != "" {
					assert.Check(t, !strings.Contains(err.Error(), tc.errMustNotContain), err.Error())
				}
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Equal(c.Empty(), tc.empty))
			assert.Check(t, is.Equal(c.username, tc.user))
			assert.Check(t, is.Equal(c.password, tc.pass))
			assert.Check(t, is.Equal(c.identityToken, tc.token))
			assert.Check(t, is.Equal(c.Source, tc.source))
		})
	}
	// The helper is asked with the registry key, Docker Hub's in its historical form.
	data, err := os.ReadFile(asked)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(data), "https://index.docker.io/v1/\n"))
	assert.Check(t, is.Contains(string(data), "reg.example.com\n"))
}

func TestAuthCredentialHelperFollowsContext(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "docker-credential-slow"), []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := CredentialSource{ConfigDir: pubDockerConfig(t, `{"credsStore":"slow"}`)}.Lookup(ctx, "reg.example.com/a")
	assert.Check(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Check(t, time.Since(start) < 5*time.Second)
}

func TestAuthCredentialsNeverShown(t *testing.T) {
	const secret = "planted-S3CRET"
	c := Credentials{ServerAddress: "reg.example.com", Source: "test", username: "user-" + secret, password: secret,
		identityToken: secret, registryToken: secret}
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	log.Info().Interface("creds", c).Str("s", fmt.Sprint(c)).Msg("x")
	log.Error().Err(fmt.Errorf("wrapped %v", c)).Msg("y")
	entry := dockerAuthEntry{Auth: secret, Password: secret}
	cfg := dockerConfigFile{Auths: map[string]dockerAuthEntry{"reg": entry}}
	js, err := json.Marshal(struct {
		C   Credentials
		Cfg dockerConfigFile
	}{c, cfg})
	assert.NilError(t, err)
	var shown []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		shown = append(shown, fmt.Sprintf(verb, c), fmt.Sprintf(verb, entry), fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &c))
	}
	shown = append(shown, string(js), logged.String(), c.String(), c.GoString())
	for _, s := range shown {
		assert.Check(t, !strings.Contains(s, secret), "shown: %s", s)
	}
	assert.Check(t, is.Contains(c.String(), "redacted"))
}

func TestAuthHeader(t *testing.T) {
	c := Credentials{ServerAddress: "reg.example.com", username: "u", password: "p"}
	h, err := c.header()
	assert.NilError(t, err)
	got, err := registry.DecodeAuthConfig(h)
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "reg.example.com"})

	tok := Credentials{ServerAddress: "reg.example.com", identityToken: "tok"}
	h, err = tok.header()
	assert.NilError(t, err)
	got, err = registry.DecodeAuthConfig(h)
	assert.NilError(t, err)
	assert.DeepEqual(t, *got, registry.AuthConfig{IdentityToken: "tok", ServerAddress: "reg.example.com"})
}

func TestPublishTag(t *testing.T) {
	day := time.Date(2024, 1, 2, 23, 30, 0, 0, time.FixedZone("east", 3*3600))
	assert.Equal(t, PublishTag(day, "abc1234"), "2024-01-02_abc1234")
	for tag, ok := range map[string]bool{
		"2024-01-02_abc1234": true, "2024-01-02_0": true, "latest": false, "2024-01-02": false,
		"2024-01-02_": false, "2024-13-02_abc": false, "2024-01-02_ABC": false, "2024-01-02_abc_x": false,
	} {
		_, got := parseDateTag(tag)
		assert.Check(t, is.Equal(got, ok), tag)
	}
}

func TestPublishTagsToRemove(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(tagDateLayout, s); return d }
	tags := []localTag{
		{Tag: "2024-01-01_aaa", Day: day("2024-01-01"), Created: 1},
		{Tag: "2024-01-05_bbb", Day: day("2024-01-05"), Created: 5},
		{Tag: "2024-01-03_ccc", Day: day("2024-01-03"), Created: 9}, // rebuilt later, still older by date
		{Tag: "2024-01-04_ddd", Day: day("2024-01-04"), Created: 3},
		{Tag: "2024-01-04_eee", Day: day("2024-01-04"), Created: 4}, // same day, newer image
	}
	for _, tc := range []struct {
		keep   int
		pinned string
		want   []string
	}{
		{keep: 2, pinned: "2024-01-05_bbb", want: []string{"2024-01-04_ddd", "2024-01-03_ccc", "2024-01-01_aaa"}},
		{keep: 1, pinned: "2024-01-05_bbb", want: []string{"2024-01-04_eee", "2024-01-04_ddd", "2024-01-03_ccc", "2024-01-01_aaa"}},
		{keep: 1, pinned: "2024-01-03_ccc", want: []string{"2024-01-04_eee", "2024-01-04_ddd", "2024-01-01_aaa"}},
		{keep: 10, want: nil},
	} {
		assert.Check(t, is.DeepEqual(tagsToRemove(tags, tc.keep, tc.pinned), tc.want), "keep %d", tc.keep)
	}
}

func TestPublishBlockers(t *testing.T) {
	test := func(s report.TestStatus) *report.TestResult { return &report.TestResult{Status: s} }
	for _, tc := range []struct {
		name   string
		rep    report.Report
		reason []string
	}{
		{name: "all good", rep: report.Report{Status: "ok", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt, Test: test(report.TestPassed)},
			{Name: "b", Status: report.StatusCached, Test: test(report.TestCached)},
			{Name: "c", Status: report.StatusBuilt, Test: test(report.TestUntested)},
			{Name: "d", Status: report.StatusBuilt, Test: test(report.TestSkipped)},
			{Name: "e", Status: report.StatusBuilt},
			{Name: "f", Status: report.StatusNotBuilt, Test: test(report.TestPassed)},
		}}},
		{name: "build failed", rep: report.Report{Status: "failed", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt}, {Name: "b", Status: report.StatusFailed}, {Name: "c", Status: report.StatusTimedOut},
		}}, reason: []string{"b: build failed", "c: build timed out"}},
		{name: "test failed", rep: report.Report{Status: "failed", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt, Test: test(report.TestFailed)},
			{Name: "b", Status: report.StatusNotBuilt, Test: test(report.TestTimedOut)},
		}}, reason: []string{"a: test failed", "b: test timed out"}},
		{name: "interrupted", rep: report.Report{Status: "cancelled", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusQueued}, {Name: "b", Status: report.StatusBuilt, Test: test(report.TestCancelled)},
		}}, reason: []string{"the run ended with status cancelled", "a: build queued", "b: test cancelled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.DeepEqual(t, publishBlockers(&tc.rep), tc.reason)
		})
	}
}

func TestPublishConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  PublishConfig
		err  string
	}{
		{name: "nothing", cfg: PublishConfig{}},
		{name: "push", cfg: PublishConfig{Push: true, Repository: "127.0.0.1:5000/pkgdriver/capstan-packages", KeepTags: 3}},
		{name: "push without repository", cfg: PublishConfig{Push: true}, err: "--push needs --repository"},
		{name: "tagged", cfg: PublishConfig{Repository: "reg.example.com/a:v1"}, err: "without a tag"},
		{name: "bad name", cfg: PublishConfig{Repository: "reg.example.com/A"}, err: "must be lowercase"},
		{name: "negative keep", cfg: PublishConfig{KeepTags: -1}, err: "--keep-tags -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.err == "" {
				assert.NilError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.err)
			assert.Check(t, errors.Is(err, ErrUsage))
		})
	}
}

// pubPushFake is an engine whose ImagePush answers with canned streams, one per call.
type pubPushFake struct {
	client.APIClient
	streams []string
	calls   int
}

func (f *pubPushFake) ImagePush(_ context.Context, ref string, _ image.PushOptions) (io.ReadCloser, error) {
	s := f.streams[min(f.calls, len(f.streams)-1)]
	f.calls++
	return io.NopCloser(strings.NewReader(s)), nil
}

func TestPublishPushStream(t *testing.T) {
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
		name    string
		streams []string
		calls   int
		kind    error
		err     string
	}{
		{name: "ok", streams: []string{ok}, calls: 1},
		{name: "unauthorized is permanent", streams: []string{unauthorized, ok}, calls: 1, kind: ErrRegistryUnauthorized, err: "unauthorized: authentication required"},
		{name: "no credentials is permanent", streams: []string{noAuth, ok}, calls: 1, kind: ErrRegistryUnauthorized},
		{name: "transient then ok", streams: []string{transient, ok}, calls: 2},
		{name: "transient every time", streams: []string{transient}, calls: 3, err: "503"},
		{name: "no digest", streams: []string{noDigest}, calls: 3, err: "no digest"},
		{name: "truncated stream", streams: []string{truncated}, calls: 3, err: "reading the engine's output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &pubPushFake{streams: tc.streams}
			var progress bytes.Buffer
			p := &pusher{Client: fake, Log: zerolog.Nop(), Progress: &progress, Attempts: 3, Backoff: time.Millisecond}
			got, err := p.push(context.Background(), "r/x:latest")
			assert.Check(t, is.Equal(fake.calls, tc.calls))
			if tc.err == "" && tc.kind == nil {
				assert.NilError(t, err)
				assert.Check(t, is.DeepEqual(got, PushedImage{Ref: "r/x:latest", Digest: "sha256:1111", Size: 528}))
				assert.Check(t, is.Contains(progress.String(), "abc: Pushed"))
				assert.Check(t, !strings.Contains(progress.String(), "Pushing"), "progress bars are not logged")
				return
			}
			var pe *PushError
			assert.Assert(t, errors.As(err, &pe), "%v", err)
			assert.Check(t, is.Equal(pe.Ref, "r/x:latest"))
			if tc.kind != nil {
				assert.Check(t, errors.Is(err, tc.kind))
			} else {
				assert.Check(t, !pe.Permanent())
			}
			assert.Check(t, is.ErrorContains(err, tc.err))
		})
	}
}

func TestPublishStreamErrorKind(t *testing.T) {
	for msg, want := range map[string]error{
		"unauthorized: authentication required":                         ErrRegistryUnauthorized,
		"denied: requested access to the resource is denied":            ErrRegistryUnauthorized,
		"no basic auth credentials":                                     ErrRegistryUnauthorized,
		"name unknown: repository name not known to registry":           ErrRegistryNotFound,
		"An image does not exist locally with the tag: r/x":             ErrRegistryNotFound,
		"Get \"https://127.0.0.1:1/v2/\": dial tcp: connection refused": nil,
		"blob upload unknown":                                           nil,
	} {
		assert.Check(t, is.Equal(streamErrorKind(msg), want), msg)
	}
}

// pubTree writes files (relative path: content) under root.
func pubTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// pubBeside lists the entries of dir's parent, to find temporary directories left behind.
func pubBeside(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func pubResult(t *testing.T) resultdir.Layout {
	t.Helper()
	l := resultdir.Layout{Root: t.TempDir()}
	pubTree(t, l.Root, map[string]string{
		"packages/a.mpm":                                  "new a",
		"packages/a.yaml":                                 "name: a\n",
		"packages/b.mpm":                                  "new b",
		"mike/osv-loader/index.yaml":                      "version: v1\n",
		"mike/osv-loader/osv-loader.qemu":                 "kernel",
		"repository/osv-loader/index.yaml":                "version: v1\n",
		"repository/osv-zfs-builder/osv-zfs-builder.qemu": "builder",
		"log/a.log":                                       "not published",
		"intermediate/a/file":                             "not published",
	})
	// The loaders are one file with several names, as the loader stage leaves them.
	assert.NilError(t, os.Link(filepath.Join(l.Loader(), "osv-loader.qemu"), filepath.Join(l.Root, "repository/osv-loader/osv-loader.qemu")))
	assert.NilError(t, os.Symlink("a.mpm", filepath.Join(l.Packages(), "current.mpm")))
	assert.NilError(t, os.Chmod(filepath.Join(l.Packages(), "b.mpm"), 0o600))
	return l
}

func TestPublishPackagesTo(t *testing.T) {
	ctx := context.Background()
	l := pubResult(t)
	want := testutil.Snapshot(t, l.Root)

	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "deeper", "repo")
		assert.NilError(t, CopyRepository(ctx, l, dir))
		got := testutil.Snapshot(t, dir)
		assert.Check(t, is.Contains(got, `packages/a.mpm -rw-r--r-- "new a"`))
		assert.Check(t, is.Contains(got, `packages/b.mpm -rw------- "new b"`))
		assert.Check(t, is.Contains(got, `packages/current.mpm -> a.mpm`))
		assert.Check(t, is.Contains(got, `mike/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `repository/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `repository/osv-zfs-builder/osv-zfs-builder.qemu -rw-r--r-- "builder"`))
		a, err := os.Stat(filepath.Join(dir, "mike/osv-loader/osv-loader.qemu"))
		assert.NilError(t, err)
		b, err := os.Stat(filepath.Join(dir, "repository/osv-loader/osv-loader.qemu"))
		assert.NilError(t, err)
		assert.Check(t, os.SameFile(a, b), "the loaders stay one file")
		src, err := os.Stat(filepath.Join(l.Loader(), "osv-loader.qemu"))
		assert.NilError(t, err)
		assert.Check(t, !os.SameFile(a, src), "published files are copies, not links into the result directory")
		for _, g := range got {
			assert.Check(t, !strings.HasPrefix(g, "log") && !strings.HasPrefix(g, "intermediate"), g)
		}
		assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
	})

	t.Run("replaces packages and mike, keeps the rest", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repo")
		pubTree(t, dir, map[string]string{
			"packages/old.mpm":                             "old",
			"packages/a.mpm":                               "old a",
			"mike/osv-loader/index.yaml":                   "old",
			"repository/img/img.qemu":                      "an image",
			"repository/mike/mine/mine.qemu":               "an image of mine",
			"repository/osv-loader/osv-loader.qemu.x86_64": "old",
			"config.yaml":                                  "x: y\n",
		})
		assert.NilError(t, os.Chmod(dir, 0o750))
		assert.NilError(t, CopyRepository(ctx, l, dir))
		got := testutil.Snapshot(t, dir)
		assert.Check(t, is.Contains(got, `packages/a.mpm -rw-r--r-- "new a"`))
		assert.Check(t, is.Contains(got, `repository/img/img.qemu -rw-r--r-- "an image"`))
		assert.Check(t, is.Contains(got, `repository/mike/mine/mine.qemu -rw-r--r-- "an image of mine"`))
		assert.Check(t, is.Contains(got, `repository/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `config.yaml -rw-r--r-- "x: y\n"`))
		assert.Check(t, !strings.Contains(strings.Join(got, "\n"), "old"))
		fi, err := os.Stat(dir)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode().Perm(), os.FileMode(0o750)))
		assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
		assert.DeepEqual(t, testutil.Snapshot(t, l.Root), want) // the source is untouched
	})

	t.Run("through a symlink", func(t *testing.T) {
		base := t.TempDir()
		real := filepath.Join(base, "real")
		pubTree(t, real, map[string]string{"packages/old.mpm": "old"})
		link := filepath.Join(base, "link")
		assert.NilError(t, os.Symlink("real", link))
		assert.NilError(t, CopyRepository(ctx, l, link))
		target, err := os.Readlink(link)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(target, "real"))
		assert.Check(t, is.Contains(testutil.Snapshot(t, real), `packages/a.mpm -rw-r--r-- "new a"`))
	})

	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		assert.NilError(t, os.WriteFile(file, nil, 0o644))
		assert.ErrorContains(t, CopyRepository(ctx, l, file), "not a directory")
	})
}

// TestPublishPackagesToFailure breaks the copy midway and checks that the old directory is exactly
// as it was and nothing is left beside it.
func TestPublishPackagesToFailure(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, l resultdir.Layout)
		err    string
	}{
		{name: "fifo in packages", err: "cannot copy", break_: func(t *testing.T, l resultdir.Layout) {
			assert.NilError(t, syscall.Mkfifo(filepath.Join(l.Packages(), "z-pipe.mpm"), 0o644))
		}},
		{name: "unreadable file", err: "permission denied", break_: func(t *testing.T, l resultdir.Layout) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			assert.NilError(t, os.Chmod(filepath.Join(l.Packages(), "b.mpm"), 0))
		}},
		{name: "cancelled", err: "context canceled", break_: func(t *testing.T, l resultdir.Layout) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := pubResult(t)
			tc.break_(t, l)
			dir := filepath.Join(t.TempDir(), "repo")
			pubTree(t, dir, map[string]string{"packages/old.mpm": "old", "mike/osv-loader/index.yaml": "old", "keep/me": "x"})
			before := testutil.Snapshot(t, dir)
			cctx := ctx
			if tc.name == "cancelled" {
				c, cancel := context.WithCancel(ctx)
				cancel()
				cctx = c
			}
			err := CopyRepository(cctx, l, dir)
			assert.ErrorContains(t, err, tc.err)
			assert.DeepEqual(t, testutil.Snapshot(t, dir), before)
			assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
		})
	}
}

// TestPublishRefusedWritesRecord: a failed recipe stops the publish before anything happens, and
// publish.json says why.
func TestPublishRefusedWritesRecord(t *testing.T) {
	l := pubResult(t)
	dir := filepath.Join(t.TempDir(), "repo")
	p := &Publisher{Config: PublishConfig{PackagesTo: dir}, Layout: l, Log: zerolog.Nop()}
	rep := &report.Report{RunID: "run-1", Status: "failed", Recipes: []report.RecipeResult{{Name: "a", Status: report.StatusBuilt}, {Name: "b", Status: report.StatusFailed}}}
	_, err := p.Publish(context.Background(), rep)
	var refused *NotPublishedError
	assert.Assert(t, errors.As(err, &refused), "%v", err)
	assert.DeepEqual(t, refused.Reasons, []string{"b: build failed"})
	_, statErr := os.Stat(dir)
	assert.Check(t, os.IsNotExist(statErr), "nothing copied")

	var pub Publication
	data, err := os.ReadFile(l.PublishRecord())
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(data, &pub))
	assert.Check(t, is.DeepEqual(pub.NotPublished, []string{"b: build failed"}))
	assert.Check(t, is.Equal(pub.RunID, "run-1"))

	p.Config.PushOnFailure = true
	pub2, err := p.Publish(context.Background(), rep)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(pub2.PackagesTo, dir))
	assert.Check(t, is.Contains(testutil.Snapshot(t, dir), `packages/a.mpm -rw-r--r-- "new a"`))
}

func TestPublishLoadReport(t *testing.T) {
	l := resultdir.Layout{Root: t.TempDir()}
	_, err := report.Load(l)
	assert.ErrorContains(t, err, "publish needs the result of `pkgdriver run`")
	assert.NilError(t, os.WriteFile(l.Report(), []byte(`{"run_id":"r","toolchain":{"id":"sha256:1","osv_commit":"0123456789"},"recipes":[]}`), 0o644))
	rep, err := report.Load(l)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Toolchain.ShortCommit(), "0123456"))
}
