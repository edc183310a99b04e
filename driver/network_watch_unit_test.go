package driver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestNetworkFailure: the download tools' own lines (as curl 7.88, wget 1.21, git 2.39, apt 2.6,
// pip/urllib3 and Maven print them on Debian 12), and lines that mention the network without a
// failure to reach it.
func TestNetworkFailure(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"curl: (6) Could not resolve host: ftp.gnu.org", "ftp.gnu.org"},
		{"  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0curl: (6) Could not resolve host: ftp.gnu.org", "ftp.gnu.org"},
		{"curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", "127.0.0.1"},
		{"curl: (7) Failed to connect to github.com port 443 after 129 ms: Connection refused", "github.com"},
		{"curl: (6) Couldn't resolve host 'www.lua.org'", "www.lua.org"},
		{"curl: (5) Could not resolve proxy: proxy.example.com", "proxy.example.com"},
		{"Resolving www.erlang.org (www.erlang.org)... failed: Name or service not known.", "www.erlang.org"},
		{"wget: unable to resolve host address ‘www.erlang.org’", "www.erlang.org"},
		{"wget: unable to resolve host address 'www.erlang.org'", "www.erlang.org"},
		{"Connecting to 127.0.0.1:1... failed: Connection refused.", "127.0.0.1"},
		{"Connecting to github.com (github.com)|140.82.121.4|:443... failed: Connection timed out.", "github.com"},
		{"fatal: unable to access 'https://github.com/python/cpython.git/': Could not resolve host: github.com", "https://github.com/python/cpython.git/"},
		{"fatal: unable to access 'http://127.0.0.1:1/r.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", "http://127.0.0.1:1/r.git/"},
		{"fatal: unable to look up github.com (port 9418) (Name or service not known)", "github.com"},
		{"fatal: unable to connect to github.com:", "github.com"},
		{"ssh: Could not resolve hostname github.com: Name or service not known", "github.com"},
		{"  Temporary failure resolving 'deb.debian.org'", "deb.debian.org"},
		{"W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'", "deb.debian.org"},
		{"  Could not resolve 'deb.debian.org'", "deb.debian.org"},
		{"  Could not connect to deb.debian.org:80 (151.101.2.132), connection timed out", "deb.debian.org"},
		// pip retries first (no host named), then gives up naming it.
		{"WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f3c>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/six/", ""},
		{"ERROR: Could not find a version that satisfies the requirement six (from versions: none) HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/six/ (Caused by NewConnectionError('...: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution'))", "pypi.org"},
		{"\x1b[1;31mERROR\x1b[m] Plugin org.apache.maven.plugins:maven-resources-plugin:2.6 or one of its dependencies could not be resolved: Failed to read artifact descriptor for org.apache.maven.plugins:maven-resources-plugin:jar:2.6: Could not transfer artifact org.apache.maven.plugins:maven-resources-plugin:pom:2.6 from/to central (https://repo.maven.apache.org/maven2): transfer failed for https://repo.maven.apache.org/maven2/org/apache/maven/plugins/maven-resources-plugin/2.6/maven-resources-plugin-2.6.pom: Unknown host repo.maven.apache.org: Name or service not known -> \x1b[1m[Help 1]\x1b[m", "repo.maven.apache.org"},
		{"[ERROR] Failed to execute goal on project x: Could not resolve dependencies for project a:b:jar:1: Could not transfer artifact c:d:pom:2 from/to central (https://repo.maven.apache.org/maven2): Unknown host repo.maven.apache.org", "repo.maven.apache.org"},
		{"pkgdriver: recipe osv.nfs needs the network: cannot reach https://github.com/sahlberg/libnfs.git", "https://github.com/sahlberg/libnfs.git"},
		// Not a failure to reach anything.
		{"Resolving deltas: 100% (12/12), done.", ""},
		{"Connecting to github.com (github.com)|140.82.121.4|:443... connected.", ""},
		{"checking for getaddrinfo... yes", ""},
		{"[ERROR] Could not resolve dependencies for project a:b:jar:1: The following artifacts could not be resolved: c:d:jar:2", ""},
		{"curl: (22) The requested URL returned error: 404", ""},
		{"make: *** [Makefile:37: download/ncurses-5.9.tar.gz] Error 6", ""},
	} {
		got, msg, ok := networkFailure(tc.line)
		assert.Check(t, is.Equal(got, tc.want), tc.line)
		assert.Check(t, is.Equal(ok, tc.want != ""), tc.line)
		if ok {
			assert.Check(t, strings.HasSuffix(tc.line, msg) && strings.Contains(msg, tc.want), "%q: %q", tc.line, msg)
		}
	}
}

