package driver

import (
	"fmt"
	"strings"
)

// RequireError is a require: graph that cannot be satisfied: a package missing from packages/
// or a cycle. Chain is the path that leads to it, from the demo package.
type RequireError struct {
	Chain []string
	Cycle bool
}

func (e *RequireError) Error() string {
	if e.Cycle {
		return "require cycle: " + strings.Join(e.Chain, " -> ")
	}
	return fmt.Sprintf("required package %q is not in packages/ (required through %s)",
		e.Chain[len(e.Chain)-1], strings.Join(e.Chain, " -> "))
}

// resolveRequires returns every package root needs, transitively, dependencies before the
// packages that need them, each once. requires returns a package's own require: list, or
// ok=false when the package does not exist.
func resolveRequires(root string, direct []string, requires func(name string) (reqs []string, ok bool, err error)) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		chain = append(chain, name)
		switch state[name] {
		case 1:
			return &RequireError{Chain: append([]string(nil), chain...), Cycle: true}
		case 2:
			return nil
		}
		reqs, ok, err := requires(name)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(chain, " -> "), err)
		}
		if !ok {
			return &RequireError{Chain: append([]string(nil), chain...)}
		}
		state[name] = 1
		for _, r := range reqs {
			if err := visit(r, chain); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	state[root] = 1
	for _, r := range direct {
		if err := visit(r, []string{root}); err != nil {
			return nil, err
		}
	}
	return order, nil
}
