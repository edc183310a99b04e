package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// Matcher checks a booted unikernel's console against a demo's expected-stdout.txt, as the
// contract says: the expected text is trimmed, every run of whitespace in it matches any run of
// whitespace, and everything else is literal (regular-expression characters included). The
// expected text may appear anywhere in what it is given: the test stage gives it the program's
// part of the console (ParseConsole), never the boot messages or the echoed command line.
type Matcher struct {
	expected string
	tokens   []string
	re       *regexp.Regexp
}

// ansiEscape matches terminal control sequences (colours, cursor moves) a program or the
// firmware may print; they are not part of what a person reads on the console.
var ansiEscape = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)

// NewMatcher compiles expected text. Empty (or only whitespace) expected text is an error: it
// would match anything.
func NewMatcher(expected string) (*Matcher, error) {
	// Discovery refuses a file that is not UTF-8; this keeps every other caller safe too.
	expected = strings.ToValidUTF8(expected, "\uFFFD")
	tokens := strings.Fields(expected)
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%w: the expected output is empty", ErrEmptyExpected)
	}
	return &Matcher{expected: strings.TrimSpace(expected), tokens: tokens, re: compileTokens(tokens)}, nil
}

func compileTokens(tokens []string) *regexp.Regexp {
	quoted := make([]string, len(tokens))
	for i, t := range tokens {
		quoted[i] = regexp.QuoteMeta(t)
	}
	return regexp.MustCompile(strings.Join(quoted, `\s+`))
}

// CleanConsole removes terminal escape sequences and NUL bytes from console output.
func CleanConsole(output string) string {
	return strings.ReplaceAll(ansiEscape.ReplaceAllString(output, ""), "\x00", "")
}

// Match reports whether the expected text occurs in output.
func (m *Matcher) Match(output string) bool {
	return m.re.MatchString(CleanConsole(output))
}

// Mismatch explains a failed match: the expected text, how much of it the output held, and the
// part of the output closest to it.
type Mismatch struct {
	Expected string
	// Matched is how many leading words of the expected text were found in a row.
	Matched, Words int
	// Closest is the part of the output where the longest matching prefix was found (or its
	// end, when not even the first word occurs).
	Closest string
}

func (e *Mismatch) Error() string {
	expected := e.Expected
	if len(expected) > ExpectedShown {
		expected = strings.ToValidUTF8(expected[:ExpectedShown], "") +
			fmt.Sprintf("\n… (%d bytes in all: the test log has the whole text)", len(e.Expected))
	}
	if e.Matched == 0 {
		return fmt.Sprintf("the output does not contain the expected text; not even its first word %q occurs\nexpected:\n%s\nend of the output:\n%s",
			shorten(firstWord(e.Expected)), indent(expected), indent(e.Closest))
	}
	return fmt.Sprintf("the output matches the first %d of %d words of the expected text, then differs\nexpected:\n%s\nclosest part of the output:\n%s",
		e.Matched, e.Words, indent(expected), indent(e.Closest))
}

// ExpectedShown is how much of an expected text a Mismatch message shows: a long expectation
// would otherwise be copied whole into every report.
const ExpectedShown = 2000

// shorten cuts a single word for a message.
func shorten(s string) string {
	if len(s) > 80 {
		return strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

// Explain returns why output does not match, or nil when it does.
func (m *Matcher) Explain(output string) *Mismatch {
	out := CleanConsole(output)
	if m.re.MatchString(out) {
		return nil
	}
	// The longest matching prefix; prefixes match monotonically, so search by halves.
	lo, hi := 0, len(m.tokens) // lo matches (0 trivially), hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if compileTokens(m.tokens[:mid]).MatchString(out) {
			lo = mid
		} else {
			hi = mid
		}
	}
	mm := &Mismatch{Expected: m.expected, Matched: lo, Words: len(m.tokens)}
	if lo == 0 {
		mm.Closest = tail(out, closestLen)
		return mm
	}
	loc := compileTokens(m.tokens[:lo]).FindStringIndex(out)
	end := min(len(out), loc[1]+closestLen/2)
	mm.Closest = out[loc[0]:end]
	if len(mm.Closest) > closestLen {
		mm.Closest = mm.Closest[len(mm.Closest)-closestLen:]
	}
	return mm
}

const closestLen = 600

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), "\n")
	return "  | " + strings.Join(lines, "\n  | ")
}
