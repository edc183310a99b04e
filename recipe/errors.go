package recipe

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel causes. Callers and tests compare with errors.Is; messages are
// for people only.
var (
	// ErrBadName means a string is not a safe package name.
	ErrBadName = errors.New("invalid package name")
	// ErrMissing means a file the contract requires is absent.
	ErrMissing = errors.New("required file is missing")
	// ErrNotRegular means a path that must be a regular file is something else.
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotDir means a path that must be a directory is something else.
	ErrNotDir = errors.New("not a directory")
	// ErrNotExecutable means build.sh lacks its owner execute bit.
	ErrNotExecutable = errors.New("not executable by its owner (chmod u+x)")
	// ErrCRLF means a script's #! line ends in a carriage return, which makes
	// the kernel look for an interpreter named "bash\r".
	ErrCRLF = errors.New("CRLF line endings (the #! line ends in \\r; convert the file to LF)")
	// ErrLinkOutside means a symlink in a recipe tree resolves to a place
	// outside the recipes directory that holds the recipe: a build is given
	// only what that directory holds.
	ErrLinkOutside = errors.New("leads outside the recipes directory")
	// ErrBrokenLink means a symlink's target does not exist.
	ErrBrokenLink = errors.New("broken symlink: its target does not exist")
	// ErrLinkCycle means a symlink leads to a directory that holds it, or
	// into a loop of links: the tree would never end.
	ErrLinkCycle = errors.New("symlink cycle")
	// ErrEmptyExpected means expected-stdout.txt is empty or only whitespace,
	// which would let any output pass the test.
	ErrEmptyExpected = errors.New("empty or only whitespace: it would match any output")
	// ErrInvalidConfig wraps what the ValidateRunYAML hook rejected.
	ErrInvalidConfig = errors.New("invalid run configuration")
	// ErrDuplicate is the cause behind every *DuplicateError.
	ErrDuplicate = errors.New("duplicate recipe")
	// ErrUnknown is the cause behind every *UnknownError.
	ErrUnknown = errors.New("unknown recipe")
	// ErrBadSelection means a RECIPES or TEST_RECIPES value cannot be parsed.
	ErrBadSelection = errors.New("invalid recipe selection")
	// ErrBadBool means a string is not one of the contract's booleans.
	ErrBadBool = errors.New("invalid boolean")
	// ErrUnsupportedFile means a recipe holds a device, socket or pipe,
	// which cannot be hashed or copied into a build.
	ErrUnsupportedFile = errors.New("unsupported file type")
)

// Error is one problem with one file of one recipe.
type Error struct {
	// Recipe is the recipe's name.
	Recipe string
	// File is relative to the recipe directory ("build.sh",
	// "demo/expected-stdout.txt"); empty when the problem is the recipe
	// itself, such as its name.
	File string
	// Err is the cause, usually one of the sentinel errors.
	Err error
}

func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("recipe %q: %v", e.Recipe, e.Err)
	}
	return fmt.Sprintf("recipe %q: %s: %v", e.Recipe, displayPath(e.File), e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// DuplicateError says that one recipe name occurs in several recipe
// directories. The contract makes that an error rather than letting one
// directory silently win.
type DuplicateError struct {
	// Name is the recipe name.
	Name string
	// Paths are the recipe's directories, in recipe-directory order.
	Paths []string
}

func (e *DuplicateError) Error() string {
	q := make([]string, len(e.Paths))
	for i, p := range e.Paths {
		q[i] = fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("recipe %q is defined more than once: in %s", e.Name, strings.Join(q, " and "))
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// UnknownError lists every selected name that is not in the catalogue.
type UnknownError struct {
	// Unknown are the names, in the order they were selected.
	Unknown []string
	// Suggestions maps an unknown name to up to three close known names,
	// closest first. Names without suggestions have no entry.
	Suggestions map[string][]string
}

func (e *UnknownError) Error() string {
	var b strings.Builder
	if len(e.Unknown) == 1 {
		b.WriteString("unknown recipe: ")
	} else {
		b.WriteString("unknown recipes: ")
	}
	for i, name := range e.Unknown {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", name)
		if s := e.Suggestions[name]; len(s) > 0 {
			b.WriteString(" (did you mean ")
			for j, c := range s {
				switch {
				case j == 0:
				case j == len(s)-1:
					b.WriteString(" or ")
				default:
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", c)
			}
			b.WriteString("?)")
		}
	}
	return b.String()
}

// Unwrap returns ErrUnknown.
func (e *UnknownError) Unwrap() error { return ErrUnknown }
