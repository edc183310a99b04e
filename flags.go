package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// Flag definitions are the one place a setting is described: its name, its environment
// variables (Sources), its help. The help text, docs/cli.md, docs/pkgdriver.1 and the README's
// table of environment variables are all made from them (`make docs`).
//
// Adding a setting: one entry in the command's flag list, with env("PKGDRIVER_…") when a nightly
// would set it; then `make docs`.

// env is the environment variables a flag falls back to, first set one wins; flags win over them.
// An empty variable counts as unset, as it did for the old build container.
func env(names ...string) cli.ValueSourceChain {
	var chain cli.ValueSourceChain
	for _, n := range names {
		chain.Chain = append(chain.Chain, envSource{key: n})
	}
	return chain
}

// pathListEnv is an environment variable holding a colon-separated list, as PATH does, for a
// repeatable flag.
func pathListEnv(name string) cli.ValueSourceChain {
	return cli.NewValueSourceChain(envSource{key: name, pathList: true})
}

type envSource struct {
	key      string
	pathList bool
}

func (e envSource) Lookup() (string, bool) {
	v := os.Getenv(e.key)
	if e.pathList {
		v = strings.ReplaceAll(v, ":", ",")
	}
	return v, v != ""
}
func (e envSource) String() string   { return fmt.Sprintf("environment variable %q", e.key) }
func (e envSource) GoString() string { return fmt.Sprintf("envSource{%q}", e.key) }
func (e envSource) IsFromEnv() bool  { return true }
func (e envSource) Key() string      { return e.key }

// otherEnv are the environment variables no flag stands for; the README's table and the root
// command's help list them with the flags' own.
var otherEnv = []struct{ name, meaning string }{
	{"PKGDRIVER_CACHE_DIR", "where the built-in recipes are written out of the binary, and every run's build and test durations are kept for result directories without history (durations.json) (default: the user's cache directory, e.g. ~/.cache/pkgdriver)"},
	{"SOURCE_DATE_EPOCH", "the time stamped into packages (default: the OSv commit time); `capstan package` uses it too"},
	{"DOCKER_HOST", "the engine (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH; default: the local socket)"},
	{"PKGDRIVER_ENGINE_TIMEOUT", "how long the first contact with the engine may take (default: 10s)"},
	{"DOCKER_CONFIG", "the directory of config.json, where registry credentials are read (default: ~/.docker)"},
}

// boolFlag is a boolean that takes y/yes/true/1 and n/no/false/0 (any case) alike from the
// command line (--skip-tests=yes) and from its environment variables (SKIP_TESTS=yes); the
// old build container's variables took those words.
type boolFlag = cli.FlagBase[bool, cli.BoolConfig, yesNoValue]

type yesNoValue struct{ dest *bool }

func (yesNoValue) Create(v bool, p *bool, _ cli.BoolConfig) cli.Value {
	*p = v
	return &yesNoValue{dest: p}
}
func (yesNoValue) ToString(b bool) string { return strconv.FormatBool(b) }

func (y *yesNoValue) Set(s string) error {
	b, err := recipe.ParseBool(s)
	if err != nil {
		return errors.New("want yes/no, y/n, true/false or 1/0")
	}
	*y.dest = b
	return nil
}
func (y *yesNoValue) Get() any         { return *y.dest }
func (y *yesNoValue) String() string   { return strconv.FormatBool(*y.dest) }
func (y *yesNoValue) IsBoolFlag() bool { return true }

// durationFlag is a duration whose error says what a duration looks like: "5" is the common
// mistake, and Go's own message ("missing unit in duration") does not say which units exist.
type durationFlag = cli.FlagBase[time.Duration, cli.NoConfig, duration]

type duration struct{ dest *time.Duration }

func (duration) Create(v time.Duration, p *time.Duration, _ cli.NoConfig) cli.Value {
	*p = v
	return &duration{dest: p}
}
func (duration) ToString(d time.Duration) string { return d.String() }

func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(s), 64); nerr == nil {
			return errors.New("a duration needs a unit, e.g. 90m or 2h")
		}
		return errors.New("want a duration such as 90s, 90m or 2h")
	}
	*d.dest = v
	return nil
}
func (d *duration) Get() any       { return *d.dest }
func (d *duration) String() string { return d.dest.String() }

// flagRule is a combination of flags that makes no sense; checkFlagRules refuses it naming both.
type flagRule struct {
	flag string // when this flag is set (on the command line or by its environment variable)
	// conflicts: the other must not be set; needs: the other must be set (and true, if boolean).
	conflicts, needs string
	why              string
	// flagOnly: the rule holds for the flag given on the command line, not for its environment
	// variable, which other commands may share (PKGDRIVER_REPOSITORY serves run and publish).
	flagOnly bool
}

// runRules are the combinations run refuses.
var runRules = []flagRule{
	{flag: "skip-tests", conflicts: "test-recipes", why: "with no tests there is nothing to select"},
	{flag: "push-on-failure", needs: "push", why: "it only changes what --push does"},
	{flag: "keep-tags", needs: "push", why: "tags are only kept or removed after a push"},
	{flag: "repository", needs: "push", why: "run only pushes with --push (or use pkgdriver publish)", flagOnly: true},
}

// publishRules are the combinations publish refuses.
var publishRules = []flagRule{
	{flag: "keep-tags", needs: "repository", why: "tags are only kept or removed after a push"},
}

// checkFlagRules returns a usage error for the first rule c breaks.
func checkFlagRules(c *cli.Command, rules []flagRule) error {
	for _, r := range rules {
		if !isOn(c, r.flag) || (r.flagOnly && fromEnv(c, r.flag)) {
			continue
		}
		switch {
		case r.conflicts != "" && isOn(c, r.conflicts):
			return usagef("%s and %s cannot be used together: %s", flagRef(c, r.flag), flagRef(c, r.conflicts), r.why)
		case r.needs != "" && !isOn(c, r.needs):
			return usagef("%s needs %s: %s", flagRef(c, r.flag), flagRef(c, r.needs), r.why)
		}
	}
	return nil
}

// isOn says whether a flag was given a meaningful value: set, and true for a boolean.
func isOn(c *cli.Command, name string) bool {
	if !c.IsSet(name) {
		return false
	}
	if b, ok := c.Value(name).(bool); ok {
		return b
	}
	return true
}

// fromEnv says whether a flag's value may have come from its environment variable.
func fromEnv(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		if hasName(f, name) {
			for _, k := range envKeys(f) {
				if os.Getenv(k) != "" {
					return true
				}
			}
		}
	}
	return false
}

// flagRef names a flag for a message, with its environment variables, which may be what set it.
func flagRef(c *cli.Command, name string) string {
	for _, f := range c.Flags {
		if !hasName(f, name) {
			continue
		}
		if keys := envKeys(f); len(keys) > 0 {
			return fmt.Sprintf("--%s (%s)", name, strings.Join(keys, ", "))
		}
	}
	return "--" + name
}

func hasName(f cli.Flag, name string) bool {
	for _, n := range f.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// envKeys are a flag's environment variables.
func envKeys(f cli.Flag) []string {
	if e, ok := f.(interface{ GetEnvVars() []string }); ok {
		return e.GetEnvVars()
	}
	return nil
}
