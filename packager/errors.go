package packager

import (
	"fmt"
	"io/fs"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// FieldError reports a missing or invalid field of a YAML file
// (meta/package.yaml, meta/run.yaml, index.yaml).
type FieldError struct {
	// File is the file the field belongs to; empty when the value did not
	// come from a file (for example a Package built in code).
	File string
	// Field names the field, dotted for nested ones ("config_set.default.base").
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the file, the field and what is wrong.
func (e *FieldError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: field %q: %s", e.File, e.Field, e.Reason)
}

// ParseError reports a YAML file that could not be parsed at all.
type ParseError struct {
	File string
	Err  error
}

// Error names the file and the parser's complaint.
func (e *ParseError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("invalid YAML: %v", e.Err)
	}
	return fmt.Sprintf("%s: invalid YAML: %v", e.File, e.Err)
}

// Unwrap returns the YAML parser's error.
func (e *ParseError) Unwrap() error { return e.Err }

// UnsafeEntryError reports an archive entry that is refused because using it
// could write outside the destination, through a symlink, or create something
// a package must not hold (devices, fifos, links out of the tree). It marks
// untrusted input, never an I/O failure.
type UnsafeEntryError struct {
	Entry  string
	Reason string
}

// Error names the entry and why it was refused.
func (e *UnsafeEntryError) Error() string {
	return fmt.Sprintf("unsafe archive entry %q: %s", e.Entry, e.Reason)
}

// LimitError reports content larger than a configured limit
// (PackOptions.MaxSize, ExtractOptions.MaxSize).
type LimitError struct {
	// What is limited, e.g. "package content" or "extracted content".
	What string
	// Size is the size reached when the limit was detected, in bytes.
	Size int64
	// Limit is the configured limit, in bytes.
	Limit int64
	// Path is the file that crossed the limit, when known.
	Path string
}

// Error says the size reached and the limit.
func (e *LimitError) Error() string {
	msg := fmt.Sprintf("%s reaches %d bytes, over the limit of %d bytes", e.What, e.Size, e.Limit)
	if e.Path != "" {
		msg += fmt.Sprintf(" (at %q)", e.Path)
	}
	return msg
}

// UnsupportedFileError reports a file in a package tree that a package cannot
// hold: anything but regular files, directories and symlinks.
type UnsupportedFileError struct {
	// Path is relative to the package root.
	Path string
	Mode fs.FileMode
}

// Error names the path and its file type.
func (e *UnsupportedFileError) Error() string {
	return fmt.Sprintf("%q is a %s; a package holds only regular files, directories and symlinks",
		e.Path, fsutil.Kind(e.Mode))
}
