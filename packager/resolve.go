package packager

import (
	"fmt"
	"sort"
	"strings"
)

// maxBaseDepth bounds how many base hops one config set may take; real
// packages use one or two.
const maxBaseDepth = 32

// RunLookup returns the run configuration of a required package, or nil
// (and no error) when that package has no meta/run.yaml.
type RunLookup func(pkg string) (*RunConfig, error)

// BootCommand is a resolved boot configuration: the commands to run, one
// per config set booted, and the environment they run in.
type BootCommand struct {
	// Commands are the effective bootcmds, in boot order, unexpanded: OSv
	// itself replaces $NAME at boot.
	Commands []string
	// Env is the merged environment. Along a base chain the set nearer the
	// booted one wins (Capstan only adds names not yet set); across several
	// default sets the first wins (as OSv's --env=NAME?=VALUE sets a name only
	// once).
	Env map[string]string
}

// Resolve returns the OSv command line that boots config set set (the
// default sets when set is empty; see DefaultSets): the merged environment as
// --env=NAME=VALUE words, sorted by name, then the commands joined by "; ".
// OSv's loader puts those words into the environment before it parses the
// commands and expands $NAME in them, so the program both sees the variables
// and gets them substituted, as under Capstan. (Capstan writes NAME?=VALUE
// into /run files it boots with runscript; the loader's own --env option takes
// the word literally, so precedence is settled here and plain = is written.)
// base references are followed through lookup.
func (c *RunConfig) Resolve(set string, lookup func(pkg string) (*RunConfig, error)) (string, error) {
	b, err := c.ResolveBoot(set, lookup)
	if err != nil {
		return "", err
	}
	return b.Cmdline(), nil
}

// ResolveBoot resolves set like Resolve and returns its parts. set may name
// several sets separated by commas.
func (c *RunConfig) ResolveBoot(set string, lookup func(pkg string) (*RunConfig, error)) (*BootCommand, error) {
	var names []string
	if strings.TrimSpace(set) == "" {
		var err error
		if names, err = c.DefaultSets(); err != nil {
			return nil, err
		}
	} else {
		for _, n := range strings.Split(set, ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	b := &BootCommand{Env: map[string]string{}}
	for _, n := range names {
		cmd, err := resolveSet(c, "", n, b.Env, lookup, nil)
		if err != nil {
			return nil, err
		}
		b.Commands = append(b.Commands, cmd)
	}
	return b, nil
}

// resolveSet follows one config set through its bases, adding each set's
// env to env where not yet set, and returns the final bootcmd. chain holds
// the "<package>:<set>" steps taken so far, to report and stop cycles.
func resolveSet(c *RunConfig, pkg, set string, env map[string]string, lookup RunLookup, chain []string) (string, error) {
	step := pkg + ":" + set
	if pkg == "" {
		step = c.File + ":" + set
	}
	for _, s := range chain {
		if s == step {
			return "", fmt.Errorf("config set base cycle: %s", strings.Join(append(chain, step), " -> "))
		}
	}
	chain = append(chain, step)
	if len(chain) > maxBaseDepth {
		return "", fmt.Errorf("config set base chain longer than %d: %s", maxBaseDepth, strings.Join(chain, " -> "))
	}

	cs, ok := c.ConfigSets[set]
	if !ok {
		err := error(&FieldError{File: c.File, Field: "config_set",
			Reason: fmt.Sprintf("no config set %q (defined: %s)", set, c.setList())})
		if pkg != "" {
			err = fmt.Errorf("package %s: %w", pkg, err)
		}
		return "", err
	}
	if c.Runtime != RuntimeNative {
		return "", &FieldError{File: c.File, Field: "runtime",
			Reason: fmt.Sprintf("config set %q uses runtime %q; only %q can be composed", set, c.Runtime, RuntimeNative)}
	}
	for k, v := range cs.Env {
		if _, taken := env[k]; !taken {
			env[k] = v
		}
	}
	if cs.Base == "" {
		return cs.Bootcmd, nil
	}

	basePkg, baseSet, _ := strings.Cut(cs.Base, ":")
	if lookup == nil {
		return "", fmt.Errorf("%s: config set %q: base %q: no package lookup given", c.File, set, cs.Base)
	}
	base, err := lookup(basePkg)
	if err != nil {
		return "", fmt.Errorf("%s: config set %q: base %q: %w", c.File, set, cs.Base, err)
	}
	if base == nil {
		return "", fmt.Errorf("%s: config set %q: base %q: package %s has no %s", c.File, set, cs.Base, basePkg, RunFile)
	}
	return resolveSet(base, basePkg, baseSet, env, lookup, chain)
}

// Cmdline renders the boot command as Capstan does (see Resolve).
func (b *BootCommand) Cmdline() string {
	names := make([]string, 0, len(b.Env))
	for k := range b.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		fmt.Fprintf(&sb, "--env=%s=%s ", k, b.Env[k])
	}
	sb.WriteString(strings.Join(b.Commands, "; "))
	return sb.String()
}
