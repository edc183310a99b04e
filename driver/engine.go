package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// Labels every resource pkgdriver creates carries, so leftovers can be found and reaped.
const (
	LabelRun    = "pkgdriver.run"
	LabelRecipe = "pkgdriver.recipe"
	LabelRole   = "pkgdriver.role"
)

// DefaultEngineTimeout bounds the first contact with the engine: an engine that accepts the
// connection and never answers must not hang a nightly run. PKGDRIVER_ENGINE_TIMEOUT (a Go
// duration such as 30s) changes it.
const DefaultEngineTimeout = 10 * time.Second

// engineCallTimeout bounds one engine call that a healthy engine answers at once (ping, info,
// inspect, list, tag, create, start), on a busy engine too. Streams (builds, logs, copies,
// waits) are bounded by the run's own timeouts instead.
const engineCallTimeout = 2 * time.Minute

// NewClient connects to the engine named by the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH; the local socket by default) with API-version negotiation, and checks that
// it answers within the engine timeout. An engine that does not answer is a configuration
// error (exit status 2). Every call of the client it returns that should answer at once has a
// deadline of its own.
func NewClient(ctx context.Context, version string) (client.APIClient, error) {
	timeout, err := engineTimeout()
	if err != nil {
		return nil, err
	}
	cli, err := client.NewClientWithOpts(
		client.FromEnv,
		client.WithAPIVersionNegotiation(),
		client.WithUserAgent("pkgdriver/"+version),
	)
	if err != nil {
		return nil, usageError(fmt.Errorf("docker engine: %w", err))
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if pctx.Err() != nil {
			err = fmt.Errorf("no answer within %s (PKGDRIVER_ENGINE_TIMEOUT)", timeout)
		}
		return nil, usageError(fmt.Errorf("docker engine at %s does not answer: %w; %s",
			engineAddress(cli.DaemonHost()), err, engineAdvice()))
	}
	return boundedClient{cli}, nil
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

// engineAddress names the engine and where its address came from.
func engineAddress(host string) string {
	if v := os.Getenv("DOCKER_HOST"); v != "" {
		return host + " (DOCKER_HOST)"
	}
	return host + " (the default socket; DOCKER_HOST is not set)"
}

func engineTimeout() (time.Duration, error) {
	v := os.Getenv("PKGDRIVER_ENGINE_TIMEOUT")
	if v == "" {
		return DefaultEngineTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError(fmt.Errorf("PKGDRIVER_ENGINE_TIMEOUT=%q: want a positive duration such as 30s", v))
	}
	return d, nil
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
