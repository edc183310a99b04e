package packager

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// runConfigs parses a set of packages' run.yaml files for lookups.
func runConfigs(t *testing.T, files map[string]string) func(string) (*RunConfig, error) {
	t.Helper()
	parsed := map[string]*RunConfig{}
	for pkg, y := range files {
		c, err := ParseRunConfig([]byte(y), pkg+"/meta/run.yaml")
		assert.NilError(t, err, pkg)
		parsed[pkg] = c
	}
	return func(pkg string) (*RunConfig, error) {
		if pkg == "no-run-yaml" {
			return nil, nil
		}
		c, ok := parsed[pkg]
		if !ok {
			return nil, fmt.Errorf("package %s is not required", pkg)
		}
		return c, nil
	}
}

func TestResolve(t *testing.T) {
	lookup := runConfigs(t, map[string]string{
		"node": `runtime: native
config_set:
  node:
    bootcmd: /libnode.so $NODE_ARGS /app.js
    env: {NODE_ARGS: --stack-size=1, PORT: "1"}
  other:
    base: "base2:deep"
    env: {DEPTH: "1"}
`,
		"base2": "config_set:\n  deep:\n    bootcmd: /deep.so $DEPTH\n    env: {DEPTH: \"2\", EXTRA: x}\n",
		"loop1": "config_set:\n  x:\n    base: loop2:y\n",
		"loop2": "config_set:\n  y:\n    base: loop1:x\n",
		"java":  "runtime: java\nconfig_set:\n  j:\n    main: Main\n",
	})
	tests := []struct {
		name     string
		yaml     string
		set      string
		want     string
		expanded string
		wantErr  string
	}{
		{
			name:     "contract example",
			yaml:     "runtime: native\nconfig_set:\n  default:\n    bootcmd: /program.so $ARGS\n    env:\n      ARGS: --flag\nconfig_set_default: default\n",
			want:     "--env=ARGS=--flag /program.so $ARGS",
			expanded: "/program.so --flag",
		},
		{
			name:     "no env",
			yaml:     "config_set:\n  hello:\n    bootcmd: /hello.so world\n",
			want:     "/hello.so world",
			expanded: "/hello.so world",
		},
		{
			name:     "base: the demo's env wins",
			yaml:     "config_set:\n  default:\n    base: node:node\n    env: {PORT: \"8000\"}\n",
			want:     "--env=NODE_ARGS=--stack-size=1 --env=PORT=8000 /libnode.so $NODE_ARGS /app.js",
			expanded: "/libnode.so --stack-size=1 /app.js",
		},
		{
			name:     "base of a base",
			yaml:     "config_set:\n  default:\n    base: node:other\n",
			want:     "--env=DEPTH=1 --env=EXTRA=x /deep.so $DEPTH",
			expanded: "/deep.so 1",
		},
		{
			name: "named set and several sets",
			yaml: "config_set:\n  a:\n    bootcmd: /a.so $X\n    env: {X: a}\n  b:\n    bootcmd: /b.so $X\n    env: {X: b, Y: b}\n",
			set:  "b,a",
			want: "--env=X=b --env=Y=b /b.so $X; /a.so $X", expanded: "/b.so b; /a.so b",
		},
		{
			name:    "missing set",
			yaml:    "config_set:\n  a:\n    bootcmd: /a\n",
			set:     "nope",
			wantErr: `demo/meta/run.yaml: field "config_set": no config set "nope" (defined: a)`,
		},
		{
			name:    "missing set in the base",
			yaml:    "config_set:\n  a:\n    base: node:nope\n",
			wantErr: `package node: node/meta/run.yaml: field "config_set": no config set "nope"`,
		},
		{name: "base package not required", yaml: "config_set:\n  a:\n    base: ghost:x\n", wantErr: "package ghost is not required"},
		{name: "base package without run.yaml", yaml: "config_set:\n  a:\n    base: no-run-yaml:x\n", wantErr: "package no-run-yaml has no meta/run.yaml"},
		{name: "cycle", yaml: "config_set:\n  a:\n    base: loop1:x\n", wantErr: "cycle: demo/meta/run.yaml:a -> loop1:x -> loop2:y -> loop1:x"},
		{name: "other runtime", yaml: "config_set:\n  a:\n    base: java:j\n", wantErr: `only "native" can be composed`},
		{name: "no default", yaml: "config_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\n", wantErr: "config_set_default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseRunConfig([]byte(tc.yaml), "demo/meta/run.yaml")
			assert.NilError(t, err)
			got, err := c.Resolve(tc.set, lookup)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
			b, err := c.ResolveBoot(tc.set, lookup)
			assert.NilError(t, err)
			assert.Equal(t, expanded(b), tc.expanded)
		})
	}
}

func TestResolveSelfCycle(t *testing.T) {
	c, err := ParseRunConfig([]byte("config_set:\n  a:\n    base: demo:a\n"), "demo/meta/run.yaml")
	assert.NilError(t, err)
	_, err = c.Resolve("a", func(string) (*RunConfig, error) { return c, nil })
	assert.ErrorContains(t, err, "cycle")
}

func TestResolveMissingSetIsFieldError(t *testing.T) {
	c, err := ParseRunConfig([]byte("config_set:\n  a: {bootcmd: /a}\n"), "meta/run.yaml")
	assert.NilError(t, err)
	_, err = c.Resolve("b", nil)
	var fe *FieldError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, fe.File, "meta/run.yaml")
}

func TestExpandVars(t *testing.T) {
	env := map[string]string{"A": "1", "A_B2": "2", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"$A", "1"},
		{"${A}", "1"},
		{"x$A.so", "x1.so"},
		{"$A_B2/$A", "2/1"},
		{"${A}B", "1B"},
		{"$AB", "$AB"},
		{"${UNKNOWN} $UNKNOWN", "${UNKNOWN} $UNKNOWN"},
		{"$EMPTY|", "|"},
		{"cost: 5$", "cost: 5$"},
		{"$$A", "$1"},
		{"${unclosed", "${unclosed"},
		{"$1", "$1"},
	}
	for _, tc := range tests {
		assert.Equal(t, expandVars(tc.in, env), tc.want, tc.in)
	}
}

// expanded returns b's commands with $NAME and ${NAME} replaced from Env,
// joined by "; ", leaving unknown variables as they are: what the tests read
// more easily than the command line. OSv's own expansion at boot (one $NAME
// per word, no braces) is what runs.
func expanded(b *BootCommand) string {
	out := make([]string, len(b.Commands))
	for i, c := range b.Commands {
		out[i] = expandVars(c, b.Env)
	}
	return strings.Join(out, "; ")
}

// expandVars replaces $NAME and ${NAME} with their values in env; names not
// in env, and a lone "$", stay as written.
func expandVars(s string, env map[string]string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 >= len(s) {
			sb.WriteByte(s[i])
			i++
			continue
		}
		name, width := "", 0
		if s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				name, width = s[i+2:i+2+end], end+3
			}
		} else {
			n := 1
			for i+n < len(s) && isNameByte(s[i+n], n == 1) {
				n++
			}
			name, width = s[i+1:i+n], n
		}
		if v, ok := env[name]; ok && name != "" {
			sb.WriteString(v)
			i += width
			continue
		}
		sb.WriteByte('$')
		i++
	}
	return sb.String()
}

// isNameByte tells whether c may appear in a variable name (not first:
// letters, digits and '_'; first: no digit).
func isNameByte(c byte, first bool) bool {
	switch {
	case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}
