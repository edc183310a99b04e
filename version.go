package main

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v3"
)

// version is set by `make build` with -ldflags "-X main.version=..." (git describe). A plain
// `go build` or `go install` leaves it empty, and the build information the Go toolchain
// records says what was built.
var version string

// versionInfo is what was built.
type versionInfo struct {
	Version  string // a tag, a pseudo-version, or "devel" for an untagged local build
	Revision string // the VCS commit, when known
	Modified bool   // built from a tree with uncommitted changes
	Go       string
}

func (v versionInfo) String() string {
	s := v.Version
	if v.Revision != "" && !strings.Contains(v.Version, shortRev(v.Revision)) {
		s += " (" + shortRev(v.Revision)
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

func shortRev(r string) string { return r[:min(12, len(r))] }

// pseudoRev is the commit at the end of a pseudo-version such as
// v0.0.0-20260130101112-0123456789ab, which `go install module@commit` records.
var pseudoRev = regexp.MustCompile(`[.-](?:0\.)?\d{14}-([0-9a-f]{12})(?:\+incompatible)?$`)

// buildVersion is the version of this binary: -X main.version, else the module version and the
// VCS revision from the build information (`go install ...@v1.2.3` records the version, a build
// in a checkout the commit).
func buildVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	return versionFrom(version, bi, ok)
}

// versionFrom is buildVersion for a given -X value and build information.
func versionFrom(ldflag string, bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: ldflag, Go: runtime.Version()}
	if !ok {
		if v.Version == "" {
			v.Version = "devel"
		}
		return v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if v.Version == "" {
		v.Version = bi.Main.Version
		if v.Version == "" || v.Version == "(devel)" {
			v.Version = "devel"
		}
	}
	if m := pseudoRev.FindStringSubmatch(v.Version); m != nil && v.Revision == "" {
		v.Revision = m[1]
	}
	return v
}

// versionCommand prints the version, the revision and the Go release.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the VCS revision it was built from, and the Go release",
		Action: func(_ context.Context, c *cli.Command) error {
			v := buildVersion()
			w := c.Root().Writer
			fmt.Fprintf(w, "%s version %s\n", c.Root().Name, v.Version)
			if v.Revision != "" {
				fmt.Fprintf(w, "revision %s", v.Revision)
				if v.Modified {
					fmt.Fprint(w, " (modified)")
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "built with %s %s/%s\n", v.Go, runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// versionString is the version for the engine's User-Agent and the report.
func versionString() string { return buildVersion().String() }
