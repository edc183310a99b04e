package packager

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// RuntimeNative is Capstan's runtime for arbitrary OSv command lines, the
// only one this package composes.
const RuntimeNative = "native"

// DefaultSetName is the config set Capstan boots when run.yaml names none:
// its compose falls back to the script /run/default.
const DefaultSetName = "default"

// RunConfig is meta/run.yaml: how a package boots.
type RunConfig struct {
	// Runtime is the Capstan runtime. An empty value reads as "native".
	// Capstan's other runtimes (node, java, python) are parsed, but only
	// native config sets can be resolved into a command line.
	Runtime string `yaml:"runtime"`
	// ConfigSets are the named boot configurations.
	ConfigSets map[string]ConfigSet `yaml:"config_set"`
	// Default is config_set_default: the set booted when none is named, or
	// several, separated by commas, booted one after another.
	Default string `yaml:"config_set_default,omitempty"`
	// File is where the configuration was read from, for messages.
	File string `yaml:"-"`
}

// ConfigSet is one named boot configuration of the native runtime.
type ConfigSet struct {
	// Bootcmd is the OSv command line; OSv expands $NAME in it at boot.
	Bootcmd string `yaml:"bootcmd,omitempty"`
	// Env is set in the unikernel's environment before the command runs.
	Env map[string]string `yaml:"env,omitempty"`
	// Base, "<package>:<config set>", boots a set of a required package
	// instead of Bootcmd, with this set's Env taking precedence.
	Base string `yaml:"base,omitempty"`
}

// knownRuntime tells whether Capstan knows the runtime name.
func knownRuntime(name string) bool {
	switch name {
	case RuntimeNative, "node", "java", "python":
		return true
	}
	return false
}

// ParseRunConfig parses and validates meta/run.yaml content; file names the
// source in errors, which are *FieldError or *ParseError. It checks what
// Capstan checks when composing: a known runtime, at least one config set,
// each native set with a bootcmd or a base, base of the form
// "<package>:<set>", no whitespace in env names or values (they become
// --env=NAME=VALUE words), and config_set_default naming defined sets.
// Unknown fields are ignored, as Capstan ignores them.
func ParseRunConfig(data []byte, file string) (*RunConfig, error) {
	root, err := parseMapping(data, file)
	if err != nil {
		return nil, err
	}
	c := &RunConfig{File: file}
	var sets *yaml.Node
	err = eachField(root, file, "", func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "runtime":
			c.Runtime, err = stringValue(file, key, v)
		case "config_set_default":
			c.Default, err = stringValue(file, key, v)
		case "config_set":
			sets = v
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.Runtime == "" {
		c.Runtime = RuntimeNative
	}
	if !knownRuntime(c.Runtime) {
		return nil, &FieldError{File: file, Field: "runtime",
			Reason: fmt.Sprintf("unknown runtime %q (Capstan knows native, node, java and python)", c.Runtime)}
	}
	if c.ConfigSets, err = parseConfigSets(file, c.Runtime, sets); err != nil {
		return nil, err
	}
	for _, name := range c.defaultNames() {
		if _, ok := c.ConfigSets[name]; !ok {
			return nil, &FieldError{File: file, Field: "config_set_default",
				Reason: fmt.Sprintf("names config set %q, which is not defined (defined: %s)", name, c.setList())}
		}
	}
	return c, nil
}

// parseConfigSets reads and validates the config_set mapping.
func parseConfigSets(file, runtime string, n *yaml.Node) (map[string]ConfigSet, error) {
	if isNull(n) {
		return nil, &FieldError{File: file, Field: "config_set", Reason: "missing: at least one config set is required"}
	}
	if n.Kind != yaml.MappingNode {
		return nil, &FieldError{File: file, Field: "config_set", Reason: typeReason("a mapping of config sets", n)}
	}
	sets := map[string]ConfigSet{}
	err := eachField(n, file, "config_set.", func(name string, v *yaml.Node) error {
		field := "config_set." + name
		if name == "" || strings.ContainsAny(name, "/,\x00") {
			return &FieldError{File: file, Field: field, Reason: "a config set name must be non-empty without '/' or ','"}
		}
		cs, err := parseConfigSet(file, field, runtime, v)
		if err != nil {
			return err
		}
		sets[name] = cs
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		return nil, &FieldError{File: file, Field: "config_set", Reason: "empty: at least one config set is required"}
	}
	return sets, nil
}

// parseConfigSet reads and validates one config set.
func parseConfigSet(file, field, runtime string, n *yaml.Node) (ConfigSet, error) {
	var cs ConfigSet
	if !isNull(n) {
		if n.Kind != yaml.MappingNode {
			return cs, &FieldError{File: file, Field: field, Reason: typeReason("a mapping", n)}
		}
		err := eachField(n, file, field+".", func(key string, v *yaml.Node) error {
			var err error
			switch key {
			case "bootcmd":
				cs.Bootcmd, err = stringValue(file, field+"."+key, v)
			case "base":
				cs.Base, err = stringValue(file, field+"."+key, v)
			case "env":
				cs.Env, err = stringMap(file, field+"."+key, v)
			}
			return err
		})
		if err != nil {
			return cs, err
		}
	}
	if runtime == RuntimeNative && cs.Bootcmd == "" && cs.Base == "" {
		return cs, &FieldError{File: file, Field: field, Reason: "needs a bootcmd or a base"}
	}
	if cs.Base != "" {
		pkg, set, ok := strings.Cut(cs.Base, ":")
		if !ok || pkg == "" || set == "" {
			return cs, &FieldError{File: file, Field: field + ".base",
				Reason: fmt.Sprintf("%q is not of the form <package>:<config set>", cs.Base)}
		}
	}
	for k, v := range cs.Env {
		if k == "" || strings.ContainsAny(k, "= \t\r\n") || strings.ContainsAny(v, " \t\r\n") {
			return cs, &FieldError{File: file, Field: field + ".env." + k,
				Reason: "env names and values may not contain whitespace (names not '=' either), as Capstan requires"}
		}
	}
	return cs, nil
}

// defaultNames splits config_set_default into set names.
func (c *RunConfig) defaultNames() []string {
	var names []string
	for _, n := range strings.Split(c.Default, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// setList lists the defined set names, sorted, for messages.
func (c *RunConfig) setList() string {
	names := make([]string, 0, len(c.ConfigSets))
	for n := range c.ConfigSets {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// DefaultSets returns the config sets booted when none is named. Capstan's
// compose boots config_set_default (a comma-separated list) and otherwise
// /run/default, i.e. the set named "default"; like `capstan package describe`
// we also take the only set when there is exactly one.
func (c *RunConfig) DefaultSets() ([]string, error) {
	if names := c.defaultNames(); len(names) > 0 {
		return names, nil
	}
	if _, ok := c.ConfigSets[DefaultSetName]; ok {
		return []string{DefaultSetName}, nil
	}
	if len(c.ConfigSets) == 1 {
		for n := range c.ConfigSets {
			return []string{n}, nil
		}
	}
	return nil, &FieldError{File: c.File, Field: "config_set_default",
		Reason: fmt.Sprintf("not set, and no set is named %q among %d (%s)", DefaultSetName, len(c.ConfigSets), c.setList())}
}
