package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// WriteSummary prints rep for a terminal: one line per recipe, for failures the last lines of
// the log, and the counts (Counts.Phrases) with the run's duration.
func WriteSummary(w io.Writer, rep *Report) {
	if w == nil || len(rep.Recipes) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPE\tBUILD\tDURATION\tTEST\tDURATION\tLOG")
	for _, res := range rep.Recipes {
		test, testTook := "-", "-"
		if res.Test != nil {
			test = string(res.Test.Status)
			if res.Test.Duration > 0 {
				testTook = seconds(res.Test.Duration).String()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", res.Name, res.Status, seconds(res.Duration), test, testTook, res.Log)
	}
	tw.Flush()
	for _, res := range rep.Recipes {
		if res.Status.Broken() {
			printFailure(w, res.Name+" build "+string(res.Status), res.Error, res.Log, res.LogTail)
		}
		if t := res.Test; t != nil && t.Status.Broken() {
			printFailure(w, res.Name+" test "+string(t.Status), t.Error, t.Log, t.LogTail)
		}
	}
	fmt.Fprintf(w, "\n%s in %s\n", strings.Join(rep.Counts().Phrases(), ", "),
		time.Duration(rep.Duration*float64(time.Second)).Round(time.Second))
}

func printFailure(w io.Writer, title, msg, log string, tail []string) {
	// Messages can quote what a recipe holds (a file name, a parser's complaint about its YAML).
	fmt.Fprintf(w, "\n%s: %s\n", title, linetail.Printable(msg))
	if len(tail) > 0 {
		fmt.Fprintf(w, "  last lines of %s:\n", log)
		for _, l := range tail {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond)
}
