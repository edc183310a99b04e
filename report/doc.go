// Package report is the model of what a run did (Report, written as report.json, with each
// recipe's RecipeResult and typed statuses) and its renderers: the terminal summary
// (WriteSummary), report.html (WriteHTML, with its timeline and the changes since the run before)
// and junit.xml (WriteJUnit). Every count they show comes from one Report.Counts, which also
// decides the exit status (Report.Failed). It runs nothing and knows nothing of engines.
package report
