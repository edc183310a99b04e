package main

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "auto", Usage: "auto (readable on a terminal, JSON otherwise), console or json", EnvVars: []string{"PKGDRIVER_LOG_FORMAT"}},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"PKGDRIVER_LOG_LEVEL"}},
	}
}

// newLogger writes readable lines on a terminal and one JSON object per event for machines.
func newLogger(c *cli.Context) (zerolog.Logger, error) {
	w := c.App.ErrWriter
	level, err := zerolog.ParseLevel(c.String("log-level"))
	if err != nil {
		return zerolog.Nop(), usagef("--log-level %q: %v", c.String("log-level"), err)
	}
	var out io.Writer
	switch c.String("log-format") {
	case "json":
		out = w
	case "console":
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	case "auto", "":
		if isTerminal(w) {
			out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
		} else {
			out = w
		}
	default:
		return zerolog.Nop(), usagef("--log-format %q: want auto, console or json", c.String("log-format"))
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
