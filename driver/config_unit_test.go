package driver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// validConfig is the smallest configuration Validate accepts. It skips tests so that the rows
// here concern building only.
func validConfig() Config {
	return Config{
		SkipTests: true,
		ResultDir: "result",
		Timeout:   time.Hour,
		Accel:     AccelAuto,
		Image:     ImageConfig{OSVRepo: "https://example.invalid/osv.git"},
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		// wantErr lists substrings of the error; empty: valid.
		wantErr []string
	}{
		{name: "valid", change: func(*Config) {}},
		{name: "kvm", change: func(c *Config) { c.Accel = AccelKVM }},
		{name: "tcg", change: func(c *Config) { c.Accel = AccelTCG }},
		{name: "local OSv source instead of a repository", change: func(c *Config) { c.Image.OSVRepo, c.Image.OSVSrc = "", "/src/osv" }},
		{name: "limits set", change: func(c *Config) { c.Jobs, c.CPUs, c.Memory, c.PidsLimit, c.MaxPackageSize = 4, 1.5, 1<<30, 100, 1<<32 }},
		{name: "empty result dir", change: func(c *Config) { c.ResultDir = "" }, wantErr: []string{"--result-dir"}},
		{name: "negative jobs", change: func(c *Config) { c.Jobs = -1 }, wantErr: []string{"--jobs -1"}},
		{name: "zero timeout", change: func(c *Config) { c.Timeout = 0 }, wantErr: []string{"--timeout"}},
		{name: "negative timeout", change: func(c *Config) { c.Timeout = -time.Second }, wantErr: []string{"--timeout -1s"}},
		{name: "unknown accel", change: func(c *Config) { c.Accel = "bogus" }, wantErr: []string{`--accel "bogus"`}},
		{name: "empty accel", change: func(c *Config) { c.Accel = "" }, wantErr: []string{"--accel"}},
		{name: "negative cpus", change: func(c *Config) { c.CPUs = -1 }, wantErr: []string{"--cpus -1: must not be negative"}},
		{name: "negative memory", change: func(c *Config) { c.Memory = -1 }, wantErr: []string{"--memory -1: must not be negative"}},
		{name: "negative pids", change: func(c *Config) { c.PidsLimit = -1 }, wantErr: []string{"--pids-limit -1: must not be negative"}},
		{name: "negative package size", change: func(c *Config) { c.MaxPackageSize = -1 }, wantErr: []string{"--max-package-size -1: must not be negative"}},
		{name: "no OSv source", change: func(c *Config) { c.Image.OSVRepo = "" }, wantErr: []string{"--osv-src"}},
		{
			name:    "every problem at once",
			change:  func(c *Config) { *c = Config{Jobs: -2} },
			wantErr: []string{"--result-dir", "--jobs -2", "--timeout", "--accel", "--osv-src"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			if len(tc.wantErr) == 0 {
				assert.NilError(t, err)
				return
			}
			assert.Assert(t, errors.Is(err, ErrUsage), "%v does not wrap ErrUsage", err)
			assert.Check(t, !strings.Contains(err.Error(), "usage"), "the mark shows in the message: %v", err)
			for _, s := range tc.wantErr {
				assert.Check(t, is.ErrorContains(err, s))
			}
		})
	}
}
