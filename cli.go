package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/pkgdriver/pkgdriver/driver"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// runCLI runs the command line and returns the exit status, so tests can check it. stopSignals
// restores default signal handling: a second Ctrl-C then ends the process at once.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, stopSignals func()) int {
	app := newApp(stdin, stdout, stderr, stopSignals)
	if len(args) > 0 && filepath.Base(args[0]) == "capstan" {
		app = newCapstanApp(stdout, stderr)
	}
	markUsageErrors(app.Commands)
	err := app.RunContext(ctx, args)
	return exitStatus(ctx, err, stderr)
}

// markUsageErrors makes a bad flag or an unknown subcommand anywhere a usage error (exit 2):
// urfave/cli only routes the app's own flag errors through App.OnUsageError, and answers an
// unknown command with help and a status of its own.
func markUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
		if len(c.Subcommands) > 0 && c.Action == nil {
			c.Action = func(ctx *cli.Context) error {
				if ctx.Args().Present() {
					return usagef("unknown command %q", ctx.Args().First())
				}
				return cli.ShowSubcommandHelp(ctx)
			}
		}
		markUsageErrors(c.Subcommands)
	}
}

// appAction shows help, or refuses an unknown command.
func appAction(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unknown command %q", c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitStatus(ctx context.Context, err error, stderr io.Writer) int {
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "pkgdriver: interrupted")
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "pkgdriver:", err)
	if errors.Is(err, driver.ErrUsage) || isUsage(err) {
		return exitUsage
	}
	return exitFailed
}

// usageError marks a bad command line or configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, stopSignals func()) *cli.App {
	return &cli.App{
		Name:    "pkgdriver",
		Usage:   "rebuild OSv/Capstan packages from recipes, one Docker container per recipe",
		Version: version,
		Reader:  stdin, Writer: stdout, ErrWriter: stderr,
		Flags:           logFlags(),
		HideHelpCommand: true,
		Action:          appAction,
		ExitErrHandler:  func(*cli.Context, error) {}, // runCLI decides the status
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{
			runCommand(stopSignals),
			listCommand(),
			packageCommand(),
			reapCommand(),
			publishCommand(),
			verifyReproducibleCommand(),
			keygenCommand(),
		},
	}
}

// newCapstanApp is the `capstan` entry point inside build containers: the package commands
// recipes call, with Capstan's flags.
func newCapstanApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:            "capstan",
		Usage:           "Capstan-compatible package commands (pkgdriver " + version + ")",
		Version:         version,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		Action:          appAction,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{packageCommand()},
	}
}

func cacheDir() string {
	if d := os.Getenv("PKGDRIVER_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pkgdriver")
	}
	return filepath.Join(os.TempDir(), "pkgdriver-cache")
}
