// Package driver runs pkgdriver's pipeline against a Docker engine: it selects recipes, builds or
// reuses the toolchain image, runs one container per recipe, gathers and packages the results,
// delivers the OSv loader, and reports. Each stage is a small type with Run(ctx); they share one
// *Run value and never call each other (see pipeline.go for the order). The result directory's
// paths, state files and lock are internal/resultdir's; report.json and its renderers are
// report's; file helpers are internal/fsutil's (see the layout table in README.md).
package driver
