package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

const kvmDevice = "/dev/kvm"

// accelStage decides how QEMU is accelerated. KVM is the default where it works; a /dev/kvm
// that exists but cannot run OSv (a nested or software hypervisor) is found by a short probe
// boot of the freshly built kernel, and the run falls back to TCG with a warning.
type accelStage struct{}

func (accelStage) String() string { return "acceleration" }

// accelCache remembers the probe's verdict per toolchain image, so runs do not pay for it again.
type accelCache struct {
	ImageID string `json:"image_id"`
	Accel   Accel  `json:"accel"`
	Reason  string `json:"reason"`
}

func (accelStage) Run(ctx context.Context, r *Run) error {
	switch r.Config.Accel {
	case AccelTCG:
		r.Accel = AccelTCG
		return nil
	case AccelKVM:
		r.Accel, r.Devices = AccelKVM, []string{kvmDevice}
		return nil
	}
	var cached accelCache
	if resultdir.ReadState(r.Layout.AccelRecord(), &cached) && cached.ImageID == r.Toolchain.ID {
		r.setAccel(cached.Accel, cached.Reason)
		return nil
	}
	accel, reason := AccelKVM, ""
	if err := probeKVM(ctx, r); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		accel, reason = AccelTCG, err.Error()
	}
	r.setAccel(accel, reason)
	return resultdir.WriteState(r.Layout.AccelRecord(), accelCache{ImageID: r.Toolchain.ID, Accel: accel, Reason: reason})
}

func (r *Run) setAccel(a Accel, reason string) {
	r.Accel = a
	if a == AccelKVM {
		r.Devices = []string{kvmDevice}
		r.Config.Log.Info().Msg("QEMU will use KVM")
		return
	}
	r.Config.Log.Warn().Str("reason", reason).Msg("KVM does not work here; QEMU falls back to TCG (software emulation, much slower)")
}

// probeScript boots the kernel under KVM and succeeds once it prints its banner.
const probeScript = `
img=/osv/build/release/loader.img
[ -e /dev/kvm ] || { echo "no /dev/kvm in the container"; exit 2; }
qemu-system-x86_64 -enable-kvm -cpu host -m 512M -smp 1 -nographic -no-reboot -nodefaults \
  -serial file:/tmp/console -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -drive file=$img,if=virtio,format=raw,snapshot=on >/tmp/qemu.log 2>&1 &
pid=$!
for i in $(seq 1 100); do
  if grep -q "OSv v" /tmp/console 2>/dev/null; then kill $pid 2>/dev/null; echo "booted: $(grep -a -m1 'OSv v' /tmp/console)"; exit 0; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
kill $pid 2>/dev/null
echo "no banner under KVM (QEMU stopped, or 20 s passed):"; tail -c 600 /tmp/qemu.log; tail -c 600 /tmp/console
exit 1
`

func probeKVM(ctx context.Context, r *Run) error {
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	id, err := r.Engine.Create(pctx, engine.ContainerSpec{
		Image:     r.Toolchain.ID,
		Cmd:       []string{"/bin/sh", "-c", probeScript},
		Labels:    r.labels("kvm-probe", ""),
		Devices:   []string{kvmDevice},
		NoNetwork: true,
	})
	if err != nil {
		return err
	}
	defer r.removeContainer(ctx, id)
	var out bytes.Buffer
	exit, err := r.Engine.Run(pctx, id, &out, &out)
	if err != nil {
		if strings.Contains(err.Error(), kvmDevice) {
			return errors.New("the engine host has no /dev/kvm")
		}
		return fmt.Errorf("KVM probe: %w", err)
	}
	if exit.Code != 0 {
		return fmt.Errorf("a probe boot under KVM failed: %s", strings.TrimSpace(lastLines(out.String(), 4)))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
