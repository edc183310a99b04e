package recipe_test

import (
	"fmt"

	"github.com/pkgdriver/pkgdriver/recipe"
)

func ExampleParseSelection() {
	for _, s := range []string{"", "[]", " erlang, osv.nfs ,erlang,"} {
		sel, err := recipe.ParseSelection(s)
		fmt.Printf("%q -> %v %v\n", s, sel, err)
	}
	// Output:
	// "" -> all <nil>
	// "[]" -> [] <nil>
	// " erlang, osv.nfs ,erlang," -> erlang,osv.nfs <nil>
}

func ExampleCatalog_Select() {
	cat := &recipe.Catalog{Recipes: []*recipe.Recipe{{Name: "erlang"}, {Name: "osv.nfs"}}}
	sel, _ := recipe.ParseSelection("erlnag,foo")
	_, err := cat.Select(sel)
	fmt.Println(err)
	// Output:
	// unknown recipes: "erlnag" (did you mean "erlang"?), "foo"
}
