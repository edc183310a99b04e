// Package resultdir owns the result directory: the path of everything in it (Layout: packages/,
// log/, intermediate/, mike/ and repository/ for Capstan, the reports, and pkgdriver's own state
// under .pkgdriver/: cache/, durations.json, accel.json, loader.json, toolchain-input.json, dpkg/,
// staging/), the atomic install and removal of a recipe's package, the state files (ReadState,
// WriteState, written atomically), and the lock that lets one run at a time use it
// (AcquireLock). It runs nothing and knows nothing of engines.
package resultdir
