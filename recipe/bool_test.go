package recipe

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
)

func TestParseBool(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		bad  bool
	}{
		{in: "y", want: true},
		{in: "Y", want: true},
		{in: "yes", want: true},
		{in: "YES", want: true},
		{in: "Yes", want: true},
		{in: "true", want: true},
		{in: "TRUE", want: true},
		{in: "1", want: true},
		{in: " yes\n", want: true},
		{in: "n"},
		{in: "N"},
		{in: "no"},
		{in: "No"},
		{in: "false"},
		{in: "FALSE"},
		{in: "0"},
		{in: "", bad: true},
		{in: "ye", bad: true},
		{in: "on", bad: true},
		{in: "off", bad: true},
		{in: "2", bad: true},
		{in: "yes please", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBool(tc.in)
			if tc.bad {
				assert.Assert(t, errors.Is(err, ErrBadBool), "ParseBool(%q) = %v, %v", tc.in, got, err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
		})
	}
}
