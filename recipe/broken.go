package recipe

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// KnownBrokenFile is an optional file of a recipe (a pkgdriver extra on top of the contract)
// saying that the recipe is known not to work, and why: it builds, say, but its demo fails on
// current OSv. Lines starting with # and blank lines before the text are ignored; the first
// paragraph (up to the next blank line) is the reason, shown by `pkgdriver list` and logged by a
// run that selects the recipe; what follows is for people reading the file.
//
// A selection of "all" leaves such a recipe out, so that a default run (and a nightly, which
// publishes only when every selected recipe passed) does not fail on it; naming the recipe
// selects it as usual.
const KnownBrokenFile = "known-broken"

// ErrNoReason means a known-broken file holds only comments and blank lines.
var ErrNoReason = errors.New("gives no reason: write why the recipe is known not to work")

// ErrControlChar means a text pkgdriver prints holds a control character (an escape sequence,
// say), which could steer the terminal it is shown on.
var ErrControlChar = errors.New("holds a control character")

// ParseKnownBroken returns the reason a known-broken file gives (see KnownBrokenFile): the
// lines of its first paragraph, each trimmed, joined by single spaces. The text must be UTF-8
// without control characters; errors wrap ErrNoReason, ErrNotUTF8 or ErrControlChar.
func ParseKnownBroken(data []byte) (string, error) {
	if err := checkUTF8(data); err != nil {
		return "", err
	}
	var words []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line == "" {
			if len(words) > 0 {
				break
			}
			continue
		}
		words = append(words, strings.Fields(line)...)
	}
	reason := strings.Join(words, " ")
	if reason == "" {
		return "", ErrNoReason
	}
	if i := strings.IndexFunc(reason, unicode.IsControl); i >= 0 {
		c, _ := utf8.DecodeRuneInString(reason[i:])
		return "", fmt.Errorf("%w (%U)", ErrControlChar, c)
	}
	return reason, nil
}

// knownBroken reads the recipe's known-broken file, if it has one, into Recipe.KnownBroken.
// A file that gives no usable reason is a problem with the recipe, which then stays in "all"
// and fails, naming the file, rather than silently dropping out of the default set.
func (v *validator) knownBroken() {
	if _, err := v.regularFile(KnownBrokenFile); err != nil {
		if !errors.Is(err, ErrMissing) {
			v.fail(KnownBrokenFile, err)
		}
		return
	}
	data, err := os.ReadFile(v.abs(KnownBrokenFile))
	if err == nil {
		v.r.KnownBroken, err = ParseKnownBroken(data)
	}
	if err != nil {
		v.fail(KnownBrokenFile, err)
	}
}
