package driver

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/engine"
)

func TestInputHash(t *testing.T) {
	t.Parallel()
	base := map[string]string{"BASE_IMAGE": "debian:bookworm", "OSV_COMMIT": "abc123", "OSV_BUILD_ARGS": "fs=rofs"}
	with := func(change func(map[string]string)) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		change(m)
		return m
	}
	want := inputHash("ctx", base)
	assert.Equal(t, len(want), 64)

	differs := []struct {
		name string
		ctx  string
		args map[string]string
	}{
		{name: "context hash", ctx: "ctx2", args: base},
		{name: "empty context hash", ctx: "", args: base},
		{name: "a value", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_COMMIT"] = "abc124" })},
		{name: "another value", ctx: "ctx", args: with(func(m map[string]string) { m["BASE_IMAGE"] = "debian:trixie" })},
		{name: "a value emptied", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_BUILD_ARGS"] = "" })},
		{name: "an arg added", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_DEPS"] = "" })},
		{name: "an arg removed", ctx: "ctx", args: with(func(m map[string]string) { delete(m, "OSV_BUILD_ARGS") })},
		{name: "an arg renamed", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_BUILD_ARG"] = m["OSV_BUILD_ARGS"]; delete(m, "OSV_BUILD_ARGS") })},
		{name: "no args", ctx: "ctx", args: nil},
		// Quoting keeps one argument from posing as two.
		{name: "a value that spells another arg", ctx: "ctx", args: map[string]string{
			"BASE_IMAGE": "debian:bookworm\"\n\"OSV_BUILD_ARGS\"=\"fs=rofs", "OSV_COMMIT": "abc123",
		}},
	}
	seen := map[string]string{want: "base"}
	for _, tc := range differs {
		got := inputHash(tc.ctx, tc.args)
		assert.Check(t, got != want, "%s: same hash as the base", tc.name)
		if prev, ok := seen[got]; ok && prev != "base" {
			t.Errorf("%s: same hash as %s", tc.name, prev)
		}
		seen[got] = tc.name
	}

	// Map iteration order is random; the hash must not be. Build the same map in several
	// insertion orders and hash each many times.
	orders := [][]string{
		{"BASE_IMAGE", "OSV_COMMIT", "OSV_BUILD_ARGS"},
		{"OSV_BUILD_ARGS", "OSV_COMMIT", "BASE_IMAGE"},
		{"OSV_COMMIT", "BASE_IMAGE", "OSV_BUILD_ARGS"},
	}
	for _, order := range orders {
		m := map[string]string{}
		for _, k := range order {
			m[k] = base[k]
		}
		for i := 0; i < 20; i++ {
			assert.Equal(t, inputHash("ctx", m), want)
		}
	}
}

func TestShortIDAndCommit(t *testing.T) {
	t.Parallel()
	assert.Equal(t, engine.ShortID("sha256:0123456789abcdef0123"), "0123456789ab")
	assert.Equal(t, engine.ShortID("abc"), "abc")
	assert.Equal(t, (&Toolchain{Commit: "0123456789abcdef"}).ShortCommit(), "0123456")
	assert.Equal(t, (&Toolchain{Commit: "0123"}).ShortCommit(), "0123")
	assert.Equal(t, (&Toolchain{Commit: "0123456789abcdef-dirty"}).ShortCommit(), "0123456-dirty")
	assert.Check(t, (&Toolchain{Commit: "0123456789abcdef-dirty"}).Dirty())
}
