package recipe

import "slices"

// Get returns the recipe called name, or nil.
func (c *Catalog) Get(name string) *Recipe {
	for _, r := range c.Recipes {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Names returns every recipe name in catalogue order.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.Recipes))
	for i, r := range c.Recipes {
		names[i] = r.Name
	}
	return names
}

// Select returns the selected recipes in catalogue order, invalid ones
// included (the caller reports them as failed). "all" leaves out the recipes
// known to be broken (Recipe.KnownBroken); a name selects its recipe either
// way. Names not in the catalogue give one *UnknownError listing all of them
// with suggestions.
func (c *Catalog) Select(sel Selection) ([]*Recipe, error) {
	if sel.All {
		return c.working(nil), nil
	}
	want := map[string]bool{}
	var unknown []string
	for _, name := range sel.Names {
		if c.Get(name) == nil {
			if !want[name] {
				unknown = append(unknown, name)
			}
		}
		want[name] = true
	}
	if len(unknown) > 0 {
		known := c.Names()
		e := &UnknownError{Unknown: unknown, Suggestions: map[string][]string{}}
		for _, name := range unknown {
			if s := Suggest(name, known); len(s) > 0 {
				e.Suggestions[name] = s
			}
		}
		return nil, e
	}
	var out []*Recipe
	for _, r := range c.Recipes {
		if want[r.Name] {
			out = append(out, r)
		}
	}
	return out, nil
}

// ResolveTests returns the recipes to test. Without a TEST_RECIPES value
// (testSel nil) the built recipes are tested, known-broken ones included;
// otherwise testSel is resolved against the whole catalogue, so "all" tests
// every recipe, including those kept from earlier runs rather than rebuilt
// now, except the known-broken ones this run does not build.
func (c *Catalog) ResolveTests(build []*Recipe, testSel *Selection) ([]*Recipe, error) {
	switch {
	case testSel == nil:
		return slices.Clone(build), nil
	case testSel.All:
		return c.working(build), nil
	}
	return c.Select(*testSel)
}

// working returns the recipes not known to be broken, and those of also that are, in
// catalogue order.
func (c *Catalog) working(also []*Recipe) []*Recipe {
	var out []*Recipe
	for _, r := range c.Recipes {
		if r.KnownBroken == "" || slices.Contains(also, r) {
			out = append(out, r)
		}
	}
	return out
}
