package publish

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
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
	assert.DeepEqual(t, c.auth(), engine.RegistryAuth{Username: "u", Password: "p", ServerAddress: "reg.example.com"})

	tok := Credentials{ServerAddress: "reg.example.com", identityToken: "tok"}
	assert.DeepEqual(t, tok.auth(), engine.RegistryAuth{IdentityToken: "tok", ServerAddress: "reg.example.com"})
}
