package driver_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// engineProxy forwards a unix socket to the real engine until dropped: then every connection
// breaks and new ones are refused, as when the engine dies or the network to it goes.
type engineProxy struct {
	ln      net.Listener
	network string
	address string

	mu      sync.Mutex
	conns   []net.Conn
	dropped bool
}

func newEngineProxy(t *testing.T, api client.APIClient) *engineProxy {
	t.Helper()
	u, err := url.Parse(api.DaemonHost())
	assert.NilError(t, err)
	p := &engineProxy{network: u.Scheme, address: u.Host}
	if u.Scheme == "unix" {
		p.address = u.Path
	}
	assert.Assert(t, p.network == "unix" || p.network == "tcp", "engine at %s", api.DaemonHost())
	dir, err := os.MkdirTemp("", "pkgdriver-proxy-") // short: a socket path has at most 107 bytes
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p.ln, err = net.Listen("unix", filepath.Join(dir, "engine.sock"))
	assert.NilError(t, err)
	t.Cleanup(p.drop)
	go p.serve()
	return p
}

// Host is the DOCKER_HOST value that reaches the engine through the proxy.
func (p *engineProxy) Host() string { return "unix://" + p.ln.Addr().String() }

func (p *engineProxy) serve() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial(p.network, p.address)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		if p.dropped {
			p.mu.Unlock()
			down.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		go func() { io.Copy(up, down); up.Close() }()
		go func() { io.Copy(down, up); down.Close() }()
	}
}

// drop closes the listener and every connection.
func (p *engineProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestFaultEngineConnectionDrops runs the real binary against an engine reached through a proxy
// and cuts the connection while a recipe builds: the run fails clearly, the recipe's previous
// package stays as it was with nothing partial beside it, and the next run, with the engine
// reachable again, removes the container the broken run left behind.
func TestFaultEngineConnectionDrops(t *testing.T) {
	api := testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	args := runArgs(t, recipes, result)

	testutil.Recipe(t, recipes, "doomed", script(`echo v1 > "$PACKAGE_RESULT_DIR/v"`, packageInit), nil)
	out, err := exec.Command(bin, args...).CombinedOutput()
	assert.NilError(t, err, string(out))
	before := readFile(t, filepath.Join(result, "packages", "doomed.mpm"))
	packagesBefore := listDir(t, filepath.Join(result, "packages"))

	testutil.Recipe(t, recipes, "doomed", script(`echo v2 > "$PACKAGE_RESULT_DIR/v"`, `echo building`, `sleep 300`, packageInit), nil)
	proxy := newEngineProxy(t, api)
	cmd := exec.Command(bin, append(args, "--no-cache")...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+proxy.Host())
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	assert.NilError(t, cmd.Start())
	waitFor(t, 2*time.Minute, func() bool {
		data, _ := os.ReadFile(filepath.Join(result, "log", "doomed.log"))
		return strings.Contains(string(data), "building")
	})
	proxy.drop()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("pkgdriver did not stop after losing the engine:\n%s", log.String())
	}
	t.Log(log.String())
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v", err)
	assert.Check(t, is.Equal(exit.ExitCode(), 1))

	var rep report.Report
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(result, "report.json"))), &rep))
	doomed := resultOf(t, &rep, "doomed")
	assert.Check(t, is.Equal(doomed.Status, report.StatusFailed))
	assert.Check(t, is.Equal(doomed.Phase, "build"))
	assert.Check(t, is.Contains(doomed.Error, "recipe doomed: "))
	assert.Check(t, is.Contains(doomed.Error, "the connection to the Docker engine broke"))
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "packages", "doomed.mpm")), before))
	assert.Check(t, is.DeepEqual(listDir(t, filepath.Join(result, "packages")), packagesBefore))
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "intermediate", "doomed", "v")), "v1\n"))

	// The engine never heard that the run ended: its container is still there, still running
	// (unless a run of another test on this host reaped it already).
	containers, _ := testutil.Leftovers(t, api, rep.RunID)
	t.Logf("left by the broken run: %v", containers)
	assert.Check(t, len(containers) <= 1, "the broken run's containers: %v", containers)

	// The next run, straight to the engine, reaps it (its owner process is gone).
	testutil.Recipe(t, recipes, "doomed", script(`echo v3 > "$PACKAGE_RESULT_DIR/v"`, packageInit), nil)
	out, err = exec.Command(bin, args...).CombinedOutput()
	assert.NilError(t, err, string(out))
	assert.Check(t, is.Contains(string(out), "removed containers and volumes left by an earlier run"))
	containers, volumes := testutil.Leftovers(t, api, rep.RunID)
	assert.Check(t, len(containers) == 0 && len(volumes) == 0, "left: %v %v", containers, volumes)
	staging, _ := os.ReadDir(filepath.Join(result, ".pkgdriver", "staging"))
	assert.Check(t, is.Len(staging, 0))
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "intermediate", "doomed", "v")), "v3\n"))
}
