package driver

import (
	"math"
	"testing"

	"gotest.tools/v3/assert"
)

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{n: -1, want: "none"},
		{n: 0, want: "none"},
		{n: 1, want: "1 B"},
		{n: 1023, want: "1023 B"},
		{n: 1024, want: "1.0 KiB"},
		{n: 1536, want: "1.5 KiB"},
		{n: 1 << 20, want: "1.0 MiB"},
		{n: 512 << 20, want: "512.0 MiB"},
		{n: 4 << 30, want: "4.0 GiB"},
		{n: 3 << 40, want: "3.0 TiB"},
		{n: 1 << 50, want: "1.0 PiB"},
		{n: 1 << 60, want: "1.0 EiB"},
		{n: math.MaxInt64, want: "8.0 EiB"},
	}
	for _, tc := range tests {
		assert.Check(t, formatBytes(tc.n) == tc.want, "formatBytes(%d) = %q, want %q", tc.n, formatBytes(tc.n), tc.want)
	}
}

func TestCPUCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cpus       float64
		engineCPUs int
		want       int
	}{
		{name: "--cpus rounds up", cpus: 1.5, engineCPUs: 8, want: 2},
		{name: "--cpus whole", cpus: 4, engineCPUs: 8, want: 4},
		{name: "engine CPUs without a limit", engineCPUs: 8, want: 8},
		{name: "at least one", want: 1},
	}
	for _, tc := range tests {
		r := &Run{Config: &Config{CPUs: tc.cpus}, EngineCPUs: tc.engineCPUs}
		assert.Check(t, r.cpuCount() == tc.want, "%s: got %d", tc.name, r.cpuCount())
	}
}
