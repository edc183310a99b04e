package recipe

import (
	"slices"
	"strings"
)

// maxSuggestions bounds the "did you mean" list.
const maxSuggestions = 3

// Suggest returns up to three known names close to name, closest first: the "did you mean"
// of unknown recipes, and of mistyped commands and flags.
// Comparison ignores case. A known name is close when its edit distance
// (with transpositions, so "erlnag" is one edit from "erlang") is at most a
// third of the typed name's length, at least 1, or when it starts with the
// typed name, as "node-4.4.5" does with "node". Ties go to such prefix
// matches, then to alphabetical order.
func Suggest(name string, known []string) []string {
	type cand struct {
		name   string
		dist   int
		prefix bool
	}
	typed := strings.ToLower(name)
	limit := max(1, len(typed)/3)
	var cands []cand
	for _, k := range known {
		lk := strings.ToLower(k)
		d := editDistance(typed, lk)
		prefix := len(typed) >= 3 && strings.HasPrefix(lk, typed)
		if d <= limit || prefix {
			cands = append(cands, cand{k, d, prefix})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		if a.prefix != b.prefix {
			if a.prefix {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for i := 0; i < len(cands) && i < maxSuggestions; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes each
// cost one. Names are ASCII, so bytes are characters.
func editDistance(a, b string) int {
	// Three rolling rows: two back is needed for transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
