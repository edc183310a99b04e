// Package docker is the Docker Engine implementation of engine.Engine. It talks to the engine
// through its API only, so it works the same against a remote engine (DOCKER_HOST) where bind
// mounts of this machine's paths would name the wrong machine; the one bind mount it makes is
// of paths the engine itself named (its image layers, read-only, in CreateImageDirVolume's
// probe container), which lie on the engine's machine. Its client is private: callers see
// engine's types only.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/pkgdriver/pkgdriver/engine"
)

// DefaultTimeout bounds the first contact with the engine: an engine that accepts the
// connection and never answers must not hang a nightly run. PKGDRIVER_ENGINE_TIMEOUT (a Go
// duration such as 30s) changes it.
const DefaultTimeout = 10 * time.Second

// callTimeout bounds one engine call that a healthy engine answers at once (ping, info,
// inspect, list, tag, create, start), on a busy engine too. Streams (builds, logs, copies,
// waits) are bounded by the run's own timeouts instead.
const callTimeout = 2 * time.Minute

// Engine is a Docker engine.
type Engine struct {
	api client.APIClient
	// watchEvery and watchTimeout tune the liveness check of long streams (tests); zero:
	// watchEveryDefault, watchTimeoutDefault.
	watchEvery, watchTimeout time.Duration
}

var _ engine.Engine = (*Engine)(nil)

// New connects to the engine named by the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH; the local socket by default) with API-version negotiation, and checks that
// it answers within the engine timeout. An engine that does not answer is
// engine.ErrUnavailable (a configuration error, exit status 2). version goes into the
// User-Agent.
func New(ctx context.Context, version string) (*Engine, error) {
	timeout, err := Timeout()
	if err != nil {
		return nil, err
	}
	api, err := client.NewClientWithOpts(
		client.FromEnv,
		client.WithAPIVersionNegotiation(),
		client.WithUserAgent("pkgdriver/"+version),
	)
	if err != nil {
		return nil, unavailable(fmt.Errorf("docker engine: %w", err))
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := api.Ping(pctx); err != nil {
		api.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if pctx.Err() != nil {
			err = fmt.Errorf("no answer within %s (PKGDRIVER_ENGINE_TIMEOUT)", timeout)
		}
		return nil, unavailable(fmt.Errorf("docker engine at %s does not answer: %w; %s",
			address(api.DaemonHost()), err, advice()))
	}
	return Wrap(api), nil
}

// Wrap makes an Engine of a client the caller made (tests, the benchmark). Every call of it
// that should answer at once gets a deadline of its own.
func Wrap(api client.APIClient) *Engine {
	if b, ok := api.(boundedClient); ok {
		return &Engine{api: b}
	}
	return &Engine{api: boundedClient{api}}
}

// Close closes the connection.
func (e *Engine) Close() error { return e.api.Close() }

// Ping checks that the engine answers.
func (e *Engine) Ping(ctx context.Context) error {
	_, err := e.api.Ping(ctx)
	return wrapErr(err)
}

// Info describes the engine's machine.
func (e *Engine) Info(ctx context.Context) (engine.Info, error) {
	info, err := e.api.Info(ctx)
	if err != nil {
		return engine.Info{}, wrapErr(fmt.Errorf("engine info: %w", err))
	}
	return engine.Info{
		Name: "docker at " + e.api.DaemonHost(), CPUs: info.NCPU, Memory: info.MemTotal,
		OS: info.OSType, Arch: info.Architecture, Version: info.ServerVersion,
	}, nil
}

// Timeout is the first contact's bound: PKGDRIVER_ENGINE_TIMEOUT, else DefaultTimeout.
func Timeout() (time.Duration, error) {
	v := os.Getenv("PKGDRIVER_ENGINE_TIMEOUT")
	if v == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, unavailable(fmt.Errorf("PKGDRIVER_ENGINE_TIMEOUT=%q: want a positive duration such as 30s", v))
	}
	return d, nil
}

// advice says how to start the engine, for the way pkgdriver was installed: a binary built in
// a checkout (bin/pkgdriver beside scripts/) can use the checkout's script; any other binary
// gets the distribution's way. DOCKER_HOST naming another engine is the user's to check.
func advice() string {
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

// address names the engine and where its address came from.
func address(host string) string {
	if v := os.Getenv("DOCKER_HOST"); v != "" {
		return host + " (DOCKER_HOST)"
	}
	return host + " (the default socket; DOCKER_HOST is not set)"
}

// kindError is an engine error that also unwraps to the engine package's kind of it.
type kindError struct {
	err, kind error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

func unavailable(err error) error { return &kindError{err: err, kind: engine.ErrUnavailable} }

// wrapErr gives an error of the Docker client its engine kind (not found, conflict,
// unauthorized), and says so plainly when the connection to the engine broke: what the run
// made on the engine stays there until the next run on this host reaps it.
func wrapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return &kindError{err, engine.ErrNotFound}
	case cerrdefs.IsConflict(err):
		return &kindError{err, engine.ErrConflict}
	case cerrdefs.IsUnauthorized(err) || cerrdefs.IsPermissionDenied(err):
		return &kindError{err, engine.ErrUnauthorized}
	case connectionBroke(err):
		return fmt.Errorf("the connection to the Docker engine broke (%w); the containers of this run may still exist: the next run on this host removes them", err)
	}
	return err
}

// connectionBroke tells a lost connection to the engine (it stopped, restarted, or the network
// to it went) from an answer of the engine.
func connectionBroke(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || client.IsErrConnectionFailed(err) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &netErr)
}
