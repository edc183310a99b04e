package driver

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// The advice fits how pkgdriver was installed: the test binary is no checkout's bin/, so it
// gets the distribution's way; DOCKER_HOST is named when it is what points elsewhere.
// t.Setenv makes this test sequential.
func TestEngineAdvice(t *testing.T) {
	t.Setenv("DOCKER_HOST", "")
	advice := engineAdvice()
	assert.Check(t, is.Contains(advice, "systemctl start docker"))
	assert.Check(t, is.Contains(advice, "dockerd"))
	assert.Check(t, !is.Contains(advice, "scripts/")().Success(), advice)

	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	assert.Check(t, is.Contains(engineAdvice(), "DOCKER_HOST=tcp://127.0.0.1:1"))
}
