// Package recipe finds, validates, selects and fingerprints pkgdriver recipes.
//
// A recipe is a directory whose name is the package name and which holds an
// executable build.sh, an optional meta/ and an optional demo/ (see
// docs/recipes.md in the repository). Recipes come from an ordered list of
// recipe directories: the built-in one first, then each user directory.
//
// The package is pure: it reads the file system and never runs anything.
// Problems with a single recipe do not stop discovery; they are recorded in
// Recipe.Err so that a listing can show them and a run can report those
// recipes as failed while the others build. Only problems that concern the
// whole catalogue (a recipe directory that cannot be read) are returned as
// errors.
package recipe
