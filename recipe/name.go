package recipe

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNameLen bounds a package name so that every file named after it
// (<name>.mpm, <name>.yaml, log/<name>.log, log/<name>.test.log,
// <name>.spdx.json, <name>.intoto.jsonl, intermediate/<name>) fits the
// 255-byte file-name limit (NAME_MAX) of common file systems with room to
// spare: a longer name fails by this rule, never as "file name too long".
const MaxNameLen = 200

// ValidateName reports whether name is safe as a package name. The error
// wraps ErrBadName.
//
// Package names become file and directory names on the host, inside build
// containers and in Capstan repositories, and appear in URLs and shell
// commands. The rule is deliberately a short allow-list rather than a list
// of dangers: ASCII letters, digits and "._+-@", starting with a letter or
// digit, with no "..". That excludes path separators, whitespace and control
// characters, names that hide (leading "."), names read as command-line
// flags (leading "-"), and every non-ASCII character, so Unicode look-alikes
// such as a Cyrillic "а" in "jаva" can never pose as another package.
// The word "all" is reserved because it selects every recipe.
func ValidateName(name string) error {
	bad := func(reason string) error {
		return fmt.Errorf("%w %q: %s", ErrBadName, name, reason)
	}
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameLen))
	case name == "all":
		return bad(`"all" is reserved: it selects every recipe`)
	case !isAlnum(name[0]):
		return bad("must start with an ASCII letter or digit")
	case strings.Contains(name, ".."):
		return bad(`must not contain ".."`)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && !strings.ContainsRune("._+-@", rune(c)) {
			return bad(fmt.Sprintf("character %s at byte %d: only ASCII letters, digits and ._+-@ are allowed", describeByte(name, i), i))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// describeByte names the offending character in a way that stays readable
// when it is invisible (a tab, a newline) or not ASCII.
func describeByte(s string, i int) string {
	if c := s[i]; c < 0x80 {
		return fmt.Sprintf("%q", rune(c))
	}
	r := []rune(s[i:])[0]
	return fmt.Sprintf("%q (U+%04X)", r, r)
}

// DisplayName is name as it may be printed anywhere: on a terminal, in a log
// line, a table, a report. A valid package name holds only printable ASCII and
// is returned unchanged; any other name (a recipe directory ValidateName
// refuses) is returned quoted as %q quotes it, with control characters,
// escape sequences, newlines and invisible runes escaped, so that a directory
// name can neither steer a terminal nor break a line or a report, and the
// quotes mark it as not a package name. Every place that shows a recipe name
// that may not have been validated goes through here.
func DisplayName(name string) string {
	if ValidateName(name) == nil {
		return name
	}
	return strconv.Quote(name)
}

// displayPath is a path inside a recipe as messages show it: unchanged when it
// is printable ASCII, quoted like DisplayName otherwise (a file name with an
// escape sequence or a newline in it).
func displayPath(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return strconv.Quote(p)
		}
	}
	return p
}
