package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// urfave/cli reports command line errors as plain text, in Go's flag package's words. These
// patterns, pinned by TestCLI, turn them into pkgdriver's: what is wrong, with which value, and
// what to do.
var (
	reUnknownFlag  = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reMissingValue = regexp.MustCompile(`^flag needs an argument: -*(.*)$`)
	reBadValue     = regexp.MustCompile(`^invalid value "(.*)" for flag -+([^:]*): (.*)$`)
	reNoHelpTopic  = regexp.MustCompile(`^No help topic for '(.*)'$`)
	reBadEnv       = regexp.MustCompile(`^could not parse "(.*)" as \S+ value from environment variable "(\w+)" for flag ([\w-]+): (.*)$`)
)

// flagError rewrites a command line error of command c.
func flagError(c *cli.Command, err error) error {
	msg := err.Error()
	if m := reUnknownFlag.FindStringSubmatch(msg); m != nil {
		where := ""
		if c != c.Root() {
			where = cmdPath(c) + ": "
		}
		return fmt.Errorf("%sunknown flag %s%s", where, dashed(m[1]), didYouMean(m[1], flagNames(c), dashed))
	}
	if m := reMissingValue.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s needs a value", dashed(strings.TrimLeft(m[1], "-")))
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s %s: %s", dashed(m[2]), m[1], valueProblem(m[3]))
	}
	return err
}

// libraryError rewrites the errors urfave/cli returns without passing them to OnUsageError: a
// bad value in an environment variable, and help for an unknown command.
func libraryError(err error, prog string) error {
	if m := reBadEnv.FindStringSubmatch(err.Error()); m != nil {
		return usagef("%s=%q (for --%s): %s", m[2], m[1], m[3], valueProblem(m[4]))
	}
	if m := reNoHelpTopic.FindStringSubmatch(err.Error()); m != nil {
		return usagef("help: unknown command %q; `%s --help` lists the commands", m[1], prog)
	}
	return err
}

// valueProblem replaces strconv's words ("strconv.ParseInt: parsing "x": invalid syntax").
func valueProblem(s string) string {
	switch {
	case strings.Contains(s, "strconv.ParseInt"), strings.Contains(s, "strconv.ParseUint"):
		return "want a whole number"
	case strings.Contains(s, "strconv.ParseFloat"):
		return "want a number such as 2 or 1.5"
	}
	return s
}

// dashed writes a flag name as typed: -j, --jobs.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand refuses an unknown subcommand of c, with suggestions.
func unknownCommand(c *cli.Command, name string) error {
	var names []string
	for _, sub := range c.Commands {
		if !sub.Hidden {
			names = append(names, sub.Names()...)
		}
	}
	quote := func(s string) string { return fmt.Sprintf("%q", s) }
	return usagef("unknown command %q%s; `%s --help` lists the commands", name, didYouMean(name, names, quote), c.FullName())
}

// flagNames are the names of the flags c takes, its ancestors' included.
func flagNames(c *cli.Command) []string {
	var names []string
	for _, cmd := range c.Lineage() {
		for _, f := range cmd.Flags {
			names = append(names, f.Names()...)
		}
	}
	return names
}

// didYouMean is " (did you mean X or Y?)" for names close to typed, or "".
func didYouMean(typed string, known []string, format func(string) string) string {
	s := recipe.Suggest(typed, known)
	if len(s) == 0 {
		return ""
	}
	for i := range s {
		s[i] = format(s[i])
	}
	return " (did you mean " + strings.Join(s, " or ") + "?)"
}
