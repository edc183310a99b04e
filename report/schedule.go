package report

import (
	"fmt"
	"math"
	"time"
)

// Schedule is how the builds and tests of a run shared the slots: their wall time against
// the critical path, the longest chain of a build and the test that waited for it. With enough
// slots the wall time is the critical path; the ratio says what the --jobs limit cost.
type Schedule struct {
	Jobs int `json:"jobs"`
	// WallSeconds is from the first build's start to the last build's or test's end.
	WallSeconds float64 `json:"wall_seconds"`
	// CriticalPathSeconds is the longest build, or build then the test that waited for it.
	CriticalPathSeconds float64 `json:"critical_path_seconds"`
	// CriticalPath names the chain's steps, "build NAME" and "test NAME".
	CriticalPath []string `json:"critical_path,omitempty"`
	// WorkSeconds is the sum of the builds' and tests' times: what the slots had to do.
	WorkSeconds float64 `json:"work_seconds"`
	// LowerBoundSeconds is the least wall time any order could reach on these slots:
	// max(critical path, work / jobs). Wall against it says what the order cost; the critical
	// path against it, what the number of slots did.
	LowerBoundSeconds float64 `json:"lower_bound_seconds"`
}

// NewSchedule measures the critical path of recipes, whose builds and tests took wall on jobs
// slots.
func NewSchedule(jobs int, wall time.Duration, recipes []RecipeResult) *Schedule {
	s := &Schedule{Jobs: jobs, WallSeconds: roundMillis(wall.Seconds())}
	s.CriticalPathSeconds, s.CriticalPath = criticalPath(recipes)
	s.WorkSeconds = roundMillis(work(recipes))
	s.LowerBoundSeconds = s.CriticalPathSeconds
	if jobs > 0 {
		s.LowerBoundSeconds = roundMillis(max(s.CriticalPathSeconds, s.WorkSeconds/float64(jobs)))
	}
	return s
}

// work is the time of every build and test that ran.
func work(recipes []RecipeResult) float64 {
	sum := 0.0
	for _, res := range recipes {
		if !res.Start.IsZero() {
			sum += res.Duration
		}
		if t := res.Test; t != nil && !t.Start.IsZero() {
			sum += t.Duration
		}
	}
	return sum
}

// criticalPath is the longest chain of a build (one that ran) and the test that waited for it.
func criticalPath(recipes []RecipeResult) (float64, []string) {
	built := map[string]float64{}
	best, chain := 0.0, []string(nil)
	for _, res := range recipes {
		if res.Start.IsZero() {
			continue
		}
		built[res.Name] = res.Duration
		if res.Duration > best {
			best, chain = res.Duration, []string{"build " + res.Name}
		}
	}
	for _, res := range recipes {
		t := res.Test
		if t == nil || t.Start.IsZero() {
			continue
		}
		first, longest := "", 0.0
		for _, name := range t.After {
			if d, ok := built[name]; ok && (first == "" || d > longest) {
				first, longest = name, d
			}
		}
		if total := longest + t.Duration; total > best {
			best, chain = total, []string{"test " + res.Name}
			if first != "" {
				chain = []string{"build " + first, "test " + res.Name}
			}
		}
	}
	return roundMillis(best), chain
}

func roundMillis(s float64) float64 { return math.Round(s*1000) / 1000 }

// scheduleCaption is the timeline's line about the schedule.
func scheduleCaption(s *Schedule) string {
	if s == nil || s.CriticalPathSeconds <= 0 {
		return ""
	}
	c := "wall time " + htmlDuration(s.WallSeconds) + " against a critical path of " + htmlDuration(s.CriticalPathSeconds)
	for i, step := range s.CriticalPath {
		sep := " → "
		if i == 0 {
			sep = " ("
		}
		c += sep + step
	}
	if len(s.CriticalPath) > 0 {
		c += ")"
	}
	c += fmt.Sprintf(" on %d slots; ratio %.2f", s.Jobs, s.WallSeconds/s.CriticalPathSeconds)
	if s.LowerBoundSeconds > 0 {
		c += fmt.Sprintf("; %s of work, so at least %s on %d slots (ratio %.2f)", htmlDuration(s.WorkSeconds),
			htmlDuration(s.LowerBoundSeconds), s.Jobs, s.WallSeconds/s.LowerBoundSeconds)
	}
	return c
}
