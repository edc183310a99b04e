package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestRunnerAndNodes: a run on Kubernetes says so in report.html and junit.xml, with the node of
// each build and demo boot; a run on Docker (no runner recorded, no nodes) shows neither.
func TestRunnerAndNodes(t *testing.T) {
	t.Parallel()
	rep := &Report{RunID: "r", Status: "ok", Runner: "kubernetes at https://127.0.0.1:16443 (namespace pkgdriver)", Recipes: []RecipeResult{
		{Name: "a", Status: StatusBuilt, Node: "node-1", Test: &TestResult{Status: TestPassed, Node: "node-2"}},
	}}
	page := renderHTML(t, rep, nil)
	assert.Check(t, is.Contains(section(t, page, "inputs"), "<dt>Runner</dt><dd>kubernetes at https://127.0.0.1:16443 (namespace pkgdriver)</dd>"))
	assert.Check(t, is.Contains(page, `title="on node node-1">built</span> <small>on node-1</small>`))
	assert.Check(t, is.Contains(page, `title="on node node-2">passed</span> <small>on node-2</small>`))

	path := filepath.Join(t.TempDir(), "junit.xml")
	assert.NilError(t, WriteJUnit(path, rep))
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	x := string(data)
	assert.Check(t, is.Equal(strings.Count(x, `<property name="runner" value="kubernetes at https://127.0.0.1:16443 (namespace pkgdriver)"></property>`), 2), x)
	assert.Check(t, is.Contains(x, `<property name="node" value="node-1"></property>`))
	assert.Check(t, is.Contains(x, `<property name="node" value="node-2"></property>`))

	docker := &Report{RunID: "r", Status: "ok", Recipes: []RecipeResult{{Name: "a", Status: StatusBuilt}}}
	assert.Check(t, !strings.Contains(renderHTML(t, docker, nil), "on node"))
	assert.NilError(t, WriteJUnit(path, docker))
	data, _ = os.ReadFile(path)
	assert.Check(t, !strings.Contains(string(data), "<properties>"), string(data))
}
