package driver

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A working KVM probe makes the run use KVM and hand containers /dev/kvm.
func TestAccelProbeKVM(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file x y", "init"}, nil)
	env.cfg.Accel = AccelAuto
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Accel, string(AccelKVM)))
	for _, c := range env.eng.Containers() {
		if c.Spec.Labels[LabelRole] == "build" {
			assert.Check(t, is.DeepEqual(c.Spec.Devices, []string{kvmDevice}))
		}
	}
}
