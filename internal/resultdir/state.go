package resultdir

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// ReadState decodes the JSON state file at path into v and reports whether it could. State files
// are caches of what an earlier run learnt: a missing or damaged one is not an error, the work
// is then simply done again.
func ReadState(path string, v any) bool {
	data, err := os.ReadFile(path)
	return err == nil && json.Unmarshal(data, v) == nil
}

// WriteState writes v as indented JSON to the state file at path, making its directory. The
// write is atomic (fsutil.WriteFileAtomic): a reader, or a run after a crash, finds the old
// record or the new one, never half of one.
func WriteState(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, append(data, '\n'), 0o644)
}
