package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// shell runs a bash script for a baseline, with the docker CLI on PATH and vars in its
// environment, and returns its wall time. Output goes to a log file in the scratch directory.
func (e *env) shell(ctx context.Context, name, script string, vars map[string]string) (time.Duration, error) {
	logPath := filepath.Join(e.work, "logs", "baseline-"+name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
	cmd.Env = append(cleanEnv(), "DOCKER="+e.docker, "RUN_LABEL="+e.runLabel)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("baseline %s: %w; last lines of %s:\n%s", name, err, logPath, tail(logPath, 10))
	}
	e.log.Info().Str("baseline", name).Dur("wall", took).Msg("baseline")
	return took, nil
}

// shellList joins names for a shell loop.
func shellList(names []string) string { return strings.Join(names, " ") }
