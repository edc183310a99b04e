// Command pkgdriver rebuilds OSv/Capstan packages from recipes, one Docker container per recipe.
// Invoked as `capstan` it is the Capstan-compatible entry point recipes call inside containers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runCLI(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, stop))
}
