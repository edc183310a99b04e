package driver

import (
	"os/exec"
	"strings"
	"testing"
)

// The pipeline and its stages reach the engine through engine.Engine only: neither the Docker
// client nor the Docker implementation is among driver's dependencies.
func TestNoDockerDependency(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list driver's dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/pkgdriver/pkgdriver/engine\n") {
		t.Fatalf("go list -deps listed too little to judge:\n%s", out)
	}
	for _, d := range deps {
		if strings.Contains(d, "docker") || strings.Contains(d, "containerd") {
			t.Errorf("driver depends on %s", d)
		}
	}
}
