package supplychain

import (
	"strings"
)

// debianToSPDX maps the short names Debian's copyright files use to SPDX licence identifiers,
// for the names that mean exactly one SPDX licence.
var debianToSPDX = map[string]string{
	"apache-2.0": "Apache-2.0", "artistic": "Artistic-1.0-Perl", "artistic-2.0": "Artistic-2.0",
	"bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
	"bsl-1.0": "BSL-1.0", "cc0-1.0": "CC0-1.0", "cc-by-3.0": "CC-BY-3.0", "cc-by-4.0": "CC-BY-4.0",
	"cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "curl": "curl",
	"expat": "MIT", "mit": "MIT", "ftl": "FTL", "isc": "ISC", "ijg": "IJG", "libpng": "Libpng",
	"gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later",
	"gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
	"gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
	"lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
	"lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
	"lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
	"agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
	"gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later",
	"gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
	"mpl-1.1": "MPL-1.1", "mpl-2.0": "MPL-2.0", "openssl": "OpenSSL", "psf-2": "PSF-2.0",
	"python-2.0": "Python-2.0", "ruby": "Ruby", "sleepycat": "Sleepycat", "unicode-dfs-2016": "Unicode-DFS-2016",
	"unlicense": "Unlicense", "x11": "X11", "zlib": "Zlib", "0bsd": "0BSD", "ofl-1.1": "OFL-1.1",
	"bzip2-1.0.6": "bzip2-1.0.6", "wtfpl": "WTFPL", "vim": "Vim",
	"bsd-4-clause-uc": "BSD-4-Clause-UC", "fsful": "FSFUL", "fsfullr": "FSFULLR",
	"gfdl-niv-1.3": "GFDL-1.3-no-invariants-only", "gfdl-niv-1.3+": "GFDL-1.3-no-invariants-or-later",
}

// NoAssertion is SPDX's "nothing is stated".
const NoAssertion = "NOASSERTION"

// spdxLicense turns Debian's licence names into one SPDX expression: each name (which may itself
// be "A or B", "A and B") becomes a group, and the groups are joined with AND, since the package
// holds files under each of them. Any name without an exact SPDX meaning (an exception, a
// licence of Debian's own naming) makes the whole answer NOASSERTION: better nothing than a
// wrong statement. Debian's own words are kept beside it by the caller.
func spdxLicense(names []string) string {
	if len(names) == 0 {
		return NoAssertion
	}
	var groups []string
	for _, n := range names {
		expr, ok := spdxExpression(n)
		if !ok {
			return NoAssertion
		}
		groups = append(groups, expr)
	}
	if len(groups) == 1 {
		return strings.TrimSuffix(strings.TrimPrefix(groups[0], "("), ")")
	}
	return strings.Join(groups, " AND ")
}

// spdxExpression maps one License: value; a value with operators is parenthesised.
func spdxExpression(name string) (string, bool) {
	words := strings.Fields(strings.ReplaceAll(name, ",", " "))
	var out []string
	for i, w := range words {
		switch lw := strings.ToLower(w); {
		case lw == "or" || lw == "and":
			if i == 0 || i == len(words)-1 {
				return "", false
			}
			out = append(out, strings.ToUpper(lw))
		default:
			id, ok := debianToSPDX[lw]
			if !ok {
				return "", false
			}
			out = append(out, id)
		}
	}
	switch len(out) {
	case 0:
		return "", false
	case 1:
		return out[0], true
	}
	return "(" + strings.Join(out, " ") + ")", true
}
