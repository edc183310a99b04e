package recipe

// Dir is one directory of recipes. Discover takes them in order: the
// built-in directory first, then each user directory.
type Dir struct {
	// Path is the directory; relative paths are made absolute.
	Path string
	// Builtin marks the directory shipped with pkgdriver.
	Builtin bool
}

// Catalog is every recipe found in a list of recipe directories.
type Catalog struct {
	// Recipes are sorted by name; names are unique. Invalid recipes are
	// included with Err set.
	Recipes []*Recipe
	// CommonDirs are the absolute paths of every existing <dir>/common, in
	// recipe-directory order.
	CommonDirs []string
}

// Recipe is one recipe directory.
type Recipe struct {
	// Name is the directory name, which is also the package name.
	Name string
	// Dir is the recipe's absolute directory.
	Dir string
	// Source is the absolute recipe directory that holds Dir.
	Source string
	// Builtin is copied from the Dir that holds the recipe.
	Builtin bool
	// Demo is the recipe's test; nil when the recipe has no demo/, its demo
	// is incomplete, or its name is refused (then Err says why).
	Demo *Demo
	// HasMeta reports a meta/ directory to copy into the package.
	HasMeta bool
	// KnownBroken is why the recipe is known not to work, from its known-broken file
	// (KnownBrokenFile); empty for a recipe without one. Select leaves such recipes out of "all".
	KnownBroken string
	// Err is nil for a valid recipe. Otherwise it is a *Error, a
	// *DuplicateError, or several *Error joined with errors.Join so that one
	// look shows every problem; inspect it with errors.Is and errors.As.
	Err error
}

// Demo holds the absolute paths of a recipe's demo files.
type Demo struct {
	// Dir is <recipe>/demo.
	Dir string
	// PackageTemplate is demo/pkg/meta/package.yaml.templ.
	PackageTemplate string
	// RunYAML is demo/pkg/meta/run.yaml.
	RunYAML string
	// ExpectedStdout is demo/expected-stdout.txt.
	ExpectedStdout string
}

// Files relative to a recipe directory, as the contract names them.
const (
	BuildScript         = "build.sh"
	MetaDir             = "meta"
	MetaRunYAML         = "meta/run.yaml"
	MetaPackageYAML     = "meta/package.yaml"
	DemoDir             = "demo"
	DemoRunYAML         = "demo/pkg/meta/run.yaml"
	DemoPackageTemplate = "demo/pkg/meta/package.yaml.templ"
	DemoExpectedStdout  = "demo/expected-stdout.txt"
	CommonDirName       = "common"
)
