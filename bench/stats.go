package main

import (
	"slices"
	"time"
)

// median of the samples; the bench repeats each timing and reports the median, which a single
// hiccup of a noisy host does not move.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(d time.Duration) float64 { return d.Seconds() }
