package recipe

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
)

func TestParseSelection(t *testing.T) {
	tests := []struct {
		in   string
		want Selection
		is   error // nil: must parse
	}{
		{in: "", want: Selection{All: true}},
		{in: "all", want: Selection{All: true}},
		{in: "  all \n", want: Selection{All: true}},
		{in: "   ", want: Selection{All: true}},
		{in: "[]", want: Selection{}},
		{in: " [] ", want: Selection{}},
		{in: "erlang", want: Selection{Names: []string{"erlang"}}},
		{in: "erlang,osv.nfs", want: Selection{Names: []string{"erlang", "osv.nfs"}}},
		{in: " erlang , osv.nfs ", want: Selection{Names: []string{"erlang", "osv.nfs"}}},
		{in: "erlang,\tosv.nfs\n", want: Selection{Names: []string{"erlang", "osv.nfs"}}},
		{in: "b,a,b,a", want: Selection{Names: []string{"b", "a"}}},
		{in: "erlang,", want: Selection{Names: []string{"erlang"}}},
		{in: ",erlang,,osv.nfs,", want: Selection{Names: []string{"erlang", "osv.nfs"}}},
		{in: ",", is: ErrBadSelection},
		{in: " , ,", is: ErrBadSelection},
		{in: "all,erlang", is: ErrBadSelection},
		{in: "erlang,all", is: ErrBadSelection},
		{in: "[],erlang", is: ErrBadName},
		{in: "[erlang]", is: ErrBadName},
		{in: "ALL", want: Selection{Names: []string{"ALL"}}},
		{in: "erlang osv.nfs", is: ErrBadName},
		{in: "erlang;osv", is: ErrBadName},
		{in: "../etc", is: ErrBadName},
		{in: ".hidden", is: ErrBadName},
		{in: "j\u0430va", is: ErrBadName},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSelection(tc.in)
			if tc.is != nil {
				assert.Assert(t, errors.Is(err, tc.is), "ParseSelection(%q) = %v, %v", tc.in, got, err)
				assert.Assert(t, errors.Is(err, ErrBadSelection), "%v", err)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestSelectionString(t *testing.T) {
	tests := []struct {
		sel  Selection
		want string
	}{
		{Selection{All: true}, "all"},
		{Selection{All: true, Names: []string{"x"}}, "all"},
		{Selection{}, "[]"},
		{Selection{Names: []string{}}, "[]"},
		{Selection{Names: []string{"a"}}, "a"},
		{Selection{Names: []string{"b", "a"}}, "b,a"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.sel.String(), tc.want)
	}
}

func FuzzParseSelection(f *testing.F) {
	for _, s := range []string{"", "all", "[]", "a", "a,b", " a , b ,", "a,a", ",", "all,a", "a b", "\xff", "j\u0430va", "..", ".x", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelection(s)
		if err != nil {
			if !errors.Is(err, ErrBadSelection) {
				t.Fatalf("ParseSelection(%q) error %v does not wrap ErrBadSelection", s, err)
			}
			return
		}
		if sel.All && len(sel.Names) > 0 {
			t.Fatalf("ParseSelection(%q) = %+v: all with names", s, sel)
		}
		seen := map[string]bool{}
		for _, n := range sel.Names {
			if err := ValidateName(n); err != nil {
				t.Fatalf("ParseSelection(%q) accepted bad name: %v", s, err)
			}
			if seen[n] {
				t.Fatalf("ParseSelection(%q) = %+v: duplicate %q", s, sel, n)
			}
			seen[n] = true
		}
		again, err := ParseSelection(sel.String())
		if err != nil {
			t.Fatalf("ParseSelection(%q).String() = %q does not parse: %v", s, sel.String(), err)
		}
		if again.All != sel.All || again.String() != sel.String() {
			t.Fatalf("round trip of %q: %+v then %+v", s, sel, again)
		}
	})
}