// TestNetworkWatch: the watch stops the build at the first failure, whatever the writes' sizes
// (curl's \r progress, one byte at a time), names the address, and keeps to bounded memory.
func TestNetworkWatch(t *testing.T) {
	out := "Exporting Erlang\r\n  % Total    % Received\r  0     0    0     0curl: (6) Could not resolve host: ftp.gnu.org\n" +
		"make: *** [Makefile:37] Error 6\nwget: unable to resolve host address 'www.erlang.org'\n"
	for _, chunk := range []int{1, 7, len(out)} {
		ctx, stop := context.WithCancelCause(context.Background())
		w := &networkWatch{stop: stop, log: "log/erlang-7.0.log"}
		for s := out; s != ""; {
			n := min(chunk, len(s))
			k, err := w.Write([]byte(s[:n]))
			assert.NilError(t, err)
			assert.Equal(t, k, n)
			s = s[n:]
		}
		var nn errNeedsNetwork
		assert.Assert(t, errors.As(context.Cause(ctx), &nn), "chunk %d", chunk)
		assert.Check(t, is.Equal(nn.Address, "ftp.gnu.org"))
		assert.Check(t, is.Equal(w.err(), context.Cause(ctx)))
		assert.Check(t, is.Equal(w.err().Error(), `needs the network: ftp.gnu.org (the build could not reach it and was stopped: "curl: (6) Could not resolve host: ftp.gnu.org"; see log/erlang-7.0.log)`))
	}

	// OSv's scripts/build says it failed and exits 0 (seen with the old ompi-1.10 recipe).
	for _, tc := range []struct {
		out  string
		want string
	}{
		{"Exception: Module not found: open-mpi. Please check configuration: /osv/config.json\n/osv/scripts/build failed: ( for i in \"${args[@]}\";\ndo\n", `OSv's scripts/build failed, although it exits 0, and the build was stopped: "/osv/scripts/build failed: ( for i in \"${args[@]}\";" after "Exception: Module not found: open-mpi. Please check configuration: /osv/config.json" (see log/ompi-1.10.log)`},
		{"./scripts/build failed: make failed for ncurses\n", `stopped: "./scripts/build failed: make failed for ncurses" (see`},
		{"echo 'scripts/build failed: never' is not a failure\nmake: *** No rule to make target 'scripts/build failed: x'\n", ""},
	} {
		w := &networkWatch{log: "log/ompi-1.10.log"}
		_, _ = w.Write([]byte(tc.out))
		if tc.want == "" {
			assert.Check(t, w.err() == nil, tc.out)
			continue
		}
		var fe errOSvBuildFailed
		assert.Check(t, errors.As(w.err(), &fe), tc.out)
		assert.Check(t, is.ErrorContains(w.err(), tc.want))
	}

	// Maven's line (the old openjdk8 recipes) names the host after 600 bytes.
	w := &networkWatch{log: "log/openjdk8-zulu-full.log"}
	_, _ = w.Write([]byte("[ERROR] Plugin x could not be resolved: " + strings.Repeat("org.apache.maven.plugins:", 30) + ": Unknown host repo.maven.apache.org: Name or service not known\n"))
	assert.Check(t, is.ErrorContains(w.err(), "needs the network: repo.maven.apache.org ("))
	w = &networkWatch{}
	_, _ = w.Write([]byte("\x1b[1;31mERROR\x1b[m] Could not transfer artifact: Unknown host repo.maven.apache.org: Name or service not known -> \x1b[1m[Help 1]\x1b[m\n"))
	assert.Check(t, is.ErrorContains(w.err(), `stopped: "Unknown host repo.maven.apache.org: Name or service not known -> [Help 1]"`))

	w = &networkWatch{}
	_, _ = w.Write([]byte(strings.Repeat("x", 10*maxWatchedLine)))
	assert.Check(t, len(w.cur) <= maxWatchedLine)
	_, _ = w.Write([]byte("\nchecking for curl... /usr/bin/curl\n\x1b[31mcurl: (6) Could not resolve host: a\x1b.example\n"))
	assert.Check(t, is.ErrorContains(w.err(), `needs the network: a\x1b.example`))
}
