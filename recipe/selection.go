package recipe

import (
	"fmt"
	"strings"
)

// Selection is a parsed RECIPES or TEST_RECIPES value.
type Selection struct {
	// All selects every recipe in the catalogue.
	All bool
	// Names are the selected names, each valid, without duplicates, in the
	// order first given. Empty with All false selects nothing.
	Names []string
}

// String renders the selection in the syntax ParseSelection reads, so that
// ParseSelection(s.String()) gives s back.
func (s Selection) String() string {
	switch {
	case s.All:
		return "all"
	case len(s.Names) == 0:
		return "[]"
	default:
		return strings.Join(s.Names, ",")
	}
}

// ParseSelection parses the contract's selection syntax:
//
//   - "all", or the empty string (the variable's default), selects every recipe;
//   - "[]" selects none;
//   - otherwise a comma-separated list of names. Spaces around names are
//     trimmed, empty items (as left by a trailing comma) are skipped, and
//     repeated names count once. A list must name at least one recipe, every
//     name must pass ValidateName, and "all" cannot be mixed with names.
//
// Errors wrap ErrBadSelection and, for a bad name, ErrBadName.
func ParseSelection(s string) (Selection, error) {
	switch strings.TrimSpace(s) {
	case "", "all":
		return Selection{All: true}, nil
	case "[]":
		return Selection{}, nil
	}
	var sel Selection
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		name := strings.TrimSpace(item)
		switch {
		case name == "":
			continue
		case name == "all":
			return Selection{}, fmt.Errorf(`%w %q: "all" must stand alone`, ErrBadSelection, s)
		}
		if err := ValidateName(name); err != nil {
			return Selection{}, fmt.Errorf("%w %q: %w", ErrBadSelection, s, err)
		}
		if !seen[name] {
			seen[name] = true
			sel.Names = append(sel.Names, name)
		}
	}
	if len(sel.Names) == 0 {
		return Selection{}, fmt.Errorf(`%w %q: no recipe names (write "[]" to select none)`, ErrBadSelection, s)
	}
	return sel, nil
}
