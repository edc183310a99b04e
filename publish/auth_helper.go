package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// helperTimeout bounds one credential helper call; a helper waiting for a keyring prompt nobody
// answers must not hang a nightly run.
const helperTimeout = 30 * time.Second

// helperNotFound is what the credential helper protocol says on stdout, with a non-zero exit,
// when the helper has nothing for a server. The protocol has no other signal for it.
const helperNotFound = "credentials not found"

// helperReply is the JSON a helper prints for `get`.
type helperReply struct {
	ServerURL string
	Username  string
	Secret    string
}

// helperGet runs `docker-credential-<name> get` with the registry key on stdin, as the docker
// CLI does. The protocol is three lines of code around os/exec, so it is written here rather than
// pulled in: this way the call follows ctx, has a deadline, and its output never reaches a log.
func helperGet(ctx context.Context, name, key string) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, helperTimeout)
	defer cancel()
	prog := "docker-credential-" + name
	creds := Credentials{ServerAddress: key, Source: "credential helper " + name}
	cmd := exec.CommandContext(ctx, prog, "get")
	cmd.Stdin = strings.NewReader(key)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if errors.Is(err, exec.ErrNotFound) {
		return Credentials{}, fmt.Errorf("docker config names credential helper %q, but %s is not on PATH", name, prog)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Credentials{}, fmt.Errorf("%s get %s: %w", prog, key, context.Cause(ctx))
		}
		if strings.Contains(strings.ToLower(stdout.String()), helperNotFound) {
			return creds, nil
		}
		return Credentials{}, fmt.Errorf("%s get %s: %w: %s", prog, key, err, helperMessage(stdout.String(), stderr.String()))
	}
	var reply helperReply
	if err := json.Unmarshal(stdout.Bytes(), &reply); err != nil {
		// Never quote the output: it may be a secret in a shape we did not expect.
		return Credentials{}, fmt.Errorf("%s get %s: the reply is not the JSON of the credential helper protocol", prog, key)
	}
	// A helper keeps an identity token (from an OAuth login) with the user name "<token>".
	if reply.Username == "<token>" {
		creds.identityToken = reply.Secret
		return creds, nil
	}
	creds.username, creds.password = reply.Username, reply.Secret
	return creds, nil
}

// helperMessage is the first line of a failed helper's output, short: enough to say why, never a
// reply that might hold a secret (a failed call prints a message, not credentials).
func helperMessage(stdout, stderr string) string {
	msg := strings.TrimSpace(stdout)
	if msg == "" {
		msg = strings.TrimSpace(stderr)
	}
	msg, _, _ = strings.Cut(msg, "\n")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		return "no message"
	}
	return msg
}
