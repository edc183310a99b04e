package images

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// instructions returns toolchain/Dockerfile's instructions (continuation lines joined, comments
// left out).
func instructions(dockerfile []byte) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(dockerfile), "\n") {
		t := strings.TrimSpace(line)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if more, ok := strings.CutSuffix(t, "\\"); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(t)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// The layer cache holds across toolchains of one base only if the step after FROM is one ARG
// and the next the apt step, whose cache key holds the package lists (see the Dockerfile's
// comment and README "Layer cache"); an ENV or a second ARG there would be shared by every
// toolchain of the base.
func TestToolchainDockerfileStartsWithApt(t *testing.T) {
	ins := instructions(ToolchainDockerfile)
	from := -1
	for i, in := range ins {
		if strings.HasPrefix(in, "FROM ") {
			from = i
			break
		}
	}
	if from < 0 || from+2 >= len(ins) {
		t.Fatalf("no FROM followed by two steps in %q", ins)
	}
	if arg := ins[from+1]; !regexp.MustCompile(`^ARG BASE_PACKAGES=".*" +OSV_DEPS=".*"$`).MatchString(arg) {
		t.Errorf("the step after FROM is %q, not one ARG of BASE_PACKAGES and OSV_DEPS", arg)
	}
	if run := ins[from+2]; !strings.HasPrefix(run, "RUN ") || !strings.Contains(run, "apt-get install") {
		t.Errorf("the second step after FROM is %q, not the apt step", run)
	}
}

func TestToolchainRebuildBase(t *testing.T) {
	got, err := ToolchainRebuildBase(`k="v"`)
	if err != nil {
		t.Fatal(err)
	}
	ins := instructions(got)
	want := []string{"ARG BASE_IMAGE=debian:bookworm", "FROM ${BASE_IMAGE}", `LABEL k="v"`}
	if strings.Join(ins, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", ins, want)
	}
	if !bytes.HasPrefix(ToolchainDockerfile, got[:bytes.Index(got, []byte("LABEL"))]) {
		t.Error("the rebuild base is not the Dockerfile's own head")
	}
}
