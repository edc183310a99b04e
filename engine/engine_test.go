package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSelector(t *testing.T) {
	labels := map[string]string{"pkgdriver.run": "r1", "empty": ""}
	tests := []struct {
		sel    Selector
		str    string
		expect bool
	}{
		{Selector{Key: "pkgdriver.run"}, "pkgdriver.run", true},
		{Selector{Key: "pkgdriver.run", Value: "r1"}, "pkgdriver.run=r1", true},
		{Selector{Key: "pkgdriver.run", Value: "r2"}, "pkgdriver.run=r2", false},
		{Selector{Key: "empty"}, "empty", true},
		{Selector{Key: "other"}, "other", false},
	}
	for _, tc := range tests {
		if got := tc.sel.Matches(labels); got != tc.expect {
			t.Errorf("%v.Matches = %v, want %v", tc.sel, got, tc.expect)
		}
		if got := tc.sel.String(); got != tc.str {
			t.Errorf("String() = %q, want %q", got, tc.str)
		}
	}
}

func TestIgnoreGone(t *testing.T) {
	other := errors.New("boom")
	for _, tc := range []struct {
		err, want error
	}{
		{nil, nil},
		{fmt.Errorf("remove x: %w", ErrNotFound), nil},
		{fmt.Errorf("remove x: %w", ErrConflict), nil},
		{other, other},
	} {
		if got := IgnoreGone(tc.err); got != tc.want {
			t.Errorf("IgnoreGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRegistryAuthRedacts(t *testing.T) {
	a := RegistryAuth{ServerAddress: "r:5000", Username: "u", Password: "secret-pw"}
	for _, s := range []string{a.String(), fmt.Sprintf("%v %+v %#v %s", a, a, a, a)} {
		if s == "" || strings.Contains(s, "secret-pw") {
			t.Errorf("leaked: %q", s)
		}
	}
	if a.Empty() || !(RegistryAuth{ServerAddress: "r"}).Empty() {
		t.Error("Empty")
	}
}

func TestBuildErrorNamesStep(t *testing.T) {
	e := &BuildError{Step: "Step 3/5 : RUN x", Message: "boom"}
	if got := e.Error(); got != "at Step 3/5 : RUN x: boom" {
		t.Errorf("got %q", got)
	}
	if got := (&BuildError{Message: "boom"}).Error(); got != "boom" {
		t.Errorf("got %q", got)
	}
}
