// Package supplychain states what went into a Capstan package and lets anyone check it: an SPDX
// 2.3 SBOM listing every file of the .mpm (and the Debian packages some of them came from), an
// in-toto Statement carrying SLSA provenance v1 in a DSSE envelope, and signatures in the formats
// cosign reads. It reads and writes bytes only and runs nothing; the driver feeds it what a run
// knows (the archive, the toolchain's dpkg database, the run's inputs).
//
// Everything it writes is deterministic: the SBOM of a package depends only on the package's
// bytes and the stated inputs, so two reproducible builds give byte-identical SBOMs; the
// provenance differs only in its run details.
package supplychain
