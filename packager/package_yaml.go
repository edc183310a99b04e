package packager

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"gopkg.in/yaml.v3"
)

// PackageFile is where a package keeps its descriptor, relative to its root.
const PackageFile = "meta/package.yaml"

// CreatedLayout is how Capstan writes a package's `created` field
// (Go's time.RFC3339; Capstan also reads "2006-01-02 15:04").
const CreatedLayout = "2006-01-02T15:04:05Z07:00"

// Package is meta/package.yaml, with Capstan's field names and order.
type Package struct {
	Name    string `yaml:"name"`
	Title   string `yaml:"title"`
	Author  string `yaml:"author"`
	Version string `yaml:"version,omitempty"`
	// Require lists the packages this one needs, by name.
	Require []string          `yaml:"require,omitempty"`
	Binary  map[string]string `yaml:"binary,omitempty"`
	// Created is kept as written. Capstan reads RFC 3339 or
	// "2006-01-02 15:04" and silently treats anything else as unknown.
	Created  string `yaml:"created,omitempty"`
	Platform string `yaml:"platform,omitempty"`
}

// ParsePackage parses meta/package.yaml content. file names the source in
// errors. Unknown fields are ignored, as Capstan ignores them; a field of the
// wrong shape or a missing required field is a *FieldError, unparsable YAML a
// *ParseError.
func ParsePackage(data []byte, file string) (*Package, error) {
	root, err := parseMapping(data, file)
	if err != nil {
		return nil, err
	}
	p := &Package{}
	err = eachField(root, file, "", func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			p.Name, err = stringValue(file, key, v)
		case "title":
			p.Title, err = stringValue(file, key, v)
		case "author":
			p.Author, err = stringValue(file, key, v)
		case "version":
			p.Version, err = stringValue(file, key, v)
		case "created":
			p.Created, err = stringValue(file, key, v)
		case "platform":
			p.Platform, err = stringValue(file, key, v)
		case "require":
			p.Require, err = stringList(file, key, v)
		case "binary":
			p.Binary, err = stringMap(file, key, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		setFile(err, file)
		return nil, err
	}
	return p, nil
}

// LoadPackage reads and parses the package descriptor at path.
func LoadPackage(path string) (*Package, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading package descriptor: %w", err)
	}
	return ParsePackage(data, path)
}

// Validate checks what Capstan requires of a package: a name, a title and an
// author. It also refuses names that cannot be a file name (the package is
// delivered as <name>.mpm) and empty entries in require.
func (p *Package) Validate() error {
	for _, f := range []struct{ field, value string }{
		{"name", p.Name}, {"title", p.Title}, {"author", p.Author},
	} {
		if f.value == "" {
			return &FieldError{Field: f.field, Reason: "missing (Capstan requires it)"}
		}
	}
	if err := checkPackageName(p.Name); err != nil {
		return &FieldError{Field: "name", Reason: err.Error()}
	}
	for i, r := range p.Require {
		if r == "" {
			return &FieldError{Field: fmt.Sprintf("require[%d]", i), Reason: "empty package name"}
		}
	}
	return nil
}

// checkPackageName refuses names that would not stay one file name.
func checkPackageName(name string) error {
	if name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%q cannot name a file (<name>.mpm)", name)
	}
	return nil
}

// setFile fills in the file of a FieldError produced without one.
func setFile(err error, file string) {
	if fe, ok := err.(*FieldError); ok && fe.File == "" {
		fe.File = file
	}
}

// Marshal renders the package as YAML with a stable field order (Capstan's:
// name, title, author, version, require, binary, created, platform; binary
// keys sorted).
func (p *Package) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding package descriptor: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding package descriptor: %w", err)
	}
	return buf.Bytes(), nil
}

// WritePackage validates p and writes it to path atomically (a temporary
// file in the same directory, renamed into place), with mode 0644.
func WritePackage(path string, p *Package) error {
	if err := p.Validate(); err != nil {
		setFile(err, path)
		return err
	}
	data, err := p.Marshal()
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, data, 0o644)
}
