package main

import (
	"runtime/debug"
	"testing"

	"gotest.tools/v3/assert"
)

func TestVersionFrom(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "false"}}
	tests := []struct {
		name   string
		ldflag string
		main   string
		vcs    []debug.BuildSetting
		want   string
	}{
		{name: "make build (-X main.version)", ldflag: "v1.2.0-3-gabcdef1", main: "(devel)", vcs: vcs, want: "v1.2.0-3-gabcdef1 (0123456789ab)"},
		{name: "go install module@v1.2.3", main: "v1.2.3", want: "v1.2.3"},
		{name: "go install module@commit", main: "v0.0.0-20261130010203-0123456789ab", want: "v0.0.0-20261130010203-0123456789ab"},
		{name: "go install after a tag", main: "v1.2.4-0.20261130010203-0123456789ab", want: "v1.2.4-0.20261130010203-0123456789ab"},
		{name: "go build in a checkout", main: "(devel)", vcs: vcs, want: "devel (0123456789ab)"},
		{name: "go build in a modified checkout", main: "(devel)", vcs: []debug.BuildSetting{vcs[0], {Key: "vcs.modified", Value: "true"}}, want: "devel (0123456789ab, modified)"},
		{name: "go build without VCS information", main: "(devel)", want: "devel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := versionFrom(tc.ldflag, &debug.BuildInfo{Main: debug.Module{Version: tc.main}, Settings: tc.vcs}, true)
			assert.Equal(t, v.String(), tc.want)
		})
	}
	// A pseudo-version carries its commit: the revision is known without VCS settings.
	v := versionFrom("", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261130010203-0123456789ab"}}, true)
	assert.Equal(t, v.Revision, "0123456789ab")
	assert.Equal(t, versionFrom("", nil, false).Version, "devel")
}
