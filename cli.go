package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// session is one command line being run: its streams, the name it was invoked as, and the
// logger once the flags are read.
type session struct {
	prog        string // as invoked: pkgdriver, or capstan inside a build container
	args        []string
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	stopSignals func()
	log         *zerolog.Logger // set by the root command's Before, after the flags are read
	jsonLog     bool            // the logger writes JSON: so does the final error
}

// runCLI runs the command line and returns the exit status, so tests can check it. stopSignals
// restores default signal handling: a second Ctrl-C then ends the process at once.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, stopSignals func()) int {
	s := &session{prog: "pkgdriver", args: args, stdin: stdin, stdout: stdout, stderr: stderr, stopSignals: stopSignals}
	if len(args) > 0 && filepath.Base(args[0]) == "capstan" {
		s.prog = "capstan"
	}
	var root *cli.Command
	if s.prog == "capstan" {
		root = s.capstanCommand()
	} else {
		root = s.rootCommand()
	}
	prepare(root)
	err := root.Run(ctx, helpFirst(args))
	return s.exitStatus(ctx, err)
}

// rootCommand is pkgdriver's command tree.
func (s *session) rootCommand() *cli.Command {
	return &cli.Command{
		Name:    "pkgdriver",
		Usage:   "rebuild OSv/Capstan packages from recipes, one Docker container per recipe",
		Version: buildVersion().String(),
		Reader:  s.stdin, Writer: s.stdout, ErrWriter: s.stderr,
		Description:           environmentHelp(),
		Flags:                 logFlags(),
		Before:                s.before,
		EnableShellCompletion: true,
		ConfigureShellCompletionCommand: func(c *cli.Command) {
			c.Hidden = false
			c.Usage = "print a shell completion script: bash, zsh or fish"
			c.Commands = slices.DeleteFunc(c.Commands, func(sub *cli.Command) bool { return sub.Name == "pwsh" })
			c.Description = "Source the output: bash: source <(pkgdriver completion bash); zsh: source <(pkgdriver completion zsh);\n" +
				"fish: pkgdriver completion fish > ~/.config/fish/completions/pkgdriver.fish"
			prepare(c)
		},
		Commands: []*cli.Command{
			s.runCommand(),
			s.listCommand(),
			packageCommand(),
			s.reapCommand(),
			s.publishCommand(),
			s.verifyReproducibleCommand(),
			keygenCommand(),
			versionCommand(),
		},
	}
}

// capstanCommand is the `capstan` entry point inside build containers: the package commands
// recipes call, with Capstan's flags.
func (s *session) capstanCommand() *cli.Command {
	return &cli.Command{
		Name:    "capstan",
		Usage:   "Capstan-compatible package commands (pkgdriver " + buildVersion().String() + ")",
		Version: buildVersion().String(),
		Reader:  s.stdin, Writer: s.stdout, ErrWriter: s.stderr,
		Commands: []*cli.Command{packageCommand(), versionCommand()},
	}
}

// environmentHelp lists the environment variables no flag stands for (each flag's own are in
// its help).
func environmentHelp() string {
	var b strings.Builder
	b.WriteString("Every flag that a nightly would set also reads an environment variable, named in its help.\nOther environment variables:\n")
	for _, e := range otherEnv {
		fmt.Fprintf(&b, "  %-20s %s\n", e.name, e.meaning)
	}
	return strings.TrimRight(b.String(), "\n")
}

// before reads the logging flags, which every command takes, so a bad --log-format is refused
// by every command, not only by those that log.
func (s *session) before(ctx context.Context, c *cli.Command) (context.Context, error) {
	log, isJSON, err := newLogger(c, s.stderr)
	if err != nil {
		return ctx, err
	}
	s.log, s.jsonLog = &log, isJSON
	return ctx, nil
}

// logger is the session's logger; a command only runs after before made it.
func (s *session) logger() zerolog.Logger {
	if s.log == nil {
		return zerolog.Nop()
	}
	return *s.log
}

// prepare applies what every command shares: parse and usage errors become usage errors (exit
// 2) and the framework prints nothing of its own; a command that groups others refuses an unknown
// one with suggestions; every action refuses positional arguments it does not take (argSpec).
func prepare(c *cli.Command) {
	c.ExitErrHandler = func(context.Context, *cli.Command, error) {} // exitStatus decides
	c.OnUsageError = func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return usageError{flagError(c, err)}
	}
	if c.Action == nil && len(c.Commands) > 0 {
		c.Action = func(_ context.Context, c *cli.Command) error {
			if c.Args().Present() {
				return unknownCommand(c, c.Args().First())
			}
			return cli.ShowSubcommandHelp(c)
		}
	} else if c.Action != nil {
		c.Action = checkedAction(c.Action)
	}
	for _, sub := range c.Commands {
		prepare(sub)
	}
}

