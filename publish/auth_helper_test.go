package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

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
