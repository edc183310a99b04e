package recipe

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestNetworkURLs(t *testing.T) {
	dir := t.TempDir()
	r := &Recipe{Name: "x", Dir: dir}
	urls, err := r.NetworkURLs()
	assert.NilError(t, err)
	assert.Check(t, is.Len(urls, 0), "offline without the file")

	content := "# downloads\nhttps://example.org/a.tar.gz\n\n  https://example.org/b  \n"
	assert.NilError(t, os.WriteFile(filepath.Join(dir, NeedsNetworkFile), []byte(content), 0o644))
	urls, err = r.NetworkURLs()
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(urls, []string{"https://example.org/a.tar.gz", "https://example.org/b"}))
}