// argSpec is how many positional arguments a command takes, kept in its Metadata so the
// command's definition says it.
type argSpec struct{ min, max int } // max < 0: any number

const argsKey = "args"

// takesArgs records a command's positional arguments; commands without it take none.
func takesArgs(min, max int) map[string]any { return map[string]any{argsKey: argSpec{min, max}} }

// checkedAction refuses unexpected positional arguments before the action runs, and marks the
// action's own errors so exitStatus can tell them from the command line's.
func checkedAction(action cli.ActionFunc) cli.ActionFunc {
	return func(ctx context.Context, c *cli.Command) error {
		spec, _ := c.Metadata[argsKey].(argSpec)
		n := c.Args().Len()
		switch {
		case spec.max >= 0 && n > spec.max && spec.max == 0:
			return usagef("%s takes no arguments, got %s%s", cmdPath(c), quoteAll(c.Args().Slice()), argHint(c))
		case spec.max >= 0 && n > spec.max:
			return usagef("%s takes %s, got also %s", cmdPath(c), c.ArgsUsage, quoteAll(c.Args().Slice()[spec.max:]))
		case n < spec.min:
			return usagef("%s needs %s", cmdPath(c), c.ArgsUsage)
		}
		if err := action(ctx, c); err != nil {
			return actionError{err}
		}
		return nil
	}
}

// argHint says what a user who typed a positional argument probably meant.
func argHint(c *cli.Command) string {
	if _, err := recipe.ParseBool(c.Args().First()); err == nil {
		return fmt.Sprintf("; a boolean flag takes its value after =, as in --skip-tests=%s", c.Args().First())
	}
	if c.Name == "run" {
		return fmt.Sprintf("; to choose recipes give --recipes %s", strings.Join(c.Args().Slice(), ","))
	}
	return ""
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// cmdPath names a command for a message that the program's name already starts: "package
// init", or the program's own name for the root.
func cmdPath(c *cli.Command) string {
	if p := strings.TrimPrefix(c.FullName(), c.Root().Name+" "); p != "" {
		return p
	}
	return c.Root().Name
}

// helpFirst makes `help package verify` what `package help verify` is: urfave/cli's help
// command looks one level down only.
func helpFirst(args []string) []string {
	if len(args) < 4 || args[1] != "help" {
		return args
	}
	out := append([]string{args[0]}, args[2:len(args)-1]...)
	return append(out, "help", args[len(args)-1])
}

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks a bad command line or configuration (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// actionError is an error a command's action returned. Every other error comes from reading
// the command line and its environment variables: a usage error.
type actionError struct{ err error }

func (e actionError) Error() string { return e.err.Error() }
func (e actionError) Unwrap() error { return e.err }

func isUsage(err error) bool {
	var u usageError
	var a actionError
	return errors.Is(err, driver.ErrUsage) || errors.Is(err, engine.ErrUnavailable) || errors.As(err, &u) || !errors.As(err, &a)
}

// exitStatus prints the error, one line, as the program invoked and in the log's format, and
// returns the status.
func (s *session) exitStatus(ctx context.Context, err error) int {
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		s.printError(errors.New("interrupted"))
		return exitInterrupted
	}
	err = libraryError(err, s.prog)
	s.printError(err)
	if isUsage(err) {
		return exitUsage
	}
	return exitFailed
}

// printError writes the final error, one problem a line (a joined error holds several; indented
// lines, such as a failed build's last lines of output, belong to the problem above them): JSON
// log events when the logs are JSON, so every line on stderr parses; otherwise "prog: message".
func (s *session) printError(err error) {
	for _, msg := range problems(err.Error()) {
		if s.wantsJSON() {
			log := zerolog.New(s.stderr).With().Timestamp().Logger()
			log.Error().Str("program", s.prog).Msg(msg)
			continue
		}
		fmt.Fprintf(s.stderr, "%s: %s\n", s.prog, msg)
	}
}

// problems splits an error's text at its unindented lines.
func problems(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case len(out) > 0 && (line[0] == ' ' || line[0] == '\t'):
			out[len(out)-1] += "\n" + line
		default:
			out = append(out, line)
		}
	}
	return out
}

// wantsJSON says whether the logs of this command line are JSON. Before the logger exists (the
// command line did not parse), the format is read from the arguments and the environment.
func (s *session) wantsJSON() bool {
	if s.prog == "capstan" {
		return false
	}
	if s.log != nil {
		return s.jsonLog
	}
	format := os.Getenv("PKGDRIVER_LOG_FORMAT")
	for i, a := range s.args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--log-format="); ok {
			format = v
		} else if a == "--log-format" && i+1 < len(s.args) {
			format = s.args[i+1]
		}
	}
	isJSON, err := jsonFormat(format, s.stderr)
	return err == nil && isJSON
}
