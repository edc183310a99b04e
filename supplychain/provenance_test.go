package supplychain

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

const osvCommit = "0e34e4dc0123456789abcdef0123456789abcdef"

// hexOf is a SHA-256-sized hex digest made of one repeated character.
func hexOf(c string) string { return strings.Repeat(c, 64) }

func provenanceInput() ProvenanceInput {
	return ProvenanceInput{
		Subjects: []Subject{{Name: "demo.mpm", SHA256: hexOf("a")}, {Name: "demo.yaml", SHA256: hexOf("b")}},
		Recipe:   "demo", RecipeDigest: hexOf("c"),
		Settings:      map[string]string{"accel": "tcg", "privileged": "false"},
		Environment:   []string{"PACKAGE_NAME=demo", "SOURCE_DATE_EPOCH=1714979289"},
		OSVRepository: "https://github.com/cloudius-systems/osv.git", OSVCommit: osvCommit,
		ToolchainImage: "sha256:" + hexOf("1"), BaseImage: "sha256:" + hexOf("2"), BaseImageRef: "pkgdriver/debian:bookworm",
		Version: "1.2.3", RunID: "run-1",
		Started: epoch, Finished: epoch.Add(time.Minute),
	}
}

func statementJSON(t testing.TB, in ProvenanceInput) map[string]any {
	t.Helper()
	st, err := Statement(in)
	assert.NilError(t, err)
	data, err := MarshalStatement(st)
	assert.NilError(t, err)
	var m map[string]any
	assert.NilError(t, json.Unmarshal(data, &m))
	return m
}

func TestStatement(t *testing.T) {
	m := statementJSON(t, provenanceInput())
	assert.Equal(t, m["_type"], "https://in-toto.io/Statement/v1")
	assert.Equal(t, m["predicateType"], "https://slsa.dev/provenance/v1")
	assert.DeepEqual(t, m["subject"], []any{
		map[string]any{"name": "demo.mpm", "digest": map[string]any{"sha256": hexOf("a")}},
		map[string]any{"name": "demo.yaml", "digest": map[string]any{"sha256": hexOf("b")}},
	})
	pred := m["predicate"].(map[string]any)
	def := pred["buildDefinition"].(map[string]any)
	assert.Equal(t, def["buildType"], BuildType)
	assert.DeepEqual(t, def["externalParameters"], map[string]any{"recipe": "demo",
		"settings": map[string]any{"accel": "tcg", "privileged": "false"}})
	deps := def["resolvedDependencies"].([]any)
	assert.Check(t, is.Len(deps, 5))
	assert.DeepEqual(t, deps[1], map[string]any{"name": "osv", "uri": "git+https://github.com/cloudius-systems/osv.git@" + osvCommit,
		"digest": map[string]any{"gitCommit": osvCommit}})
	assert.DeepEqual(t, deps[2], map[string]any{"name": "toolchain-image", "digest": map[string]any{"sha256": hexOf("1")}})
	run := pred["runDetails"].(map[string]any)
	assert.DeepEqual(t, run["metadata"], map[string]any{"invocationId": "run-1",
		"startedOn": "2024-05-06T07:08:09Z", "finishedOn": "2024-05-06T07:09:09Z"})
}

// Two builds of the same inputs state the same subject and build definition; only the run
// details differ.
func TestStatementStableApartFromRunDetails(t *testing.T) {
	a := statementJSON(t, provenanceInput())
	in := provenanceInput()
	in.RunID, in.Started, in.Finished = "run-2", epoch.Add(time.Hour), epoch.Add(2*time.Hour)
	b := statementJSON(t, in)
	assert.Check(t, !is.DeepEqual(a, b)().Success())
	delete(a["predicate"].(map[string]any), "runDetails")
	delete(b["predicate"].(map[string]any), "runDetails")
	assert.DeepEqual(t, a, b)
}

func TestMarshalStatementIsStable(t *testing.T) {
	st, err := Statement(provenanceInput())
	assert.NilError(t, err)
	first, err := MarshalStatement(st)
	assert.NilError(t, err)
	for range 5 {
		again, err := MarshalStatement(st)
		assert.NilError(t, err)
		assert.Equal(t, string(again), string(first))
	}
	back, err := ParseStatement(first)
	assert.NilError(t, err)
	assert.Equal(t, back.GetSubject()[0].GetName(), "demo.mpm")
}

func TestStatementNeedsSubjects(t *testing.T) {
	in := provenanceInput()
	in.Subjects = nil
	_, err := Statement(in)
	assert.ErrorContains(t, err, "subject")
}

// A tree built with --allow-dirty names its commit (a git digest cannot say "with changes") and
// says it was dirty.
func TestStatementDirtyOSv(t *testing.T) {
	in := provenanceInput()
	in.OSVRepository, in.OSVDirty = "", true
	m := statementJSON(t, in)
	deps := m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["resolvedDependencies"].([]any)
	assert.DeepEqual(t, deps[1], map[string]any{"name": "osv", "digest": map[string]any{"gitCommit": osvCommit},
		"annotations": map[string]any{"dirty": true, "note": "built from a checkout that differed from this commit (--allow-dirty)"}})
}
