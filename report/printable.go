package report

import (
	"fmt"
	"strings"
)

// Printable is line as a terminal or a report may show it: trailing carriage returns dropped,
// invalid UTF-8 replaced with U+FFFD, control characters other than tab escaped (\x1b). What a
// recipe or its build printed is untrusted.
func Printable(line string) string {
	line = strings.ToValidUTF8(strings.TrimRight(line, "\r"), "\uFFFD")
	if !strings.ContainsFunc(line, isControl) {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isControl reports C0 and C1 control characters and DEL, except tab.
func isControl(r rune) bool {
	return r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0))
}
