package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Target is one goal a row is judged by: a bound on its ratio or on pkgdriver's own figure.
type Target struct {
	// On is "ratio" or "pkgdriver".
	On    string  `json:"on"`
	Op    string  `json:"op"` // "<=", ">=" or "<"
	Value float64 `json:"value"`
}

// String is how the target reads in the table, e.g. "ratio ≥ 5" or "< 0.5 s".
func (t Target) String() string {
	op := map[string]string{"<=": "≤", ">=": "≥", "<": "<"}[t.Op]
	if t.On == "ratio" {
		return fmt.Sprintf("ratio %s %g", op, t.Value)
	}
	return fmt.Sprintf("%s %g", op, t.Value)
}

func (t Target) met(r *Row) bool {
	v := r.Pkgdriver
	if t.On == "ratio" {
		v = r.Ratio
	}
	switch t.Op {
	case "<=":
		return v <= t.Value
	case ">=":
		return v >= t.Value
	case "<":
		return v < t.Value
	}
	return false
}

// Row is one line of the table: pkgdriver's figure, the baseline measured in the same run, their
// ratio (RatioMeans says which way round), and the targets the issue sets.
type Row struct {
	ID         string   `json:"id"`
	Metric     string   `json:"metric"`
	Unit       string   `json:"unit"`
	Pkgdriver  float64  `json:"pkgdriver"`
	Baseline   float64  `json:"baseline"`
	Ratio      float64  `json:"ratio"`
	RatioMeans string   `json:"ratio_means"`
	Targets    []Target `json:"targets,omitempty"`
	// Met is nil for a row that is only reported, and for a row whose measurement failed.
	Met     *bool          `json:"met"`
	Note    string         `json:"note,omitempty"`
	Error   string         `json:"error,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// judge fills Met from the targets.
func (r *Row) judge() {
	if r.Error != "" || len(r.Targets) == 0 {
		r.Met = nil
		return
	}
	ok := true
	for _, t := range r.Targets {
		ok = ok && t.met(r)
	}
	r.Met = &ok
}

// Results is everything one bench run measured; it is written as JSON.
type Results struct {
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"duration_seconds"`
	Quick    bool      `json:"quick"`
	Scale    Scale     `json:"scale"`
	Host     Host      `json:"host"`
	Packing  string    `json:"pkgdriver_compressor"`
	Rows     []Row     `json:"rows"`
	Warnings []string  `json:"warnings,omitempty"`
}

// Host says where the figures were taken.
type Host struct {
	CPUs          int    `json:"cpus"`
	Kernel        string `json:"kernel"`
	Engine        string `json:"engine"`
	StorageDriver string `json:"storage_driver"`
	GoVersion     string `json:"go"`
}

// ratio is a/b, or 0 when b is 0 (a failed or empty measurement).
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return 0
	}
	return a / b
}

// formatValue prints a figure with its unit, with a precision that suits its size.
func formatValue(v float64, unit string) string {
	var s string
	switch a := math.Abs(v); {
	case a == 0:
		s = "0"
	case a >= 100:
		s = fmt.Sprintf("%.0f", v)
	case a >= 10:
		s = fmt.Sprintf("%.1f", v)
	case a >= 0.1:
		s = fmt.Sprintf("%.2f", v)
	default:
		s = fmt.Sprintf("%.3f", v)
	}
	if unit == "" {
		return s
	}
	return s + " " + unit
}

// PrintTable writes the table, then one line per row note.
func (res *Results) PrintTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tpkgdriver\tbaseline\tratio\ttarget\tmet?")
	for _, r := range res.Rows {
		var targets []string
		for _, t := range r.Targets {
			s := t.String()
			if t.On == "pkgdriver" {
				s += " " + r.Unit
			}
			targets = append(targets, s)
		}
		target := strings.Join(targets, ", ")
		if target == "" {
			target = "(reported)"
		}
		met := "-"
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\terror\t\t\t%s\t-\n", r.Metric, target)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, formatValue(r.Pkgdriver, r.Unit),
			formatValue(r.Baseline, r.Unit), formatValue(r.Ratio, "×"), target, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range res.Rows {
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "[%s] error: %s\n", r.ID, r.Error)
		default:
			fmt.Fprintf(w, "[%s] ratio = %s. %s\n", r.ID, r.RatioMeans, r.Note)
		}
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// WriteJSON writes the results to path, creating its directory.
func (res *Results) WriteJSON(path string) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
