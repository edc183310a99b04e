package recipe

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
)

// catalogOf builds a catalogue of valid recipes with the given names,
// which must be sorted.
func catalogOf(names ...string) *Catalog {
	c := &Catalog{}
	for _, n := range names {
		c.Recipes = append(c.Recipes, &Recipe{Name: n, Dir: "/r/" + n})
	}
	return c
}

func names(rs []*Recipe) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestSelect(t *testing.T) {
	cat := catalogOf("erlang", "erlang-7.0", "node-4.4.5", "node-6.0", "osv.nfs", "python", "zlib")
	tests := []struct {
		sel         string
		want        []string
		unknown     []string
		suggestions map[string][]string
		msg         string
	}{
		{sel: "all", want: cat.Names()},
		{sel: "[]", want: []string{}},
		{sel: "zlib,erlang", want: []string{"erlang", "zlib"}},
		{sel: "python", want: []string{"python"}},
		{
			sel:         "erlnag",
			unknown:     []string{"erlnag"},
			suggestions: map[string][]string{"erlnag": {"erlang"}},
			msg:         `unknown recipe: "erlnag" (did you mean "erlang"?)`,
		},
		{
			sel:         "erlnag,zlib,foo,Python,node",
			unknown:     []string{"erlnag", "foo", "Python", "node"},
			suggestions: map[string][]string{"erlnag": {"erlang"}, "Python": {"python"}, "node": {"node-6.0", "node-4.4.5"}},
			msg:         `unknown recipes: "erlnag" (did you mean "erlang"?), "foo", "Python" (did you mean "python"?), "node" (did you mean "node-6.0" or "node-4.4.5"?)`,
		},
		{
			sel:         "erlang-7",
			unknown:     []string{"erlang-7"},
			suggestions: map[string][]string{"erlang-7": {"erlang-7.0", "erlang"}},
			msg:         `unknown recipe: "erlang-7" (did you mean "erlang-7.0" or "erlang"?)`,
		},
		{
			sel:         "xyz",
			unknown:     []string{"xyz"},
			suggestions: map[string][]string{},
			msg:         `unknown recipe: "xyz"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := ParseSelection(tc.sel)
			assert.NilError(t, err)
			got, err := cat.Select(sel)
			if tc.unknown == nil {
				assert.NilError(t, err)
				assert.DeepEqual(t, names(got), tc.want)
				return
			}
			assert.Assert(t, got == nil)
			assert.Assert(t, errors.Is(err, ErrUnknown))
			var ue *UnknownError
			assert.Assert(t, errors.As(err, &ue))
			assert.DeepEqual(t, ue.Unknown, tc.unknown)
			assert.DeepEqual(t, ue.Suggestions, tc.suggestions)
			assert.Equal(t, err.Error(), tc.msg)
		})
	}
}

func TestSelectKeepsInvalidRecipes(t *testing.T) {
	cat := catalogOf("a", "b")
	cat.Recipes[0].Err = &Error{Recipe: "a", File: BuildScript, Err: ErrMissing}
	got, err := cat.Select(Selection{Names: []string{"a"}})
	assert.NilError(t, err)
	assert.DeepEqual(t, names(got), []string{"a"})
}

// A known-broken recipe is left out of "all" and selected when named.
func TestSelectKnownBroken(t *testing.T) {
	cat := catalogOf("erlang", "mysql", "python")
	cat.Recipes[0].KnownBroken = "its demo aborts"
	tests := []struct {
		sel  string
		want []string
	}{
		{sel: "all", want: []string{"mysql", "python"}},
		{sel: "erlang,mysql", want: []string{"erlang", "mysql"}},
		{sel: "erlang", want: []string{"erlang"}},
		{sel: "python", want: []string{"python"}},
		{sel: "[]", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := ParseSelection(tc.sel)
			assert.NilError(t, err)
			got, err := cat.Select(sel)
			assert.NilError(t, err)
			assert.DeepEqual(t, names(got), tc.want)
		})
	}
}

func TestSuggestAtMostThree(t *testing.T) {
	got := Suggest("node", []string{"node-1", "node-2", "node-3", "node-4", "nodes"})
	assert.DeepEqual(t, got, []string{"nodes", "node-1", "node-2"})
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"erlang", "erlang", 0},
		{"erlnag", "erlang", 1},
		{"erlang", "erlan", 1},
		{"erlang", "erlangs", 1},
		{"erlang", "erlbng", 1},
		{"ca", "abc", 3},
		{"kitten", "sitting", 3},
	}
	for _, tc := range tests {
		assert.Equal(t, editDistance(tc.a, tc.b), tc.want, "%q %q", tc.a, tc.b)
		assert.Equal(t, editDistance(tc.b, tc.a), tc.want, "%q %q", tc.b, tc.a)
	}
}

func TestResolveTests(t *testing.T) {
	cat := catalogOf("a", "b", "c", "x", "y")
	cat.Recipes[3].KnownBroken = "x is broken"
	cat.Recipes[4].KnownBroken = "y is broken"
	tests := []struct {
		name    string
		build   string
		testSel *Selection
		want    []string
		is      error
	}{
		{name: "default is the build set", build: "b", want: []string{"b"}},
		{name: "all is the whole catalogue", build: "b", testSel: &Selection{All: true}, want: []string{"a", "b", "c"}},
		{name: "none", build: "b", testSel: &Selection{}, want: []string{}},
		{name: "names outside the build set", build: "b", testSel: &Selection{Names: []string{"c", "a"}}, want: []string{"a", "c"}},
		{name: "unknown", build: "b", testSel: &Selection{Names: []string{"d"}}, is: ErrUnknown},
		{name: "default with a known-broken recipe built", build: "x,b", want: []string{"b", "x"}},
		{name: "all with a known-broken recipe built", build: "x", testSel: &Selection{All: true}, want: []string{"a", "b", "c", "x"}},
		{name: "a known-broken recipe named", build: "b", testSel: &Selection{Names: []string{"y"}}, want: []string{"y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := ParseSelection(tc.build)
			assert.NilError(t, err)
			build, err := cat.Select(sel)
			assert.NilError(t, err)
			got, err := cat.ResolveTests(build, tc.testSel)
			if tc.is != nil {
				assert.Assert(t, errors.Is(err, tc.is), "%v", err)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, names(got), tc.want)
		})
	}
}
