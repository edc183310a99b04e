package publish

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distribution/reference"

	"github.com/pkgdriver/pkgdriver/engine"
)

// dockerHubKey is the key Docker keeps Docker Hub's credentials under, in config.json and in
// credential helpers, for historical reasons.
const dockerHubKey = "https://index.docker.io/v1/"

// RegistryKey is the key a registry's credentials are stored under in Docker's config file for
// an image repository such as 127.0.0.1:5000/pkgdriver/capstan-packages: host[:port] for most
// registries, dockerHubKey for Docker Hub (a repository without a host is on Docker Hub).
func RegistryKey(repository string) (string, error) {
	named, err := reference.ParseNormalizedNamed(repository)
	if err != nil {
		return "", fmt.Errorf("repository %q: %w", repository, err)
	}
	return registryKeyOf(reference.Domain(named)), nil
}

func registryKeyOf(host string) string {
	switch strings.ToLower(host) {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return dockerHubKey
	}
	return host
}

// configKeyHost turns a key as people and older clients wrote it in config.json
// ("https://host:5000/v2/", "http://host", "host:5000") into the registry key it stands for.
func configKeyHost(key string) string {
	if key == dockerHubKey {
		return key
	}
	h := strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	return registryKeyOf(h)
}

// Credentials authenticate to one registry. They come from Docker's config file only (never from
// a flag) and are never shown: String, Format, GoString and MarshalJSON all redact them, so a
// stray log field, error or report entry cannot leak a secret.
type Credentials struct {
	// ServerAddress is the registry key the credentials were found under.
	ServerAddress string
	// Source says where they came from ("config.json auths", "credential helper NAME"); it holds
	// no secret and may be logged.
	Source        string
	username      string
	password      string
	identityToken string
	registryToken string
}

// Empty reports whether there is nothing to authenticate with: the push goes anonymous.
func (c Credentials) Empty() bool {
	return c.username == "" && c.password == "" && c.identityToken == "" && c.registryToken == ""
}

func (c Credentials) String() string {
	if c.Empty() {
		return "no credentials"
	}
	return "credentials for " + c.ServerAddress + " [redacted]"
}

// Format makes every fmt verb, %#v and %d included, print the redacted form.
func (c Credentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// GoString redacts %#v for callers that ask for it directly.
func (c Credentials) GoString() string { return c.String() }

// MarshalJSON redacts the credentials in JSON (and so in zerolog's Interface fields).
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// auth hands the credentials to the engine for a push; engine.RegistryAuth redacts itself too.
func (c Credentials) auth() engine.RegistryAuth {
	return engine.RegistryAuth{
		Username:      c.username,
		Password:      c.password,
		ServerAddress: c.ServerAddress,
		IdentityToken: c.identityToken,
		RegistryToken: c.registryToken,
	}
}

// CredentialSource finds registry credentials in Docker's config file, the way the docker CLI
// does: a credential helper named for the registry in credHelpers, else the credsStore helper,
// else the auths entry.
type CredentialSource struct {
	// ConfigDir holds config.json; empty: $DOCKER_CONFIG, else ~/.docker.
	ConfigDir string
}

// dockerConfigFile is the part of config.json that says where credentials are.
type dockerConfigFile struct {
	Auths       map[string]dockerAuthEntry `json:"auths"`
	CredHelpers map[string]string          `json:"credHelpers"`
	CredsStore  string                     `json:"credsStore"`
}

// dockerAuthEntry is one auths entry: "auth" is base64 of user:password.
type dockerAuthEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// String keeps an entry out of any output.
func (dockerAuthEntry) String() string { return "[redacted]" }

// Format makes every fmt verb print the redacted form.
func (e dockerAuthEntry) Format(f fmt.State, _ rune) { io.WriteString(f, e.String()) }

// MarshalJSON redacts an entry in JSON; reading config.json is unaffected.
func (e dockerAuthEntry) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// Path is the config file the source reads.
func (s CredentialSource) Path() string {
	dir := s.ConfigDir
	if dir == "" {
		dir = os.Getenv("DOCKER_CONFIG")
	}
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".docker")
		}
	}
	return filepath.Join(dir, "config.json")
}

// Lookup returns the credentials for the registry of repository. No config file, or nothing in
// it for the registry, is not an error: the result is empty and the push goes anonymous.
func (s CredentialSource) Lookup(ctx context.Context, repository string) (Credentials, error) {
	key, err := RegistryKey(repository)
	if err != nil {
		return Credentials{}, err
	}
	cfg, err := s.load()
	if err != nil {
		return Credentials{}, err
	}
	if cfg == nil {
		return Credentials{ServerAddress: key, Source: "no docker config file"}, nil
	}
	if helper := cfg.helperFor(key); helper != "" {
		return helperGet(ctx, helper, key)
	}
	return cfg.fromAuths(key)
}

func (s CredentialSource) load() (*dockerConfigFile, error) {
	path := s.Path()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	var cfg dockerConfigFile
	if err := json.Unmarshal(data, &cfg); err != nil {
		// The decoder's message names a position and a type, never the file's content.
		return nil, fmt.Errorf("docker config %s: %w", path, err)
	}
	return &cfg, nil
}

// helperFor is the credential helper for a registry: its credHelpers entry, else credsStore.
func (c *dockerConfigFile) helperFor(key string) string {
	if k, ok := matchKey(c.CredHelpers, key); ok && c.CredHelpers[k] != "" {
		return c.CredHelpers[k]
	}
	return c.CredsStore
}

// matchKey finds a registry's key in m: the exact key, else the first (in sorted order) key
// written in an older form for the same host.
func matchKey[V any](m map[string]V, key string) (string, bool) {
	if _, ok := m[key]; ok {
		return key, true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(configKeyHost(k), key) {
			return k, true
		}
	}
	return "", false
}

// fromAuths reads the auths entry of a registry.
func (c *dockerConfigFile) fromAuths(key string) (Credentials, error) {
	creds := Credentials{ServerAddress: key, Source: "config.json auths"}
	k, found := matchKey(c.Auths, key)
	if !found {
		return creds, nil
	}
	entry := c.Auths[k]
	creds.username, creds.password = entry.Username, entry.Password
	creds.identityToken, creds.registryToken = entry.IdentityToken, entry.RegistryToken
	if entry.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(entry.Auth))
		if err != nil {
			return Credentials{}, fmt.Errorf("docker config: auths entry for %s: \"auth\" is not base64", key)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credentials{}, fmt.Errorf("docker config: auths entry for %s: \"auth\" is not user:password", key)
		}
		creds.username, creds.password = user, pass
	}
	return creds, nil
}
