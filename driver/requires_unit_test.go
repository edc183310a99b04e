package driver

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestResolveRequires(t *testing.T) {
	graph := map[string][]string{
		"app":      {"runtime", "libfoo"},
		"runtime":  {"libc"},
		"libfoo":   {"libc"},
		"libc":     nil,
		"loop-a":   {"loop-b"},
		"loop-b":   {"loop-a"},
		"self":     {"self"},
		"needsbad": {"nowhere"},
	}
	lookup := func(name string) ([]string, bool, error) {
		r, ok := graph[name]
		return r, ok, nil
	}
	tests := []struct {
		name    string
		direct  []string
		want    []string
		wantErr string
		cycle   bool
	}{
		{name: "none", direct: nil, want: nil},
		{name: "leaf", direct: []string{"libc"}, want: []string{"libc"}},
		{name: "diamond once each, dependencies first", direct: []string{"app"}, want: []string{"libc", "runtime", "libfoo", "app"}},
		{name: "two roots sharing", direct: []string{"libfoo", "runtime"}, want: []string{"libc", "libfoo", "runtime"}},
		{name: "missing direct", direct: []string{"ghost"}, wantErr: `required package "ghost" is not in packages/ (required through demo -> ghost)`},
		{name: "missing transitive", direct: []string{"needsbad"}, wantErr: `required package "nowhere" is not in packages/ (required through demo -> needsbad -> nowhere)`},
		{name: "cycle", direct: []string{"loop-a"}, wantErr: "require cycle: demo -> loop-a -> loop-b -> loop-a", cycle: true},
		{name: "self cycle", direct: []string{"self"}, wantErr: "require cycle: demo -> self -> self", cycle: true},
		{name: "requiring the demo itself", direct: []string{"demo"}, wantErr: "require cycle: demo -> demo", cycle: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveRequires("demo", tc.direct, lookup)
			if tc.wantErr != "" {
				assert.Error(t, err, tc.wantErr)
				var re *RequireError
				assert.Assert(t, errors.As(err, &re))
				assert.Equal(t, re.Cycle, tc.cycle)
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.DeepEqual(got, tc.want))
		})
	}
}
