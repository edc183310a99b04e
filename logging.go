package main

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"
)

// logFlags are the root's and so every command's (urfave/cli v3 flags reach subcommands):
// `pkgdriver --log-format json run` and `pkgdriver run --log-format json` are the same.
func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "auto", Usage: "auto (readable on a terminal, JSON otherwise), console or json", Sources: env("PKGDRIVER_LOG_FORMAT")},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", Sources: env("PKGDRIVER_LOG_LEVEL")},
	}
}

// newLogger writes readable lines on a terminal and one JSON object per event for machines; it
// also says whether it writes JSON.
func newLogger(c *cli.Command, w io.Writer) (zerolog.Logger, bool, error) {
	level, err := zerolog.ParseLevel(c.String("log-level"))
	if err != nil || level > zerolog.ErrorLevel || level < zerolog.DebugLevel {
		return zerolog.Nop(), false, usagef("--log-level %q: want debug, info, warn or error", c.String("log-level"))
	}
	isJSON, err := jsonFormat(c.String("log-format"), w)
	if err != nil {
		return zerolog.Nop(), false, err
	}
	out := w
	if !isJSON {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), isJSON, nil
}

// jsonFormat says whether --log-format means JSON on w.
func jsonFormat(format string, w io.Writer) (bool, error) {
	switch format {
	case "json":
		return true, nil
	case "console":
		return false, nil
	case "auto", "":
		return !isTerminal(w), nil
	}
	return false, usagef("--log-format %q: want auto, console or json", format)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
