package packager

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
)

func TestParseRunConfig(t *testing.T) {
	const file = "meta/run.yaml"
	tests := []struct {
		name      string
		yaml      string
		want      *RunConfig
		wantField string
		wantParse bool
		wantMsg   string
	}{
		{
			name: "contract example",
			yaml: `runtime: native
config_set:
  default:
    bootcmd: /program.so $ARGS
    env:
      ARGS: --flag
config_set_default: default
`,
			want: &RunConfig{Runtime: "native", Default: "default", File: file, ConfigSets: map[string]ConfigSet{
				"default": {Bootcmd: "/program.so $ARGS", Env: map[string]string{"ARGS": "--flag"}},
			}},
		},
		{
			name: "base, numbers in env, unknown fields, no runtime",
			yaml: `config_set:
  demo:
    base: "node-4.4.1:node"
    env:
      PORT: 8000
    comment: ignored
other: ignored
`,
			want: &RunConfig{Runtime: "native", File: file, ConfigSets: map[string]ConfigSet{
				"demo": {Base: "node-4.4.1:node", Env: map[string]string{"PORT": "8000"}},
			}},
		},
		{
			name: "other runtime is recorded",
			yaml: "runtime: node\nconfig_set:\n  app:\n    main: /server.js\n",
			want: &RunConfig{Runtime: "node", File: file, ConfigSets: map[string]ConfigSet{"app": {}}},
		},
		{
			name: "comma-separated default",
			yaml: "config_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\nconfig_set_default: a, b\n",
			want: &RunConfig{Runtime: "native", Default: "a, b", File: file, ConfigSets: map[string]ConfigSet{
				"a": {Bootcmd: "/a"}, "b": {Bootcmd: "/b"},
			}},
		},
		{name: "unknown runtime", yaml: "runtime: rust\nconfig_set:\n  a: {bootcmd: /a}\n", wantField: "runtime"},
		{name: "no config set", yaml: "runtime: native\n", wantField: "config_set", wantMsg: `meta/run.yaml: field "config_set": missing`},
		{name: "empty config set mapping", yaml: "config_set: {}\n", wantField: "config_set"},
		{name: "config set is a list", yaml: "config_set: [a]\n", wantField: "config_set"},
		{name: "neither bootcmd nor base", yaml: "config_set:\n  a:\n    env: {A: b}\n", wantField: "config_set.a", wantMsg: "needs a bootcmd or a base"},
		{name: "null config set", yaml: "config_set:\n  a:\n", wantField: "config_set.a"},
		{name: "bootcmd is a list", yaml: "config_set:\n  a:\n    bootcmd: [x]\n", wantField: "config_set.a.bootcmd"},
		{name: "env is a list", yaml: "config_set:\n  a:\n    bootcmd: /a\n    env: [x]\n", wantField: "config_set.a.env"},
		{name: "env value with a space", yaml: "config_set:\n  a:\n    bootcmd: /a\n    env: {X: a b}\n", wantField: "config_set.a.env.X"},
		{name: "base without a colon", yaml: "config_set:\n  a:\n    base: osv.cli\n", wantField: "config_set.a.base"},
		{name: "base without a set", yaml: "config_set:\n  a:\n    base: 'osv.cli:'\n", wantField: "config_set.a.base"},
		{name: "default names a missing set", yaml: "config_set:\n  a: {bootcmd: /a}\nconfig_set_default: b\n", wantField: "config_set_default", wantMsg: `names config set "b"`},
		{name: "set given twice", yaml: "config_set:\n  a: {bootcmd: /a}\n  a: {bootcmd: /b}\n", wantField: "config_set.a"},
		{name: "set name with a slash", yaml: "config_set:\n  a/b: {bootcmd: /a}\n", wantField: "config_set.a/b"},
		{name: "unparsable", yaml: "config_set: {a: [\n", wantParse: true},
		{name: "document is a scalar", yaml: "hello\n", wantParse: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRunConfig([]byte(tc.yaml), file)
			switch {
			case tc.wantField != "":
				var fe *FieldError
				assert.Assert(t, errors.As(err, &fe), "want *FieldError, got %T: %v", err, err)
				assert.Equal(t, fe.Field, tc.wantField)
				assert.Equal(t, fe.File, file)
			case tc.wantParse:
				var pe *ParseError
				assert.Assert(t, errors.As(err, &pe), "want *ParseError, got %T: %v", err, err)
			default:
				assert.NilError(t, err)
				assert.DeepEqual(t, got, tc.want)
			}
			if tc.wantMsg != "" {
				assert.ErrorContains(t, err, tc.wantMsg)
			}
		})
	}
}

func TestDefaultSets(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    []string
		wantErr string
	}{
		{"explicit", "config_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\nconfig_set_default: b\n", []string{"b"}, ""},
		{"explicit list", "config_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\nconfig_set_default: b,a\n", []string{"b", "a"}, ""},
		{"named default", "config_set:\n  a: {bootcmd: /a}\n  default: {bootcmd: /d}\n", []string{"default"}, ""},
		{"only one", "config_set:\n  only: {bootcmd: /o}\n", []string{"only"}, ""},
		{"ambiguous", "config_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\n", nil, `meta/run.yaml: field "config_set_default": not set`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseRunConfig([]byte(tc.yaml), "meta/run.yaml")
			assert.NilError(t, err)
			got, err := c.DefaultSets()
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
		})
	}
}
