package recipe

import (
	"fmt"
	"strings"
)

// ParseBool reads one of the contract's booleans: y, yes, true or 1 for
// true and n, no, false or 0 for false, in any case, surrounding spaces
// ignored. Anything else, including the empty string, is an error wrapping
// ErrBadBool: the caller applies the variable's default when it is unset,
// and a typo such as "ye" must not silently mean "no".
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "1":
		return true, nil
	case "n", "no", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w %q: want yes/no, y/n, true/false or 1/0", ErrBadBool, s)
}
