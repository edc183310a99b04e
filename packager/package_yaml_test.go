package packager

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestParsePackage(t *testing.T) {
	const file = "meta/package.yaml"
	tests := []struct {
		name      string
		yaml      string
		want      *Package
		wantField string // expected *FieldError field
		wantParse bool   // expected *ParseError
		wantMsg   string // substring of the message
	}{
		{
			name: "minimal",
			yaml: validPackageYAML,
			want: &Package{Name: "demo", Title: "Demo", Author: "Tester"},
		},
		{
			name: "all fields as Capstan writes them",
			yaml: `name: osv.cli
title: Command Line
author: Waldek Kozaczuk
version: 0.51.0
require:
- osv.httpserver-api
binary:
  cli: /cli/cli.so
created: 2018-05-30T04:04:22Z
platform: Ubuntu-18.04
`,
			want: &Package{Name: "osv.cli", Title: "Command Line", Author: "Waldek Kozaczuk", Version: "0.51.0",
				Require: []string{"osv.httpserver-api"}, Binary: map[string]string{"cli": "/cli/cli.so"},
				Created: "2018-05-30T04:04:22Z", Platform: "Ubuntu-18.04"},
		},
		{
			name: "numbers stay as written, unknown fields ignored",
			yaml: "name: erlang\ntitle: Erlang\nauthor: a\nversion: 1.10\nhomepage: https://example.org\nextra: [1, 2]\n",
			want: &Package{Name: "erlang", Title: "Erlang", Author: "a", Version: "1.10"},
		},
		{
			name: "quoted created and friendly time",
			yaml: "name: n\ntitle: t\nauthor: a\ncreated: \"2019-09-16 07:52\"\n",
			want: &Package{Name: "n", Title: "t", Author: "a", Created: "2019-09-16 07:52"},
		},
		{name: "missing name", yaml: "title: t\nauthor: a\n", wantField: "name", wantMsg: `meta/package.yaml: field "name": missing (Capstan requires it)`},
		{name: "missing title", yaml: "name: n\nauthor: a\n", wantField: "title"},
		{name: "missing author", yaml: "name: n\ntitle: t\n", wantField: "author", wantMsg: `meta/package.yaml: field "author": missing (Capstan requires it)`},
		{name: "null author", yaml: "name: n\ntitle: t\nauthor:\n", wantField: "author"},
		{name: "empty document", yaml: "", wantField: "name"},
		{name: "name is a list", yaml: "name: [a]\ntitle: t\nauthor: a\n", wantField: "name", wantMsg: "want a string, got a list"},
		{name: "title is a mapping", yaml: "name: n\ntitle: {a: b}\nauthor: a\n", wantField: "title"},
		{name: "require is a string", yaml: "name: n\ntitle: t\nauthor: a\nrequire: osv.cli\n", wantField: "require"},
		{name: "require holds a list", yaml: "name: n\ntitle: t\nauthor: a\nrequire: [[a]]\n", wantField: "require[0]"},
		{name: "require holds an empty name", yaml: "name: n\ntitle: t\nauthor: a\nrequire: ['']\n", wantField: "require[0]"},
		{name: "binary is a list", yaml: "name: n\ntitle: t\nauthor: a\nbinary: [a]\n", wantField: "binary"},
		{name: "binary value is a list", yaml: "name: n\ntitle: t\nauthor: a\nbinary: {x: [a]}\n", wantField: "binary.x"},
		{name: "name given twice", yaml: "name: n\nname: m\ntitle: t\nauthor: a\n", wantField: "name", wantMsg: "given twice"},
		{name: "name with a slash", yaml: "name: a/b\ntitle: t\nauthor: a\n", wantField: "name"},
		{name: "unparsable", yaml: "name: [unclosed\n", wantParse: true},
		{name: "tab indentation", yaml: "name: n\n\ttitle: t\n", wantParse: true},
		{name: "document is a list", yaml: "- a\n- b\n", wantParse: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePackage([]byte(tc.yaml), file)
			switch {
			case tc.wantField != "":
				var fe *FieldError
				assert.Assert(t, errors.As(err, &fe), "want *FieldError, got %T: %v", err, err)
				assert.Equal(t, fe.Field, tc.wantField)
				assert.Equal(t, fe.File, file)
			case tc.wantParse:
				var pe *ParseError
				assert.Assert(t, errors.As(err, &pe), "want *ParseError, got %T: %v", err, err)
				assert.Equal(t, pe.File, file)
			default:
				assert.NilError(t, err)
				assert.DeepEqual(t, got, tc.want)
			}
			if tc.wantMsg != "" {
				assert.ErrorContains(t, err, tc.wantMsg)
			}
		})
	}
}

func TestParseErrorUnwraps(t *testing.T) {
	_, err := ParsePackage([]byte("a: [\n"), "x.yaml")
	var pe *ParseError
	assert.Assert(t, errors.As(err, &pe))
	assert.Assert(t, errors.Unwrap(err) != nil)
}

func TestMarshalPackageStableOrder(t *testing.T) {
	p := &Package{
		Platform: "Debian-12", Created: "2024-01-02T03:04:05Z", Binary: map[string]string{"z": "/z.so", "a": "/a.so"},
		Require: []string{"osv.libz", "osv.bootstrap"}, Version: "1.0", Author: "A", Title: "T", Name: "n1",
	}
	got, err := p.Marshal()
	assert.NilError(t, err)
	want := `name: n1
title: T
author: A
version: "1.0"
require:
  - osv.libz
  - osv.bootstrap
binary:
  a: /a.so
  z: /z.so
created: "2024-01-02T03:04:05Z"
platform: Debian-12
`
	assert.Equal(t, string(got), want)

	back, err := ParsePackage(got, "round-trip")
	assert.NilError(t, err)
	assert.DeepEqual(t, back, p)
}

func TestWritePackage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "demo.yaml")
	assert.NilError(t, WritePackage(path, &Package{Name: "demo", Title: "Demo", Author: "Tester"}))
	fi, err := os.Stat(path)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))
	got, err := LoadPackage(path)
	assert.NilError(t, err)
	assert.Equal(t, got.Name, "demo")

	// An invalid package is refused and nothing is left behind.
	err = WritePackage(filepath.Join(dir, "bad.yaml"), &Package{Name: "bad"})
	var fe *FieldError
	assert.Assert(t, errors.As(err, &fe))
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 1))
}

func TestLoadPackageMissing(t *testing.T) {
	_, err := LoadPackage(filepath.Join(t.TempDir(), "nope.yaml"))
	assert.Assert(t, errors.Is(err, os.ErrNotExist))
}
