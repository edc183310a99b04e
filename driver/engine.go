package driver

import (
	"context"
	"errors"
	"fmt"

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
		return nil, fmt.Errorf("docker engine does not answer (%s): %w; start it with scripts/ensure-engine.sh", cli.DaemonHost(), err)
	}
	return cli, nil
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
