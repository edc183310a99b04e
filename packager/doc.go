// Package packager reads and writes the OSv/Capstan package format.
//
// A Capstan package is a directory whose meta/package.yaml names it, packed
// into <name>.mpm: a gzip-compressed tar whose entry names start at the
// package root with a leading "/" (directories end in "/", the root itself is
// "/"). Capstan reads such archives with Go's archive/tar and accepts names
// with or without the leading slash. meta/run.yaml describes how to boot the
// package (Capstan's "native" runtime), and the OSv kernel is delivered as a
// Capstan base image (osv-loader.qemu plus index.yaml).
//
// Everything this package writes is deterministic: the same tree and options
// give the same bytes, whatever the files' timestamps, owners or creation
// order. Everything it reads from untrusted sources (archives copied out of
// build containers) is checked before it touches the file system; unsafe
// input is reported as *UnsafeEntryError so callers can tell it from I/O
// failures.
package packager
