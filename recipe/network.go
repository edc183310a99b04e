package recipe

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// NeedsNetworkFile is an optional file of a recipe (a pkgdriver extra on top of the contract):
// one address per line that the build downloads from, so users see which recipes cannot build
// offline. Blank lines and lines starting with # are ignored.
const NeedsNetworkFile = "needs-network"

// NetworkURLs returns the addresses the recipe says its build downloads from; none for a recipe
// that builds offline.
func (r *Recipe) NetworkURLs() ([]string, error) {
	f, err := os.Open(filepath.Join(r.Dir, NeedsNetworkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Recipe: r.Name, File: NeedsNetworkFile, Err: err}
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			urls = append(urls, line)
		}
	}
	return urls, sc.Err()
}
