package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// Labels every resource pkgdriver creates carries, so leftovers can be found and reaped.
const (
	LabelRun    = "pkgdriver.run"
	LabelRecipe = "pkgdriver.recipe"
	LabelRole   = "pkgdriver.role"
)

// NewClient connects to the engine named by the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH; the local socket by default) with API-version negotiation, and checks that
// it answers.
func NewClient(ctx context.Context, version string) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(
		client.FromEnv,
		client.WithAPIVersionNegotiation(),
		client.WithUserAgent("pkgdriver/"+version),
	)
	if err != nil {
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker engine does not answer (%s): %w; %s", cli.DaemonHost(), err, engineAdvice())
	}
	return cli, nil
}

// engineAdvice says how to start the engine, for the way pkgdriver was installed: a binary
// built in a checkout (bin/pkgdriver beside scripts/) can use the checkout's script; any other
// binary gets the distribution's way. DOCKER_HOST naming another engine is the user's to check.
func engineAdvice() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return fmt.Sprintf("check that DOCKER_HOST=%s names a running engine", h)
	}
	if exe, err := os.Executable(); err == nil {
		script := filepath.Join(filepath.Dir(exe), "..", "scripts", "ensure-engine.sh")
		if _, err := os.Stat(script); err == nil {
			return fmt.Sprintf("start it with %s (or: make engine)", filepath.Clean(script))
		}
	}
	return "start it with `sudo systemctl start docker` (or run `sudo dockerd` where there is no systemd)"
}

// ignoreGone treats "not found" and "already being removed" as success: cleanup of something
// that is already gone has done its job.
func ignoreGone(err error) error {
	if err == nil || errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
		return nil
	}
	return err
}

// cleanupContext gives cleanup its own deadline and survives the cancellation of ctx, so Ctrl-C
// never skips removing what a run created.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

var errInterrupted = errors.New("interrupted")
