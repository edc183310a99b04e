package recipe

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzValidateName checks that every name ValidateName accepts is safe as one file name on the
// host, in containers and in URLs, and that every refusal is an ErrBadName naming the problem.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"osv.nfs", "erlang-7.0", "a", "all", "", "..", "up..stairs", "my recipe",
		"j\u0430va", ".hidden", "-flag", "a/b", "a\\b", "a\x00b", "nul\n", strings.Repeat("x", MaxNameLen+1), "c++@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("ValidateName(%q) = %v, not an ErrBadName", name, err)
			}
			if !utf8.ValidString(err.Error()) && utf8.ValidString(name) {
				t.Fatalf("the message of a valid string is not valid UTF-8: %q", err.Error())
			}
			return
		}
		switch {
		case name == "" || len(name) > MaxNameLen:
			t.Fatalf("accepted %q: bad length", name)
		case name == "all" || name == "." || strings.Contains(name, ".."):
			t.Fatalf("accepted %q", name)
		case filepath.Base(name) != name || strings.ContainsAny(name, "/\\ \t\n\r\x00"):
			t.Fatalf("accepted %q: not one plain file name", name)
		case name[0] == '-' || name[0] == '.':
			t.Fatalf("accepted %q: reads as a flag or a hidden file", name)
		}
		for i := 0; i < len(name); i++ {
			if name[i] >= 0x80 {
				t.Fatalf("accepted %q: not ASCII", name)
			}
		}
	})
}
